/* SPDX-License-Identifier: Apache-2.0 */
/* Verify's matching (cvm/verify.h): a runtime log against a manifest's events and registers, and the manifest's checks. */
#include <json-c/json.h>

#include "cvm/verify.h"
#include "cvmbase/base.h"
#include "unit.h"

#define POLICY                                          \
        "version: 1\n"                                  \
        "groups:\n"                                     \
        "  - name: g\n"                                 \
        "    class: os\n"                               \
        "    items:\n"                                  \
        "      - string: alpha\n"                       \
        "      - string: beta\n"

static const uint16_t sha256 = CVM_ALG_SHA256;

/* This boot: the measurer's events for POLICY in the TPM space, as the runtime log it writes. */
struct boot {
        struct cvm_measurement *m;
        cvm_eventlog *log;
        struct cvm_register_value reg;  /* PCR23 as the events replay */
};

static int boot_setup(void **state) {
        struct cvm_measure_options o = { .root = "/", .space = CVM_SPACE_PCR, .banks = &sha256, .nbanks = 1 };
        struct boot *b = calloc(1, sizeof(*b));
        struct cvm_policy *p = NULL;
        const struct cvm_register_value *v;
        cvm_replay *r = NULL;

        if (!b || cvm_policy_parse((const uint8_t *) POLICY, strlen(POLICY), "p.yaml", &p, NULL) < 0 ||
            cvm_measure_compute(p, &o, &b->m, NULL) < 0 || cvm_measurement_to_log(b->m, &o, &b->log, NULL) < 0 ||
            cvm_replay_new(&sha256, 1, &r, NULL) < 0 || cvm_replay_add_log(r, b->log, NULL) < 0 ||
            !(v = cvm_replay_find(r, 23, CVM_ALG_SHA256)))
                return -1;
        b->reg = *v;
        cvm_replay_free(r);
        cvm_policy_free(p);
        *state = b;
        return 0;
}

static int boot_teardown(void **state) {
        struct boot *b = *state;

        cvm_eventlog_free(b->log);
        cvm_measurement_free(b->m);
        free(b);
        return 0;
}

static struct json_object *event_json(const struct cvm_measure_event *ev) {
        struct json_object *o = json_object_new_object();
        char hex[2 * CVM_DIGEST_MAX + 1];

        json_object_object_add(o, "index", json_object_new_int64(ev->index));
        json_object_object_add(o, "data", json_object_new_string(ev->data));
        json_object_object_add(o, "sha256", json_object_new_string(cvm_hex(ev->digests[0].bytes, 32, hex)));
        return o;
}

/* A manifest predicting the boot's events (skip: one left out, or none with SIZE_MAX) and PCR23 = reg_hex. */
static char *manifest(const struct boot *b, size_t skip, const char *reg_hex) {
        struct json_object *top = json_object_new_object(), *rv = json_object_new_object(), *tpm = json_object_new_object();
        struct json_object *events = json_object_new_array(), *regs = json_object_new_array(), *reg = json_object_new_object();
        char *s;

        for (size_t i = 0; i < b->m->nevents; i++)
                if (i != skip)
                        json_object_array_add(events, event_json(&b->m->events[i]));
        json_object_object_add(reg, "index", json_object_new_int(23));
        json_object_object_add(reg, "alg", json_object_new_string("sha256"));
        json_object_object_add(reg, "digest", json_object_new_string(reg_hex));
        json_object_array_add(regs, reg);
        json_object_object_add(tpm, "events", events);
        json_object_object_add(tpm, "registers", regs);
        json_object_object_add(rv, "measurer", json_object_new_boolean(1));
        json_object_object_add(rv, "tpm", tpm);
        json_object_object_add(top, "reference_values", rv);
        s = strdup(json_object_to_json_string_ext(top, JSON_C_TO_STRING_PLAIN));
        json_object_put(top);
        assert_non_null(s);
        return s;
}

static void verify(const char *text, const cvm_eventlog *log, struct cvm_verify_result *res) {
        cvm_reference *ref = NULL;
        cvm_error err = { 0 };

        assert_int_equal(cvm_reference_parse((const uint8_t *) text, strlen(text), "m.json", CVM_SPACE_PCR, &ref, &err), 0);
        assert_int_equal(cvm_reference_alg(ref), CVM_ALG_SHA256);
        assert_int_equal(cvm_verify_log(ref, log, res, &err), 0);
        cvm_reference_free(ref);
}

static const char *reg_hex(const struct boot *b, char *hex) {
        return cvm_hex(b->reg.digest, b->reg.size, hex);
}

static size_t find_event(const struct boot *b, const char *item) {
        for (size_t i = 0; i < b->m->nevents; i++)
                if (strcmp(b->m->events[i].item, item) == 0)
                        return i;
        fail_msg("no event %s", item);
        return SIZE_MAX;
}

static void test_match(void **state) {
        struct boot *b = *state;
        struct cvm_verify_result res = { 0 };
        char hex[2 * CVM_DIGEST_MAX + 1];
        _cleanup_free_ char *m = manifest(b, SIZE_MAX, reg_hex(b, hex));

        verify(m, b->log, &res);
        assert_int_equal(res.nfindings, 0);
        assert_int_equal(res.expected_events, b->m->nevents);
        assert_int_equal(res.matched_events, b->m->nevents);
        assert_int_equal(res.registers_checked, 1);
        cvm_verify_result_clear(&res);
}

static void test_extra_event_and_register(void **state) {
        struct boot *b = *state;
        struct cvm_verify_result res = { 0 };
        size_t beta = find_event(b, "beta");
        _cleanup_free_ char *m = manifest(b, beta, "00000000000000000000000000000000000000000000000000000000000000ff");
        bool extra = false, reg = false;

        verify(m, b->log, &res);
        for (size_t i = 0; i < res.nfindings; i++) {
                const struct cvm_finding *f = &res.findings[i];
                if (f->kind == CVM_FINDING_EXTRA && f->subject && strcmp(f->subject, "beta") == 0)
                        extra = strcmp(f->got_kind, "string") == 0;
                if (f->kind == CVM_FINDING_REGISTER)
                        reg = f->index == 23 && strcmp(f->basis, "log") == 0 && f->expected[63] == 'f';
        }
        assert_true(extra && reg);
        assert_int_equal(res.nfindings, 2);
        assert_int_equal(res.matched_events, b->m->nevents - 1);
        cvm_verify_result_clear(&res);
}

static void test_changed_and_missing(void **state) {
        struct boot *b = *state;
        struct cvm_verify_result res = { 0 };
        char hex[2 * CVM_DIGEST_MAX + 1];
        _cleanup_free_ char *m = manifest(b, SIZE_MAX, reg_hex(b, hex));
        char *alpha = strstr(m, "alpha"), *digest;
        const char *gamma = "{\"index\":23,\"data\":\"{\\\"cvm\\\":1,\\\"kind\\\":\\\"string\\\",\\\"value\\\":\\\"gamma\\\"}\","
                            "\"sha256\":\"1111111111111111111111111111111111111111111111111111111111111111\"},";
        _cleanup_free_ char *more = NULL;
        bool changed = false, missing = false;

        /* alpha's predicted digest flips one digit: changed; a gamma never logged: missing. */
        assert_non_null(alpha);
        digest = strstr(alpha, "\"sha256\":\"") + 10;
        *digest = *digest == '0' ? '1' : '0';
        assert_true(asprintf(&more, "%.*s%s%s", (int) (strstr(m, "[{") + 1 - m), m, gamma, strstr(m, "[{") + 1) > 0);
        verify(more, b->log, &res);
        for (size_t i = 0; i < res.nfindings; i++) {
                const struct cvm_finding *f = &res.findings[i];
                changed |= f->kind == CVM_FINDING_CHANGED && strcmp(f->subject, "alpha") == 0 && f->expected[0] == *digest;
                missing |= f->kind == CVM_FINDING_MISSING && strcmp(f->subject, "gamma") == 0 && f->got_kind == NULL;
        }
        assert_true(changed && missing);
        assert_int_equal(res.expected_events, b->m->nevents + 1);
        cvm_verify_result_clear(&res);
}

static void test_live_register(void **state) {
        struct boot *b = *state;
        struct cvm_verify_result res = { 0 };
        char hex[2 * CVM_DIGEST_MAX + 1];
        _cleanup_free_ char *m = manifest(b, SIZE_MAX, reg_hex(b, hex));
        uint8_t other[32] = { 1 };
        cvm_reference *ref = NULL;
        const uint32_t *regs;

        assert_int_equal(cvm_reference_parse((const uint8_t *) m, strlen(m), "m.json", CVM_SPACE_PCR, &ref, NULL), 0);
        assert_int_equal(cvm_reference_registers(ref, &regs), 1);
        assert_int_equal(regs[0], 23);
        /* The live value equals the manifest's: nothing to report. */
        assert_int_equal(cvm_verify_register(ref, 23, b->reg.digest, 32, NULL, 0, &res, NULL), 0);
        assert_int_equal(res.nfindings, 0);
        /* It differs: against the manifest ("live"), or the replay of every log when others extend it. */
        assert_int_equal(cvm_verify_register(ref, 23, other, 32, NULL, 0, &res, NULL), 0);
        assert_int_equal(cvm_verify_register(ref, 23, other, 32, b->reg.digest, 32, &res, NULL), 0);
        assert_int_equal(res.nfindings, 2);
        assert_string_equal(res.findings[0].basis, "live");
        assert_string_equal(res.findings[1].basis, "live-vs-logs");
        assert_string_equal(res.findings[1].expected, hex);
        cvm_verify_result_clear(&res);
        cvm_reference_free(ref);
}

static void refused(const char *text, const char *want) {
        cvm_reference *ref = NULL;
        cvm_error err = { 0 };

        assert_int_equal(cvm_reference_parse((const uint8_t *) text, strlen(text), "m.json", CVM_SPACE_PCR, &ref, &err), -EINVAL);
        assert_null(ref);
        if (!strstr(err.msg, want))
                fail_msg("'%s' does not hold '%s'", err.msg, want);
}

static void test_manifest_checks(void **state) {
        (void) state;

        refused("[]", "m.json: no reference_values");
        refused("{\"reference_values\": 1}", "reference_values: expected an object");
        refused("{\"reference_values\": {\"measurer\": false}}", "no measurer policy");
        refused("{\"reference_values\": {\"measurer\": true, \"tpm\": {\"events\": [], \"registers\": 3}}}",
                "reference_values.tpm.registers: expected an array");
        refused("{\"reference_values\": {\"measurer\": true, \"tpm\": {\"events\": [{\"index\": 24}], \"registers\": []}}}",
                "reference_values.tpm.events[0].index: expected an integer from 0 to 23, got 24");
        refused("{\"reference_values\": {\"measurer\": true, \"tpm\": {\"events\": [], \"registers\": "
                "[{\"index\": 1, \"alg\": \"sha256\", \"digest\": \"abc\"}]}}}",
                "reference_values.tpm.registers[0].digest: expected a sha256 digest (64 hex digits)");
        refused("{\"reference_values\": {\"measurer\": true, \"tpm\": {\"events\": [{\"index\": 1, \"data\": \"x\", "
                "\"sha256\": \"0000000000000000000000000000000000000000000000000000000000000000\"}], \"registers\": []}}}",
                "events[0].data: expected a measurer event");
        refused("{\"reference_values\": {} } x", "not JSON");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_match),
                cmocka_unit_test(test_extra_event_and_register),
                cmocka_unit_test(test_changed_and_missing),
                cmocka_unit_test(test_live_register),
                cmocka_unit_test(test_manifest_checks),
        };
        return cmocka_run_group_tests(tests, boot_setup, boot_teardown);
}
