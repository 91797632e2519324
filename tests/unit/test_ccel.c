/* SPDX-License-Identifier: Apache-2.0 */
/* TDX CCEL: the real OVMF log, detection of CCEL variants, the ACPI table. */
#include <json-c/json.h>

#include "unit.h"

static const char *const ccel_rtmr[3] = {
        "8566f998798db09443b244c62de9a3041fb02e2e6936c4396d784bba2e90177329ec5aba3bb484404f2ab9cc90abe193",
        "775b9f6bfe99f8a31396f0d0218e67ffa796d3b96ccf961cbb0deba48c79c00f082cda1a5567c1c16305f1fc210c13c6",
        "94eaf7a7bf398ed8d888c91057ae0261802e4f3df084213a76ca7f0b5055ac9d2241de43cd58d9e8b49c503bbf25f34a",
};

static void test_fixture_replay(void **state) {
        const char *const *w;
        cvm_eventlog *log = NULL;
        cvm_replay *r;
        size_t nw;
        bool dup = false;
        (void) state;

        assert_int_equal(cvm_eventlog_load(fixture("ccel-trustee-CCEL_data_ovmf.bin"), CVM_LOG_AUTO, &log, NULL), 0);
        assert_int_equal(cvm_eventlog_format(log), CVM_LOG_CCEL);
        assert_int_equal(cvm_eventlog_space(log), CVM_SPACE_CCMR);
        assert_false(cvm_eventlog_truncated(log));
        r = replay_of(log);
        for (uint32_t i = 0; i < 3; i++) {
                const struct cvm_register_value *v = cvm_replay_find(r, (uint32_t) cvm_rtmr_to_ccmr(i), CVM_ALG_SHA384);
                assert_non_null(v);
                assert_hex_equal(v->digest, 48, ccel_rtmr[i]);
        }
        /* RTMR3 = 0 per the source: nothing in the firmware log extends it. */
        assert_null(cvm_replay_find(r, 4, CVM_ALG_SHA384));
        /* Real TDVF logs a second EV_SEPARATOR on RTMR0: replayed as recorded, reported. */
        nw = cvm_eventlog_warnings(log, &w);
        for (size_t i = 0; i < nw; i++)
                dup |= strstr(w[i], "second EV_SEPARATOR on RTMR0") != NULL;
        assert_true(dup);
        cvm_replay_free(r);
        cvm_eventlog_free(log);
}

/* The 20 events trustee's parser reports: index, type name, SHA-384 digest and data, in order. */
static void test_fixture_events(void **state) {
        struct json_object *expected = json_object_from_file(fixture("ccel-trustee-CCEL_data_ovmf.expected.json"));
        struct json_object *events, *ours;
        cvm_eventlog *log = NULL;
        (void) state;

        assert_non_null(expected);
        assert_true(json_object_object_get_ex(expected, "uefi_event_logs", &events));
        assert_int_equal(cvm_eventlog_load(fixture("ccel-trustee-CCEL_data_ovmf.bin"), CVM_LOG_AUTO, &log, NULL), 0);
        /* Ours also lists the Spec ID header as event 0. */
        assert_int_equal(cvm_eventlog_count(log), json_object_array_length(events) + 1);
        ours = cvm_eventlog_to_json(log, 1, 0);
        assert_int_equal(json_object_array_length(ours), json_object_array_length(events));
        for (size_t i = 0; i < json_object_array_length(events); i++) {
                struct json_object *e = json_object_array_get_idx(events, i), *o = json_object_array_get_idx(ours, i);
                struct json_object *ed = json_object_array_get_idx(json_object_object_get(e, "digests"), 0);
                struct json_object *od = json_object_array_get_idx(json_object_object_get(o, "digests"), 0);

                assert_int_equal(json_object_get_int(json_object_object_get(e, "index")),
                                 json_object_get_int(json_object_object_get(o, "index")));
                assert_string_equal(json_object_get_string(json_object_object_get(e, "type_name")),
                                    json_object_get_string(json_object_object_get(o, "type_name")));
                assert_string_equal(json_object_get_string(json_object_object_get(ed, "digest")),
                                    json_object_get_string(json_object_object_get(od, "digest")));
                assert_string_equal(json_object_get_string(json_object_object_get(od, "alg")), "sha384");
                assert_string_equal(json_object_get_string(json_object_object_get(e, "event")),
                                    json_object_get_string(json_object_object_get(o, "data")));
        }
        assert_string_equal(json_object_get_string(json_object_object_get(json_object_array_get_idx(ours, 0), "name")), "RTMR0");
        json_object_put(ours);
        json_object_put(expected);
        cvm_eventlog_free(log);
}

/* A td-shim style log: header on index 0, SHA-384 only; 0xFF padding decides. */
static void test_detect_td_shim(void **state) {
        const struct cvm_log_alg algs[] = { { CVM_ALG_SHA384, 48 } };
        uint8_t d[48] = { 1 }, *buf, *padded;
        struct cvm_event_digest dig = { CVM_ALG_SHA384, 48, d };
        enum cvm_log_format fmt;
        cvm_eventlog *log = NULL;
        char why[256];
        size_t len;
        (void) state;

        assert_int_equal(cvm_eventlog_new_tcg2(CVM_SPACE_CCMR, algs, 1, &log, NULL), 0);
        assert_int_equal(cvm_eventlog_append(log, 3, CVM_EV_EVENT_TAG, &dig, 1, "kernel", 6, NULL), 0);
        assert_int_equal(cvm_eventlog_write_tcg2(log, &buf, &len, NULL), 0);
        cvm_eventlog_free(log);

        assert_int_equal(cvm_eventlog_detect(buf, len, CVM_LOG_AUTO, &fmt, why, sizeof(why), NULL), 0);
        assert_int_equal(fmt, CVM_LOG_CCEL);   /* header on index 1, as written */
        buf[0] = 0;
        assert_int_equal(cvm_eventlog_detect(buf, len, CVM_LOG_AUTO, &fmt, why, sizeof(why), NULL), 0);
        assert_int_equal(fmt, CVM_LOG_TCG2);
        assert_non_null(strstr(why, "ambiguous"));
        padded = malloc(len + 512);
        assert_non_null(padded);
        memcpy(padded, buf, len);
        memset(padded + len, 0xff, 512);
        assert_int_equal(cvm_eventlog_detect(padded, len + 512, CVM_LOG_AUTO, &fmt, why, sizeof(why), NULL), 0);
        assert_int_equal(fmt, CVM_LOG_CCEL);
        assert_non_null(strstr(why, "td-shim"));
        assert_int_equal(cvm_eventlog_parse(padded, len + 512, CVM_LOG_AUTO, &log, NULL), 0);
        assert_int_equal(cvm_eventlog_count(log), 2);
        assert_int_equal(cvm_eventlog_event(log, 1)->index, 3);
        cvm_eventlog_free(log);
        free(padded);
        free(buf);
}

static void make_table(uint8_t t[56]) {
        uint8_t sum = 0;
        memset(t, 0, 56);
        memcpy(t, "CCEL", 4);
        t[4] = 56;
        t[8] = 1;
        t[36] = CVM_CC_TYPE_TDX;
        t[41] = 0x00; t[42] = 0x01;           /* LAML 0x10000 */
        t[50] = 0xbe; t[51] = 0x7f;           /* LASA 0x7fbe0000 */
        for (int i = 0; i < 56; i++)
                sum = (uint8_t) (sum + t[i]);
        t[9] = (uint8_t) -sum;
}

static void test_ccel_table(void **state) {
        struct cvm_ccel_table tab;
        cvm_error err = { 0 };
        uint8_t t[56];
        (void) state;

        make_table(t);
        assert_int_equal(cvm_ccel_table_parse(t, 56, &tab, &err), 0);
        assert_int_equal(tab.cc_type, CVM_CC_TYPE_TDX);
        assert_int_equal(tab.laml, 0x10000);
        assert_int_equal(tab.lasa, 0x7fbe0000);
        assert_int_equal(cvm_ccel_table_parse(t, 40, &tab, &err), -EBADMSG);
        t[50] ^= 1;
        assert_int_equal(cvm_ccel_table_parse(t, 56, &tab, &err), -EBADMSG);
        assert_non_null(strstr(err.msg, "checksum"));
        make_table(t);
        t[0] = 'X';
        assert_int_equal(cvm_ccel_table_parse(t, 56, &tab, &err), -EBADMSG);
        assert_non_null(strstr(err.msg, "signature"));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_fixture_replay),
                cmocka_unit_test(test_fixture_events),
                cmocka_unit_test(test_detect_td_shim),
                cmocka_unit_test(test_ccel_table),
        };
        return cmocka_run_group_tests_name("ccel", tests, NULL, NULL);
}
