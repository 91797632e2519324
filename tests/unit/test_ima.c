/* SPDX-License-Identifier: Apache-2.0 */
/* IMA lists: ascii fixtures, the binary form, every bank, violations, legacy and signed templates. */
#include <json-c/json.h>

#include "unit.h"

static cvm_eventlog *parse_text(const char *text, cvm_error *err, int *r) {
        cvm_eventlog *log = NULL;
        *r = cvm_eventlog_parse((const uint8_t *) text, strlen(text), CVM_LOG_AUTO, &log, err);
        return log;
}

static void check_fixture(const char *name, const char *pcr10, bool first_is_violation) {
        cvm_eventlog *log = NULL;
        struct json_object *events;
        cvm_replay *r;

        assert_int_equal(cvm_eventlog_load(fixture(name), CVM_LOG_AUTO, &log, NULL), 0);
        assert_int_equal(cvm_eventlog_format(log), CVM_LOG_IMA_ASCII);
        assert_int_equal(cvm_eventlog_count(log), 2);
        r = replay_of(log);
        assert_hex_equal(cvm_replay_find(r, 10, CVM_ALG_SHA1)->digest, 20, pcr10);
        /* Template data rebuilt from the ascii fields hashes to the recorded template hash. */
        events = cvm_eventlog_to_json(log, 0, 0);
        if (first_is_violation)
                assert_null(json_object_object_get(json_object_array_get_idx(events, 0), "digest_matches_data"));
        else
                assert_true(json_object_get_boolean(json_object_object_get(json_object_array_get_idx(events, 0), "digest_matches_data")));
        assert_true(json_object_get_boolean(json_object_object_get(json_object_array_get_idx(events, 1), "digest_matches_data")));
        assert_string_equal(json_object_get_string(json_object_object_get(
                json_object_object_get(json_object_array_get_idx(events, 1), "details"), "file_name")), "/data");
        json_object_put(events);
        cvm_replay_free(r);
        cvm_eventlog_free(log);
}

static void test_fixtures(void **state) {
        (void) state;
        check_fixture("ima-keylime-ima-log-sha1.txt", "62e5bdf4783228f7deec959f0a89a4739af79ac5", true);
        check_fixture("ima-keylime-ima-log-sha256.txt", "8adcb4304b78ee782bbba3733b191591e75dc83d", false);
}

static void put32(uint8_t *p, uint32_t v) {
        for (int i = 0; i < 4; i++)
                p[i] = (uint8_t) (v >> (8 * i));
}

/* The binary list of the same measurements replays to the same values on SHA-1 and, computed, SHA-256. */
static void test_binary_equals_ascii(void **state) {
        const uint16_t banks[] = { CVM_ALG_SHA1, CVM_ALG_SHA256 };
        cvm_eventlog *ascii = NULL, *bin = NULL;
        cvm_replay *ra, *rb;
        uint8_t buf[4096], *p = buf;
        (void) state;

        assert_int_equal(cvm_eventlog_load(fixture("ima-keylime-ima-log-sha256.txt"), CVM_LOG_AUTO, &ascii, NULL), 0);
        for (size_t i = 0; i < cvm_eventlog_count(ascii); i++) {
                const struct cvm_event *ev = cvm_eventlog_event(ascii, i);
                size_t n = strlen(ev->template_name);
                put32(p, ev->index);
                memcpy(p + 4, ev->digests[0].bytes, 20);
                put32(p + 24, (uint32_t) n);
                memcpy(p + 28, ev->template_name, n);
                put32(p + 28 + n, (uint32_t) ev->data_len);
                memcpy(p + 32 + n, ev->data, ev->data_len);
                p += 32 + n + ev->data_len;
        }
        assert_int_equal(cvm_eventlog_parse(buf, (size_t) (p - buf), CVM_LOG_AUTO, &bin, NULL), 0);
        assert_int_equal(cvm_eventlog_format(bin), CVM_LOG_IMA_BINARY);
        assert_int_equal(cvm_replay_new(banks, 2, &ra, NULL), 0);
        assert_int_equal(cvm_replay_new(banks, 2, &rb, NULL), 0);
        assert_int_equal(cvm_replay_add_log(ra, ascii, NULL), 0);
        assert_int_equal(cvm_replay_add_log(rb, bin, NULL), 0);
        for (int b = 0; b < 2; b++) {
                const struct cvm_register_value *a = cvm_replay_find(ra, 10, banks[b]), *c = cvm_replay_find(rb, 10, banks[b]);
                assert_non_null(a);
                assert_non_null(c);
                assert_memory_equal(a->digest, c->digest, a->size);
        }
        /* Cut in the middle of the second record: the first is kept. */
        cvm_eventlog_free(bin);
        assert_int_equal(cvm_eventlog_parse(buf, (size_t) (p - buf) - 5, CVM_LOG_IMA_BINARY, &bin, NULL), 0);
        assert_true(cvm_eventlog_truncated(bin));
        assert_int_equal(cvm_eventlog_count(bin), 1);
        cvm_replay_free(ra);
        cvm_replay_free(rb);
        cvm_eventlog_free(bin);
        cvm_eventlog_free(ascii);
}

/* A violation (all-zero template hash) is extended as all ones, in every bank. */
static void test_violation(void **state) {
        const uint16_t banks[] = { CVM_ALG_SHA256 };
        uint8_t reg[32] = { 0 }, ff[32];
        cvm_eventlog *log;
        cvm_replay *r;
        int k;
        (void) state;

        log = parse_text("10 0000000000000000000000000000000000000000 ima-ng sha256:"
                         "0000000000000000000000000000000000000000000000000000000000000000 /etc/shadow\n", NULL, &k);
        assert_int_equal(k, 0);
        assert_int_equal(cvm_replay_new(banks, 1, &r, NULL), 0);
        assert_int_equal(cvm_replay_add_log(r, log, NULL), 0);
        memset(ff, 0xff, sizeof(ff));
        assert_int_equal(cvm_extend(CVM_ALG_SHA256, reg, ff, NULL), 0);
        assert_memory_equal(cvm_replay_find(r, 10, CVM_ALG_SHA256)->digest, reg, 32);
        cvm_replay_free(r);
        cvm_eventlog_free(log);
}

/* The legacy "ima" template hashes the name NUL-padded to 256 bytes, without length prefixes. */
static void test_legacy_template(void **state) {
        uint8_t in[20 + 256] = { 0 }, th[20];
        char hex[41], fd[41], line[256];
        cvm_eventlog *log;
        struct json_object *o;
        int k;
        (void) state;

        memset(in, 0xab, 20);
        memcpy(in + 20, "/init", 5);
        assert_int_equal(cvm_digest(CVM_ALG_SHA1, in, sizeof(in), th, NULL), 0);
        snprintf(line, sizeof(line), "10 %s ima %s /init\n", cvm_hex(th, 20, hex), cvm_hex(in, 20, fd));
        log = parse_text(line, NULL, &k);
        assert_int_equal(k, 0);
        o = cvm_event_to_json(log, cvm_eventlog_event(log, 0));
        assert_true(json_object_get_boolean(json_object_object_get(o, "digest_matches_data")));
        json_object_put(o);
        cvm_eventlog_free(log);
}

/* ima-sig with and without a signature; ima-buf carries a hex buffer. */
static void test_sig_and_buf(void **state) {
        cvm_eventlog *log;
        struct json_object *a;
        cvm_error err = { 0 };
        int k;
        (void) state;

        log = parse_text("10 1111111111111111111111111111111111111111 ima-sig sha256:"
                         "2222222222222222222222222222222222222222222222222222222222222222 /usr/bin/a b 030204aabbcc\n"
                         "10 1111111111111111111111111111111111111111 ima-sig sha256:"
                         "2222222222222222222222222222222222222222222222222222222222222222 /usr/bin/c\n"
                         "10 1111111111111111111111111111111111111111 ima-buf sha256:"
                         "2222222222222222222222222222222222222222222222222222222222222222 kexec-cmdline 726f6f743d2f\n",
                         &err, &k);
        if (k < 0)
                fail_msg("%s", err.msg);
        a = cvm_eventlog_to_json(log, 0, 0);
        assert_string_equal(json_object_get_string(json_object_object_get(
                json_object_object_get(json_object_array_get_idx(a, 0), "details"), "file_name")), "/usr/bin/a b");
        assert_string_equal(json_object_get_string(json_object_object_get(
                json_object_object_get(json_object_array_get_idx(a, 0), "details"), "signature")), "030204aabbcc");
        assert_string_equal(json_object_get_string(json_object_object_get(
                json_object_object_get(json_object_array_get_idx(a, 1), "details"), "signature")), "");
        assert_string_equal(json_object_get_string(json_object_object_get(
                json_object_object_get(json_object_array_get_idx(a, 2), "details"), "buffer")), "726f6f743d2f");
        json_object_put(a);
        cvm_eventlog_free(log);
}

/* A binary ima-cgpath record (dep|cg-path|d-ng|n-ng): fields are named by the template, every bank replays. */
static void test_cgpath_binary(void **state) {
        static const char name[] = "ima-cgpath";
        const uint16_t banks[] = { CVM_ALG_SHA256 };
        uint8_t rec[512], td[256], *p = td, th[20];
        const char *fields[] = { "/usr/bin/containerd-shim:/usr/bin/runc", "/kubepods/pod42/c0ffee", NULL, "/bin/sh" };
        struct json_object *o, *d;
        cvm_eventlog *log = NULL;
        cvm_replay *r = NULL;
        size_t n;
        (void) state;

        for (int i = 0; i < 4; i++) {
                const uint8_t dng[] = "sha256:\0\x11\x22";
                size_t len = i == 2 ? sizeof(dng) - 1 : strlen(fields[i]) + 1;
                put32(p, (uint32_t) len);
                memcpy(p + 4, i == 2 ? (const void *) dng : (const void *) fields[i], len);
                p += 4 + len;
        }
        n = (size_t) (p - td);
        assert_int_equal(cvm_digest(CVM_ALG_SHA1, td, n, th, NULL), 0);
        put32(rec, 10);
        memcpy(rec + 4, th, 20);
        put32(rec + 24, sizeof(name) - 1);
        memcpy(rec + 28, name, sizeof(name) - 1);
        put32(rec + 28 + sizeof(name) - 1, (uint32_t) n);
        memcpy(rec + 32 + sizeof(name) - 1, td, n);
        assert_int_equal(cvm_eventlog_parse(rec, 32 + sizeof(name) - 1 + n, CVM_LOG_AUTO, &log, NULL), 0);
        o = cvm_event_to_json(log, cvm_eventlog_event(log, 0));
        d = json_object_object_get(o, "details");
        assert_string_equal(json_object_get_string(json_object_object_get(d, "cg-path")), fields[1]);
        assert_string_equal(json_object_get_string(json_object_object_get(d, "dep")), fields[0]);
        assert_string_equal(json_object_get_string(json_object_object_get(d, "file_digest")), "1122");
        assert_string_equal(json_object_get_string(json_object_object_get(d, "file_name")), "/bin/sh");
        assert_true(json_object_get_boolean(json_object_object_get(o, "digest_matches_data")));
        json_object_put(o);
        /* The cgroup accessor: the cg-path field without its NUL; a cut field is malformed; ima-ng has none. */
        {
                const struct cvm_event *ev = cvm_eventlog_event(log, 0);
                struct cvm_event cut = *ev, ng = *ev;
                uint8_t dg[32], want[32];
                const char *cg;
                size_t len;
                assert_int_equal(cvm_ima_event_cgroup(ev, &cg, &len), 0);
                assert_int_equal(len, strlen(fields[1]));
                assert_memory_equal(cg, fields[1], len);
                cut.data_len = 4 + strlen(fields[0]) + 1 + 6;
                assert_int_equal(cvm_ima_event_cgroup(&cut, &cg, &len), -EBADMSG);
                ng.template_name = "ima-ng";
                assert_int_equal(cvm_ima_event_cgroup(&ng, &cg, &len), -ENOENT);
                assert_int_equal(cvm_ima_event_digest(ev, CVM_ALG_SHA256, dg, NULL), 0);
                assert_int_equal(cvm_digest(CVM_ALG_SHA256, td, n, want, NULL), 0);
                assert_memory_equal(dg, want, 32);
                assert_int_equal(cvm_ima_event_digest(ev, CVM_ALG_SHA1, dg, NULL), 0);
                assert_memory_equal(dg, th, 20);
        }
        assert_int_equal(cvm_replay_new(banks, 1, &r, NULL), 0);
        assert_int_equal(cvm_replay_add_log(r, log, NULL), 0);
        assert_non_null(cvm_replay_find(r, 10, CVM_ALG_SHA256));
        cvm_replay_free(r);
        cvm_eventlog_free(log);
}

static void test_bad_lines(void **state) {
        static const char *const bad[] = {
                "10 1111111111111111111111111111111111111111 ima-ng sha1:00 /a\nx\n",
                "10 1111111111111111111111111111111111111111 ima-ng\n",
                "10 1111111111111111111111111111111111111111 ima-ng nohexhere /a\n",
                "10 111111111111111111111111111111111111111 ima-ng sha1:00 /a\n",
                "99999999999 1111111111111111111111111111111111111111 ima-ng sha1:00 /a\n",
                "10 1111111111111111111111111111111111111111 ima-buf sha1:00 name\n",
        };
        static const char *const where[] = { "line 2", "line 1", "line 1", "", "", "line 1" };
        cvm_error err;
        cvm_eventlog *log;
        int k;
        (void) state;

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                memset(&err, 0, sizeof(err));
                log = parse_text(bad[i], &err, &k);
                assert_true(k < 0);
                assert_null(log);
                if (!strstr(err.msg, where[i]))
                        fail_msg("bad line %zu: '%s'", i, err.msg);
        }
        static const char nul[] = "10 1111111111111111111111111111111111111111 ima-ng sha1:00 /a\0\n";
        assert_int_equal(cvm_eventlog_parse((const uint8_t *) nul, sizeof(nul) - 1, CVM_LOG_IMA_ASCII, &log, &err), -EBADMSG);
        assert_non_null(strstr(err.msg, "NUL"));
}

/* The last line without a newline, in a buffer of exactly its size: the PCR token must be parsed within its bytes
 * (valgrind saw strtoul read past the buffer). */
static void test_unterminated_last_token(void **state) {
        static const char *const lists[] = { "10", "4294967296", "1x", "+1", "10 " };
        (void) state;

        for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
                size_t len = strlen(lists[i]);
                uint8_t *buf = malloc(len);
                cvm_eventlog *log = NULL;
                cvm_error err = { 0 };

                assert_non_null(buf);
                memcpy(buf, lists[i], len);
                assert_int_equal(cvm_eventlog_parse(buf, len, CVM_LOG_IMA_ASCII, &log, &err), -EBADMSG);
                assert_null(log);
                if (!strstr(err.msg, "line 1: expected a"))
                        fail_msg("'%s': %s", lists[i], err.msg);
                free(buf);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_fixtures),
                cmocka_unit_test(test_binary_equals_ascii),
                cmocka_unit_test(test_violation),
                cmocka_unit_test(test_legacy_template),
                cmocka_unit_test(test_sig_and_buf),
                cmocka_unit_test(test_cgpath_binary),
                cmocka_unit_test(test_bad_lines),
                cmocka_unit_test(test_unterminated_last_token),
        };
        return cmocka_run_group_tests_name("ima", tests, NULL, NULL);
}
