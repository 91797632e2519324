/* SPDX-License-Identifier: Apache-2.0 */
/* The varlink message reader: splitting at NUL, partial input, the size limit. */
#include "unit.h"

#include "../../measurer/evidenced/varlink.h"

static void test_two_messages_one_feed(void **state) {
        struct vl_reader r;
        const char *m;
        size_t n;

        (void) state;
        vl_reader_init(&r, 64);
        assert_int_equal(vl_reader_feed(&r, "{\"a\":1}\0{}\0", 11), 0);
        assert_int_equal(vl_reader_next(&r, &m, &n), 1);
        assert_int_equal(n, 7);
        assert_string_equal(m, "{\"a\":1}");
        assert_int_equal(vl_reader_next(&r, &m, &n), 1);
        assert_string_equal(m, "{}");
        assert_int_equal(vl_reader_next(&r, &m, &n), 0);
        assert_int_equal(vl_reader_pending(&r), 0);
        vl_reader_free(&r);
}

static void test_byte_at_a_time(void **state) {
        static const char msg[] = "{\"method\":\"x\"}";
        struct vl_reader r;
        const char *m;
        size_t n;

        (void) state;
        vl_reader_init(&r, 64);
        for (size_t i = 0; i < sizeof(msg) - 1; i++) {
                assert_int_equal(vl_reader_feed(&r, msg + i, 1), 0);
                assert_int_equal(vl_reader_next(&r, &m, &n), 0);
                assert_int_equal(vl_reader_pending(&r), i + 1);
        }
        assert_int_equal(vl_reader_feed(&r, "", 1), 0);
        assert_int_equal(vl_reader_next(&r, &m, &n), 1);
        assert_string_equal(m, msg);
        vl_reader_free(&r);
}

static void test_over_limit_unfinished(void **state) {
        char big[100];
        struct vl_reader r;

        (void) state;
        memset(big, 'x', sizeof(big));
        vl_reader_init(&r, 64);
        assert_int_equal(vl_reader_feed(&r, big, 64), 0);
        assert_int_equal(vl_reader_feed(&r, big, 1), -EMSGSIZE);
        vl_reader_free(&r);
}

static void test_over_limit_complete(void **state) {
        char big[101];
        struct vl_reader r;
        const char *m;
        size_t n;

        (void) state;
        memset(big, 'x', 100);
        big[100] = '\0';
        vl_reader_init(&r, 64);
        /* Whole in one read: the feed accepts it, the reader refuses to hand it out. */
        assert_int_equal(vl_reader_feed(&r, big, sizeof(big)), 0);
        assert_int_equal(vl_reader_next(&r, &m, &n), -EMSGSIZE);
        vl_reader_free(&r);
}

static void test_exact_limit_and_reuse(void **state) {
        char msg[65];
        struct vl_reader r;
        const char *m;
        size_t n;

        (void) state;
        memset(msg, 'y', 64);
        msg[64] = '\0';
        vl_reader_init(&r, 64);
        for (int round = 0; round < 3; round++) {
                assert_int_equal(vl_reader_feed(&r, msg, sizeof(msg)), 0);
                assert_int_equal(vl_reader_next(&r, &m, &n), 1);
                assert_int_equal(n, 64);
        }
        /* Handed-out messages are dropped: the buffer does not grow with the number of messages. */
        assert_true(r.cap <= 4096);
        vl_reader_free(&r);
}

static void test_next_on_empty_or_freed(void **state) {
        struct vl_reader r;
        const char *m;
        size_t n;

        (void) state;
        vl_reader_init(&r, 64);
        assert_int_equal(vl_reader_next(&r, &m, &n), 0);
        assert_int_equal(vl_reader_feed(&r, "{}", 2), 0);
        vl_reader_free(&r);
        /* A reader dropped after an over-size request holds nothing: no message, no pointer arithmetic on NULL. */
        assert_int_equal(vl_reader_next(&r, &m, &n), 0);
        assert_int_equal(vl_reader_pending(&r), 0);
}

static void test_empty_message(void **state) {
        struct vl_reader r;
        const char *m;
        size_t n;

        (void) state;
        vl_reader_init(&r, 64);
        assert_int_equal(vl_reader_feed(&r, "\0", 1), 0);
        assert_int_equal(vl_reader_next(&r, &m, &n), 1);
        assert_int_equal(n, 0);
        vl_reader_free(&r);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_two_messages_one_feed), cmocka_unit_test(test_byte_at_a_time),
                cmocka_unit_test(test_over_limit_unfinished), cmocka_unit_test(test_over_limit_complete),
                cmocka_unit_test(test_exact_limit_and_reuse), cmocka_unit_test(test_empty_message),
                cmocka_unit_test(test_next_on_empty_or_freed),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
