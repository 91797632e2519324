/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The streamed JSON and CEL-JSON dumps equal, byte for byte, what json-c
 * prints for the trees cvm_eventlog_to_json and cvm_eventlog_to_cel_json
 * build (the CLI printed those before it streamed): on every event log among
 * the fixtures, over several ranges, and on a made log whose strings need
 * every escape.
 */
#include <dirent.h>

#include <json-c/json.h>

#include "unit.h"

#define PRINT_FLAGS (JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE)

typedef int (*stream_fn)(FILE *f, const cvm_eventlog *log, size_t start, size_t count);
typedef struct json_object *(*tree_fn)(const cvm_eventlog *log, size_t start, size_t count);

static void assert_same(const cvm_eventlog *log, size_t start, size_t count, stream_fn stream, tree_fn tree) {
        struct json_object *t = tree(log, start, count);
        char *buf = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&buf, &len);

        assert_non_null(t);
        assert_non_null(m);
        assert_int_equal(stream(m, log, start, count), 0);
        assert_int_equal(fclose(m), 0);
        assert_string_equal(buf, json_object_to_json_string_ext(t, PRINT_FLAGS));
        free(buf);
        json_object_put(t);
}

static void assert_all_ranges(const cvm_eventlog *log) {
        size_t n = cvm_eventlog_count(log);
        const size_t ranges[][2] = { { 0, 0 }, { 1, 0 }, { 0, 1 }, { n / 2, 3 }, { n, 0 }, { n + 5, 2 } };

        for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
                assert_same(log, ranges[i][0], ranges[i][1], cvm_eventlog_write_json, cvm_eventlog_to_json);
                assert_same(log, ranges[i][0], ranges[i][1], cvm_eventlog_write_cel_json, cvm_eventlog_to_cel_json);
        }
}

static void test_every_fixture(void **state) {
        const char *dir = getenv("FIXTURES") && *getenv("FIXTURES") ? getenv("FIXTURES") : FIXTURES;
        DIR *d = opendir(dir);
        struct dirent *de;
        int logs = 0;
        (void) state;

        assert_non_null(d);
        while ((de = readdir(d))) {
                cvm_eventlog *log = NULL;

                if (de->d_name[0] == '.' || cvm_eventlog_load(fixture(de->d_name), CVM_LOG_AUTO, &log, NULL) < 0)
                        continue;
                assert_all_ranges(log);
                cvm_eventlog_free(log);
                logs++;
        }
        closedir(d);
        assert_true(logs >= 8);
}

/* Data with quotes, backslashes, slashes, every control byte and bytes >= 0x7f; an unnamed type. */
static void test_escapes(void **state) {
        const struct cvm_log_alg algs[] = { { CVM_ALG_SHA256, 32 }, { CVM_ALG_SHA1, 20 } };
        uint8_t d256[32] = { 1 }, d1[20] = { 2 };
        const struct cvm_event_digest dig[] = { { CVM_ALG_SHA256, 32, d256 }, { CVM_ALG_SHA1, 20, d1 } };
        const uint32_t types[] = { CVM_EV_IPL, 0x0D, 0x80000001, 0x7654321, 0x00000005 };
        char data[256];
        cvm_eventlog *log = NULL;
        (void) state;

        for (int i = 0; i < 256; i++)
                data[i] = (char) (i == 0 ? '/' : i);
        assert_int_equal(cvm_eventlog_new_tcg2(CVM_SPACE_PCR, algs, 2, &log, NULL), 0);
        for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
                assert_int_equal(cvm_eventlog_append(log, 4, types[t], dig, 2, data, sizeof(data), NULL), 0);
                assert_int_equal(cvm_eventlog_append(log, 9, types[t], dig, 2, "\"\\/x\n\x1f", 6, NULL), 0);
        }
        assert_all_ranges(log);
        cvm_eventlog_free(log);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_every_fixture),
                cmocka_unit_test(test_escapes),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
