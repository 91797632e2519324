/* SPDX-License-Identifier: Apache-2.0 */
/* Verify's instance class (cvm/verify.h): per-instance state is reported, not a mismatch; pinned and secret groups. */
#include <json-c/json.h>

#include "cvm/verify.h"
#include "cvmbase/base.h"
#include "unit.h"

#define POLICY                                          \
        "version: 1\n"                                  \
        "groups:\n"                                     \
        "  - name: os\n"                                \
        "    class: os\n"                               \
        "    items:\n"                                  \
        "      - string: alpha\n"                       \
        "  - name: inst\n"                              \
        "    class: instance\n"                         \
        "    items:\n"                                  \
        "      - string: host\n"                        \
        "  - name: pinned\n"                            \
        "    class: instance\n"                         \
        "    must_not_change: true\n"                   \
        "    items:\n"                                  \
        "      - string: pin\n"                         \
        "  - name: keys\n"                              \
        "    class: instance\n"                         \
        "    secret: true\n"                            \
        "    items:\n"                                  \
        "      - string: shadow\n"

static const uint16_t sha256 = CVM_ALG_SHA256;
static const struct cvm_measure_options opts = { .root = "/", .space = CVM_SPACE_PCR, .banks = &sha256, .nbanks = 1 };

/* The image's events (what the manifest predicts) and PCR23 as they replay. */
struct image {
        struct cvm_measurement *m;
        char reg[2 * CVM_DIGEST_MAX + 1];
};

static void replay23(const cvm_eventlog *log, uint8_t *out) {
        cvm_replay *r = NULL;
        const struct cvm_register_value *v;

        assert_int_equal(cvm_replay_new(&sha256, 1, &r, NULL), 0);
        assert_int_equal(cvm_replay_add_log(r, log, NULL), 0);
        assert_non_null(v = cvm_replay_find(r, 23, CVM_ALG_SHA256));
        memcpy(out, v->digest, 32);
        cvm_replay_free(r);
}

static int image_setup(void **state) {
        struct image *im = calloc(1, sizeof(*im));
        struct cvm_policy *p = NULL;
        cvm_eventlog *log = NULL;
        uint8_t reg[32];

        if (!im || cvm_policy_parse((const uint8_t *) POLICY, strlen(POLICY), "p.yaml", &p, NULL) < 0 ||
            cvm_measure_compute(p, &opts, &im->m, NULL) < 0 || cvm_measurement_to_log(im->m, &opts, &log, NULL) < 0)
                return -1;
        replay23(log, reg);
        cvm_hex(reg, 32, im->reg);
        cvm_eventlog_free(log);
        cvm_policy_free(p);
        *state = im;
        return 0;
}

static int image_teardown(void **state) {
        struct image *im = *state;

        cvm_measurement_free(im->m);
        free(im);
        return 0;
}

static struct cvm_measure_event *event(const struct image *im, const char *item) {
        for (size_t i = 0; i < im->m->nevents; i++)
                if (strcmp(im->m->events[i].item, item) == 0)
                        return &im->m->events[i];
        fail_msg("no event %s", item);
        return NULL;
}

/* The manifest: every event of the image and PCR23. */
static cvm_reference *reference(const struct image *im) {
        struct json_object *top = json_object_new_object(), *rv = json_object_new_object(), *tpm = json_object_new_object();
        struct json_object *events = json_object_new_array(), *regs = json_object_new_array(), *reg = json_object_new_object();
        cvm_reference *ref = NULL;
        const char *s;

        for (size_t i = 0; i < im->m->nevents; i++) {
                const struct cvm_measure_event *ev = &im->m->events[i];
                struct json_object *o = json_object_new_object();
                char hex[2 * CVM_DIGEST_MAX + 1];
                json_object_object_add(o, "index", json_object_new_int64(ev->index));
                json_object_object_add(o, "data", json_object_new_string(ev->data));
                json_object_object_add(o, "sha256", json_object_new_string(cvm_hex(ev->digests[0].bytes, 32, hex)));
                json_object_array_add(events, o);
        }
        json_object_object_add(reg, "index", json_object_new_int(23));
        json_object_object_add(reg, "alg", json_object_new_string("sha256"));
        json_object_object_add(reg, "digest", json_object_new_string(im->reg));
        json_object_array_add(regs, reg);
        json_object_object_add(tpm, "events", events);
        json_object_object_add(tpm, "registers", regs);
        json_object_object_add(rv, "measurer", json_object_new_boolean(1));
        json_object_object_add(rv, "tpm", tpm);
        json_object_object_add(top, "reference_values", rv);
        s = json_object_to_json_string_ext(top, JSON_C_TO_STRING_PLAIN);
        assert_int_equal(cvm_reference_parse((const uint8_t *) s, strlen(s), "m.json", CVM_SPACE_PCR, &ref, NULL), 0);
        json_object_put(top);
        return ref;
}

/* This boot's runtime log: the image's events with the digests of the items listed (NULL-terminated) changed. */
static cvm_eventlog *boot_log(const struct image *im, const char *const *changed) {
        cvm_eventlog *log = NULL;

        for (const char *const *c = changed; *c; c++)
                event(im, *c)->bytes[0][0] ^= 0x5a;
        assert_int_equal(cvm_measurement_to_log(im->m, &opts, &log, NULL), 0);
        for (const char *const *c = changed; *c; c++)
                event(im, *c)->bytes[0][0] ^= 0x5a;
        return log;
}

static const struct cvm_finding *only(const struct cvm_verify_result *res, enum cvm_finding_kind kind) {
        const struct cvm_finding *f = NULL;

        for (size_t i = 0; i < res->nfindings; i++)
                if (res->findings[i].kind == kind) {
                        assert_null(f);
                        f = &res->findings[i];
                }
        assert_non_null(f);
        return f;
}

static void test_instance_state_verifies(void **state) {
        struct image *im = *state;
        static const char *const changed[] = { "host", NULL };
        cvm_reference *ref = reference(im);
        cvm_eventlog *log = boot_log(im, changed);
        struct cvm_verify_result res = { 0 };
        const struct cvm_finding *f;
        uint8_t live[32], image[32];
        char hex[2 * CVM_DIGEST_MAX + 1];

        assert_int_equal(cvm_verify_log(ref, log, &res, NULL), 0);
        /* One finding, instance state with both digests; no register finding: the boot verifies. */
        assert_int_equal(res.nfindings, 1);
        assert_int_equal(cvm_verify_mismatches(&res), 0);
        f = only(&res, CVM_FINDING_INSTANCE);
        assert_string_equal(f->subject, "host");
        assert_false(f->secret);
        assert_string_equal(f->expected, cvm_hex(event(im, "host")->bytes[0], 32, hex));
        assert_string_not_equal(f->got, f->expected);
        assert_int_equal(strlen(f->got), 64);
        /* The live register is checked against the instance's value, which is what the log replays to. */
        replay23(log, live);
        assert_int_equal(res.ninstance_regs, 1);
        assert_string_equal(res.instance_regs[0].digest, cvm_hex(live, 32, hex));
        assert_int_equal(cvm_verify_register(ref, 23, live, 32, NULL, 0, &res, NULL), 0);
        assert_int_equal(cvm_verify_mismatches(&res), 0);
        /* A live register still at the image's value does not hold this instance's state. */
        assert_int_equal(cvm_unhex(im->reg, image, sizeof(image)), 32);
        assert_int_equal(cvm_verify_register(ref, 23, image, 32, NULL, 0, &res, NULL), 0);
        assert_string_equal(only(&res, CVM_FINDING_REGISTER)->basis, "live");
        cvm_verify_result_clear(&res);
        cvm_eventlog_free(log);
        cvm_reference_free(ref);
}

static void test_pinned_and_os_changes_are_mismatches(void **state) {
        struct image *im = *state;
        static const char *const changed[] = { "pin", "alpha", "host", NULL };
        cvm_reference *ref = reference(im);
        cvm_eventlog *log = boot_log(im, changed);
        struct cvm_verify_result res = { 0 };
        size_t kinds[5] = { 0 };

        assert_int_equal(cvm_verify_log(ref, log, &res, NULL), 0);
        for (size_t i = 0; i < res.nfindings; i++)
                kinds[res.findings[i].kind]++;
        /* pin (must_not_change) and alpha (os): changed; host: instance state; and the register, whose
         * expected value takes host's digest from the log but alpha's and pin's from the manifest. */
        assert_int_equal(kinds[CVM_FINDING_CHANGED], 2);
        assert_int_equal(kinds[CVM_FINDING_INSTANCE], 1);
        assert_int_equal(kinds[CVM_FINDING_REGISTER], 1);
        assert_int_equal(cvm_verify_mismatches(&res), 3);
        assert_string_equal(only(&res, CVM_FINDING_REGISTER)->basis, "log");
        cvm_verify_result_clear(&res);
        cvm_eventlog_free(log);
        cvm_reference_free(ref);
}

static void test_secret_digests_withheld(void **state) {
        struct image *im = *state;
        static const char *const changed[] = { "shadow", NULL };
        cvm_reference *ref = reference(im);
        cvm_eventlog *log = boot_log(im, changed);
        struct cvm_verify_result res = { 0 };
        const struct cvm_finding *f;

        assert_int_equal(cvm_verify_log(ref, log, &res, NULL), 0);
        assert_int_equal(cvm_verify_mismatches(&res), 0);
        f = only(&res, CVM_FINDING_INSTANCE);
        assert_string_equal(f->subject, "shadow");
        assert_true(f->secret);
        assert_string_equal(f->expected, "");
        assert_string_equal(f->got, "");
        cvm_verify_result_clear(&res);
        cvm_eventlog_free(log);
        cvm_reference_free(ref);
}

/* An event after the measurer closed the register is never instance state, whatever its data says. */
static void test_late_instance_event_is_extra(void **state) {
        struct image *im = *state;
        static const char *const none[] = { NULL };
        const char *data = "{\"cvm\":1,\"kind\":\"string\",\"group\":\"inst\",\"class\":\"instance\",\"value\":\"late\"}";
        uint8_t bytes[32] = { 7 };
        struct cvm_event_digest d = { CVM_ALG_SHA256, 32, bytes };
        cvm_reference *ref = reference(im);
        cvm_eventlog *log = boot_log(im, none);
        struct cvm_verify_result res = { 0 };

        assert_int_equal(cvm_eventlog_append(log, 23, 13, &d, 1, data, strlen(data), NULL), 0);
        assert_int_equal(cvm_verify_log(ref, log, &res, NULL), 0);
        assert_string_equal(only(&res, CVM_FINDING_EXTRA)->subject, "late");
        assert_int_equal(only(&res, CVM_FINDING_REGISTER)->index, 23);
        assert_int_equal(cvm_verify_mismatches(&res), 2);
        cvm_verify_result_clear(&res);
        cvm_eventlog_free(log);
        cvm_reference_free(ref);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_instance_state_verifies),
                cmocka_unit_test(test_pinned_and_os_changes_are_mismatches),
                cmocka_unit_test(test_secret_digests_withheld),
                cmocka_unit_test(test_late_instance_event_is_extra),
        };
        return cmocka_run_group_tests(tests, image_setup, image_teardown);
}
