/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The password, chown and ssh-inject steps' account files as buffers: the
 * shadow edit (one line replaced, a duplicated user refused where it once
 * overflowed the heap, a missing final newline, NUL bytes) and the
 * passwd/group look-up (ids in range, malformed and duplicated lines).
 */

#include "unit.h"

#include "../../rewriter/accounts.h"

static const char shadow[] = "root:*:19000:0:99999:7:::\n"
                             "daemon:*:19000:0:99999:7:::\n"
                             "cvm:!:19000:0:99999:7:::\n";

static void test_shadow_set(void **state) {
        cvm_error err = { 0 };
        char *out;
        size_t n;

        (void) state;
        assert_int_equal(accounts_shadow_set(shadow, strlen(shadow), "shadow", "cvm", "$6$salt$HASH", &out, &n, &err), 0);
        assert_string_equal(out, "root:*:19000:0:99999:7:::\n"
                                 "daemon:*:19000:0:99999:7:::\n"
                                 "cvm:$6$salt$HASH:19000:0:99999:7:::\n");
        assert_int_equal(n, strlen(out));
        free(out);
        /* A prefix of a user's name is another user. */
        assert_int_equal(accounts_shadow_set(shadow, strlen(shadow), "shadow", "cv", "$6$x", &out, &n, &err), -ENOENT);
        assert_non_null(strstr(err.msg, "shadow: user 'cv' has no line"));
}

/* The defect: two lines for the user, each given a long hash, overran a buffer sized for one. */
static void test_shadow_duplicate(void **state) {
        static const char dup[] = "cvm:!:1::::::\nroot:*:1::::::\ncvm:!:2::::::\n";
        char hash[4096], *out = NULL;
        cvm_error err = { 0 };
        size_t n;

        (void) state;
        memset(hash, 'a', sizeof(hash) - 1);
        hash[sizeof(hash) - 1] = '\0';
        memcpy(hash, "$6$", 3);
        assert_int_equal(accounts_shadow_set(dup, strlen(dup), "/etc/shadow", "cvm", hash, &out, &n, &err), -EEXIST);
        assert_null(out);
        assert_non_null(strstr(err.msg, "user 'cvm' is listed twice (lines 1 and 3)"));
}

static void test_shadow_edges(void **state) {
        static const char nul[] = "cvm:!:1\0::::::\n";
        cvm_error err = { 0 };
        char *out;
        size_t n;

        (void) state;
        /* No final newline: one is added; empty lines are kept. */
        assert_int_equal(accounts_shadow_set("a:x:1\n\ncvm:!:2", 14, "s", "cvm", "$y$h", &out, &n, &err), 0);
        assert_string_equal(out, "a:x:1\n\ncvm:$y$h:2\n");
        free(out);
        /* The user's line with no field after the hash. */
        assert_int_equal(accounts_shadow_set("cvm:!\n", 6, "s", "cvm", "$6$h", &out, &n, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "s:1: user 'cvm'"));
        assert_int_equal(accounts_shadow_set(nul, sizeof(nul) - 1, "s", "cvm", "$6$h", &out, &n, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "NUL byte at offset 7"));
        /* A hash or user that would forge a line. */
        assert_int_equal(accounts_shadow_set(shadow, strlen(shadow), "s", "cvm", "$6$h:0:\nroot::", &out, &n, &err), -EINVAL);
        assert_int_equal(accounts_shadow_set(shadow, strlen(shadow), "s", "root:*", "$6$h", &out, &n, &err), -EINVAL);
        assert_int_equal(accounts_shadow_set("", 0, "s", "cvm", "$6$h", &out, &n, &err), -ENOENT);
}

static void test_find(void **state) {
        static const char passwd[] = "root:x:0:0:root:/root:/bin/bash\ncvm:x:1000:1001:,,,:/home/cvm:/bin/sh\n"
                                     "big:x:4294967295:0::/:/bin/sh\nshort:x:5\ntwice:x:1:1::/:/\ntwice:x:2:2::/:/\n";
        static const char group[] = "root:x:0:\nwheel:x:10:cvm";
        struct account a;
        cvm_error err = { 0 };

        (void) state;
        assert_int_equal(accounts_find(passwd, strlen(passwd), "passwd", "cvm", true, &a, &err), 0);
        assert_int_equal(a.id, 1000);
        assert_int_equal(a.gid, 1001);
        assert_string_equal(a.home, "/home/cvm");
        free(a.home);
        assert_int_equal(accounts_find(group, strlen(group), "group", "wheel", false, &a, &err), 0);
        assert_int_equal(a.id, 10);
        assert_null(a.home);
        /* (uid_t) -1 would mean "leave unchanged" to chown. */
        assert_int_equal(accounts_find(passwd, strlen(passwd), "passwd", "big", true, &a, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "passwd:3: 'big'"));
        assert_int_equal(accounts_find(passwd, strlen(passwd), "passwd", "short", true, &a, &err), -EINVAL);
        assert_int_equal(accounts_find(passwd, strlen(passwd), "passwd", "twice", true, &a, &err), -EEXIST);
        assert_null(a.home);
        assert_int_equal(accounts_find(passwd, strlen(passwd), "passwd", "nobody", true, &a, &err), -ENOENT);
        assert_int_equal(accounts_find(passwd, strlen(passwd), "passwd", "root:x", true, &a, &err), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_shadow_set),
                cmocka_unit_test(test_shadow_duplicate),
                cmocka_unit_test(test_shadow_edges),
                cmocka_unit_test(test_find),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
