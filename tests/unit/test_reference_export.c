/* SPDX-License-Identifier: Apache-2.0 */
/* cvm_reference_export: each format from a small manifest, the notes, and refusals naming the field. */
#include <json-c/json.h>
#include <openssl/evp.h>

#include "unit.h"

#define H256 "f3157cae24be813123f4098e2a5147c9ba3cb379ba4b313887fc801283345cc1"
#define H384 "b02d038ace04a82c451266f892cdfd9d21768cdf179da0a8881f9ba110a5dac9417be24939a11dd99bbb6b65fb007f77"
#define EVENT "{\\\"cvm\\\":1,\\\"kind\\\":\\\"policy\\\",\\\"path\\\":\\\"/etc/cvm/policy.yaml\\\",\\\"size\\\":10}"

static const char manifest[] =
        "{\"boot\": [{\"path\": \"/boot/vmlinuz\", \"kind\": \"kernel\", \"sha256\": \"" H256 "\"}],"
        " \"cmdline\": \"BOOT_IMAGE=/boot/vmlinuz root=/dev/vda1 ro\","
        " \"reference_values\": {\"measurer\": true,"
        "  \"tdx\": {\"events\": [{\"index\": 4, \"sha384\": \"" H384 "\", \"data\": \"" EVENT "\"}],"
        "          \"registers\": [{\"index\": 4, \"alg\": \"sha384\", \"digest\": \"" H384 "\"}]},"
        "  \"tpm\": {\"events\": [{\"index\": 23, \"sha256\": \"" H256 "\", \"data\": \"" EVENT "\"}],"
        "          \"registers\": [{\"index\": 23, \"alg\": \"sha256\", \"digest\": \"" H256 "\"}]}}}";

static struct json_object *export(const char *text, enum cvm_rv_format fmt, const struct cvm_rv_subject *s, cvm_error *err) {
        struct json_object *o = NULL;
        int r = cvm_reference_export((const uint8_t *) text, strlen(text), "m.json", fmt, s, NULL, &o, err);
        return r == 0 ? o : NULL;
}

static const char *at(struct json_object *o, const char *k1, const char *k2) {
        struct json_object *v = json_object_object_get(o, k1);
        return json_object_get_string(k2 ? json_object_object_get(v, k2) : v);
}

static void test_rvps(void **state) {
        struct json_object *o = export(manifest, CVM_RV_RVPS, NULL, NULL), *p;
        uint8_t payload[1024];
        int n;
        (void) state;

        assert_non_null(o);
        assert_string_equal(at(o, "type", NULL), "sample");
        assert_string_equal(at(o, "version", NULL), "0.1.0");
        n = EVP_DecodeBlock(payload, (const unsigned char *) at(o, "payload", NULL), (int) strlen(at(o, "payload", NULL)));
        assert_true(n > 0);
        payload[n] = 0;
        p = json_tokener_parse((const char *) payload);
        assert_non_null(p);
        assert_string_equal(json_object_get_string(json_object_array_get_idx(json_object_object_get(p, "rtmr_3"), 0)), H384);
        assert_string_equal(json_object_get_string(json_object_array_get_idx(json_object_object_get(p, "tpm_pcr23"), 0)), H256);
        assert_null(json_object_object_get(p, "tpm_pcr16"));
        json_object_put(p);
        json_object_put(o);
}

static void test_keylime(void **state) {
        struct json_object *o = export(manifest, CVM_RV_KEYLIME, NULL, NULL);
        struct json_object *k;
        (void) state;

        assert_non_null(o);
        assert_string_equal(at(o, "tpm_policy", "mask"), "0x800000");
        k = json_object_array_get_idx(json_object_object_get(json_object_object_get(o, "mb_refstate"), "kernels"), 0);
        assert_string_equal(at(k, "vmlinuz_plain_sha256", NULL), "0x" H256);
        assert_string_equal(at(k, "kernel_cmdline", NULL), "/boot/vmlinuz\\ root=/dev/vda1\\ ro");
        assert_null(json_object_object_get(k, "initrd_plain_sha256"));
        json_object_put(o);
}

static void test_in_toto(void **state) {
        struct cvm_rv_subject s = { "/out/image.qcow2", H256 };
        struct json_object *o;
        cvm_error err = { 0 };
        (void) state;

        assert_null(export(manifest, CVM_RV_IN_TOTO, NULL, &err));
        assert_non_null(strstr(err.msg, "--subject"));
        o = export(manifest, CVM_RV_IN_TOTO, &s, NULL);
        assert_non_null(o);
        assert_string_equal(at(o, "_type", NULL), "https://in-toto.io/Statement/v1");
        assert_string_equal(at(json_object_array_get_idx(json_object_object_get(o, "subject"), 0), "name", NULL), "image.qcow2");
        assert_non_null(json_object_object_get(json_object_object_get(o, "predicate"), "reference_values"));
        json_object_put(o);
}

static void test_refused(void **state) {
        cvm_error err = { 0 };
        char bad[sizeof(manifest) + 16];
        enum cvm_rv_format f;
        (void) state;

        assert_int_equal(cvm_rv_format_from_name("spdx", &f), -EINVAL);
        assert_int_equal(cvm_rv_format_from_name("in-toto", &f), 0);
        assert_int_equal(f, CVM_RV_IN_TOTO);
        assert_null(export("{\"reference", CVM_RV_RVPS, NULL, &err));
        assert_non_null(strstr(err.msg, "not JSON"));
        snprintf(bad, sizeof(bad), "%s", manifest);
        memcpy(strstr(bad, "\"kernel\""), "[123456]", 8);    /* boot[0].kind becomes an array */
        assert_null(export(bad, CVM_RV_KEYLIME, NULL, &err));
        assert_non_null(strstr(err.msg, "boot[0]"));
        for (size_t cut = 1; cut < sizeof(manifest) - 1; cut += 7) {
                int r = cvm_reference_export((const uint8_t *) manifest, cut, "m.json", CVM_RV_RVPS, NULL, NULL,
                                             &(struct json_object *) { NULL }, &err);
                if (r != -EINVAL)
                        fail_msg("cut %zu: %d %s", cut, r, err.msg);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_rvps),
                cmocka_unit_test(test_keylime),
                cmocka_unit_test(test_in_toto),
                cmocka_unit_test(test_refused),
        };
        return cmocka_run_group_tests_name("reference_export", tests, NULL, NULL);
}
