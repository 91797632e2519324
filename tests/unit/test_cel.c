/* SPDX-License-Identifier: Apache-2.0 */
/* TCG CEL-TLV: the two upstream snippets, hostile TLVs, and the CEL-JSON view. */
#include <json-c/json.h>

#include "unit.h"

static void test_ima_template_snippet(void **state) {
        cvm_eventlog *log = NULL;
        const struct cvm_event *ev;
        (void) state;

        assert_int_equal(cvm_eventlog_load(fixture("cel-whooo-tlv_ima_template.tlv.bin"), CVM_LOG_AUTO, &log, NULL), 0);
        assert_int_equal(cvm_eventlog_format(log), CVM_LOG_CEL_TLV);
        assert_int_equal(cvm_eventlog_count(log), 1);
        ev = cvm_eventlog_event(log, 0);
        assert_int_equal(ev->recnum, 0);
        assert_int_equal(ev->index, 1);
        assert_int_equal(ev->content, CVM_CONTENT_IMA);
        assert_string_equal(ev->template_name, "eat");
        assert_int_equal(ev->data_len, 7);
        assert_memory_equal(ev->data, "falafel", 7);
        assert_int_equal(ev->ndigests, 1);
        assert_int_equal(ev->digests[0].alg, CVM_ALG_SHA1);
        cvm_eventlog_free(log);
}

static void test_pcclient_snippet(void **state) {
        cvm_eventlog *log = NULL;
        struct json_object *cel, *rec;
        const struct cvm_event *ev;
        (void) state;

        assert_int_equal(cvm_eventlog_load(fixture("cel-whooo-tlv_pcclient_std.tlv.bin"), CVM_LOG_AUTO, &log, NULL), 0);
        ev = cvm_eventlog_event(log, 0);
        assert_int_equal(ev->content, CVM_CONTENT_PCCLIENT);
        assert_int_equal(ev->type, 0x800000e2);
        assert_memory_equal(ev->data, "falafel", 7);
        cel = cvm_eventlog_to_cel_json(log, 0, 0);
        rec = json_object_array_get_idx(cel, 0);
        assert_int_equal(json_object_get_int(json_object_object_get(rec, "recnum")), 0);
        assert_int_equal(json_object_get_int(json_object_object_get(rec, "pcr")), 1);
        assert_string_equal(json_object_get_string(json_object_object_get(rec, "content_type")), "pcclient_std");
        assert_string_equal(json_object_get_string(json_object_object_get(json_object_object_get(rec, "content"), "event_data")),
                            "66616c6166656c");
        assert_string_equal(json_object_get_string(json_object_object_get(
                json_object_array_get_idx(json_object_object_get(rec, "digests"), 0), "hashAlg")), "sha1");
        json_object_put(cel);
        cvm_eventlog_free(log);
}

/* Every cut of the snippet is an error naming an offset; a wrong-length digest is refused. */
static void test_hostile(void **state) {
        size_t len;
        uint8_t *buf = slurp(fixture("cel-whooo-tlv_pcclient_std.tlv.bin"), &len);
        cvm_eventlog *log = NULL;
        cvm_error err;
        (void) state;

        for (size_t cut = 1; cut < len; cut++) {
                memset(&err, 0, sizeof(err));
                assert_true(cvm_eventlog_parse(buf, cut, CVM_LOG_CEL_TLV, &log, &err) < 0);
                assert_non_null(strstr(err.msg, "offset"));
        }
        buf[0x15] = 0x13;      /* the SHA-1 digest TLV now claims 19 bytes */
        assert_true(cvm_eventlog_parse(buf, len, CVM_LOG_CEL_TLV, &log, &err) < 0);
        buf[0x15] = 0x14;
        buf[0x11] = 0x0b;      /* digest TLV type: sha256, but 20 bytes */
        assert_int_equal(cvm_eventlog_parse(buf, len, CVM_LOG_CEL_TLV, &log, &err), -EBADMSG);
        assert_non_null(strstr(err.msg, "expected 32"));
        free(buf);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_ima_template_snippet),
                cmocka_unit_test(test_pcclient_snippet),
                cmocka_unit_test(test_hostile),
        };
        return cmocka_run_group_tests_name("cel", tests, NULL, NULL);
}
