/* SPDX-License-Identifier: Apache-2.0 */
/* The CC Trusted API calls (cvm/cc.h) against the native calls, on the same fixtures and sim registers. */
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"

#define CCEL_FIXTURE "ccel-trustee-CCEL_data_ovmf.bin"
#define TCG2_FIXTURE "tcg2-goeventlog-ubuntu-2104-no-secure-boot.bin"

/* A temporary root holding one file (the platform's CCEL or TPM log), and sim registers. */
struct root {
        char dir[64], path[256], state[96], none[96];
        cvm_imr *imr;
};

static void root_open(struct root *t, enum cvm_reg_space space, const char *rel, const char *fixture_name) {
        struct cvm_imr_options o = { .backend = CVM_BACKEND_SIM, .sim_space = space };
        char cmd[8192];
        cvm_error err = { 0 };

        snprintf(t->dir, sizeof(t->dir), "/tmp/cvm-cc.XXXXXX");
        assert_non_null(mkdtemp(t->dir));
        snprintf(t->path, sizeof(t->path), "%s%s", t->dir, rel);
        snprintf(t->state, sizeof(t->state), "%s/regs", t->dir);
        snprintf(t->none, sizeof(t->none), "%s/no-runtime.log", t->dir);
        assert_true((size_t) snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\" && cp '%s' '%s'", t->path, fixture(fixture_name), t->path) < sizeof(cmd));
        assert_int_equal(system(cmd), 0);
        o.sim_state = t->state;
        if (cvm_imr_open(&o, &t->imr, &err) < 0)
                fail_msg("%s", err.msg);
}

static void root_close(struct root *t) {
        char cmd[128];

        cvm_imr_close(t->imr);
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->dir);
        assert_int_equal(system(cmd), 0);
}

static struct cvm_platform_log *platform(struct root *t, enum cvm_reg_space space) {
        struct cvm_platform_log_options o = { .space = space, .sysroot = t->dir, .runtime_log = t->none };
        struct cvm_platform_log *pl = NULL;
        cvm_error err = { 0 };

        if (cvm_platform_log_load(&o, &pl, &err) < 0)
                fail_msg("%s", err.msg);
        assert_int_equal(pl->nlogs, 1);
        return pl;
}

static void test_tdx_defaults_and_count(void **state) {
        struct root t;
        (void) state;

        root_open(&t, CVM_SPACE_CCMR, "/sys/firmware/acpi/tables/data/CCEL", CCEL_FIXTURE);
        assert_int_equal(cvm_cc_get_default_algorithm(t.imr), CVM_ALG_SHA384);
        assert_int_equal(cvm_cc_get_default_algorithm(t.imr), cvm_imr_default_alg(t.imr));
        /* RTMR0-3; libcvm counts MRTD too. */
        assert_int_equal(cvm_cc_get_measurement_count(t.imr), 4);
        assert_int_equal(cvm_imr_count(t.imr), 5);
        root_close(&t);
}

static void test_tdx_measurement_is_rtmr_index(void **state) {
        struct cvm_event_digest d = { .alg = CVM_ALG_SHA384, .size = 48 };
        uint8_t digest[48], native[CVM_DIGEST_MAX];
        struct cvm_cc_digest got;
        cvm_error err = { 0 };
        struct root t;
        (void) state;

        root_open(&t, CVM_SPACE_CCMR, "/sys/firmware/acpi/tables/data/CCEL", CCEL_FIXTURE);
        memset(digest, 0x5a, sizeof(digest));
        d.bytes = digest;
        /* Extend RTMR2 (CC MR 3) natively; the API reads it as IMR 2. */
        assert_int_equal(cvm_imr_extend(t.imr, 3, &d, 1, &err), 0);
        assert_int_equal(cvm_imr_read(t.imr, 3, CVM_ALG_SHA384, native, &err), 0);
        assert_int_equal(cvm_cc_get_cc_measurement(t.imr, 2, CVM_CC_ALG_DEFAULT, &got, &err), 0);
        assert_int_equal(got.imr_index, 2);
        assert_int_equal(got.alg, CVM_ALG_SHA384);
        assert_int_equal(got.size, 48);
        assert_memory_equal(got.hash, native, 48);
        /* IMR 3 (RTMR3) was not extended: all zero, unlike IMR 2. */
        assert_int_equal(cvm_cc_get_cc_measurement(t.imr, 3, CVM_ALG_SHA384, &got, &err), 0);
        assert_memory_not_equal(got.hash, native, 48);
        assert_int_equal(cvm_cc_get_cc_measurement(t.imr, 4, CVM_CC_ALG_DEFAULT, &got, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "IMR index 4 is out of range"));
        root_close(&t);
}

static void test_tpm_indices_are_pcrs(void **state) {
        uint8_t native[CVM_DIGEST_MAX];
        struct cvm_cc_digest got;
        cvm_error err = { 0 };
        struct root t;
        (void) state;

        root_open(&t, CVM_SPACE_PCR, "/sys/kernel/security/tpm0/binary_bios_measurements", TCG2_FIXTURE);
        assert_int_equal(cvm_cc_get_default_algorithm(t.imr), CVM_ALG_SHA256);
        assert_int_equal(cvm_cc_get_measurement_count(t.imr), 24);
        assert_int_equal(cvm_cc_get_cc_measurement(t.imr, 23, CVM_CC_ALG_DEFAULT, &got, &err), 0);
        assert_int_equal(cvm_imr_read(t.imr, 23, CVM_ALG_SHA256, native, &err), 0);
        assert_int_equal(got.imr_index, 23);
        assert_memory_equal(got.hash, native, 32);
        assert_int_equal(cvm_cc_get_cc_measurement(t.imr, 24, CVM_CC_ALG_DEFAULT, &got, &err), -EINVAL);
        root_close(&t);
}

static void test_tdx_eventlog_start_count(void **state) {
        struct cvm_platform_log *pl;
        struct cvm_cc_event *ev = NULL;
        cvm_error err = { 0 };
        struct root t;
        size_t n, total;
        (void) state;

        root_open(&t, CVM_SPACE_CCMR, "/sys/firmware/acpi/tables/data/CCEL", CCEL_FIXTURE);
        pl = platform(&t, CVM_SPACE_CCMR);
        total = cvm_platform_log_count(pl);
        assert_true(total > 3);
        assert_int_equal(cvm_cc_get_cc_eventlog(pl, 0, 0, &ev, &n, &err), 0);
        assert_int_equal(n, total);
        for (size_t i = 0; i < n; i++) {
                /* The same event, the IMR index one less than the CC MR index the CCEL records. */
                assert_ptr_equal(ev[i].event, cvm_platform_log_event(pl, i, NULL));
                assert_int_equal(ev[i].imr_index + 1, ev[i].event->index);
        }
        free(ev);
        assert_int_equal(cvm_cc_get_cc_eventlog(pl, 2, 3, &ev, &n, &err), 0);
        assert_int_equal(n, 3);
        assert_ptr_equal(ev[0].event, cvm_platform_log_event(pl, 2, NULL));
        free(ev);
        assert_int_equal(cvm_cc_get_cc_eventlog(pl, total, 0, &ev, &n, &err), -EINVAL);
        assert_int_equal(cvm_cc_get_cc_eventlog(pl, total - 1, 2, &ev, &n, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "past the end"));
        cvm_platform_log_free(pl);
        root_close(&t);
}

/* Replay through the API equals the native replay of the same log, RTMR i against CC MR i + 1. */
static void test_replay_matches_native(void **state) {
        const struct cvm_register_value *v;
        struct cvm_platform_log *pl;
        struct cvm_cc_digest *cc = NULL;
        cvm_error err = { 0 };
        cvm_replay *r;
        struct root t;
        size_t n;
        (void) state;

        root_open(&t, CVM_SPACE_CCMR, "/sys/firmware/acpi/tables/data/CCEL", CCEL_FIXTURE);
        pl = platform(&t, CVM_SPACE_CCMR);
        assert_int_equal(cvm_cc_replay_cc_eventlog(pl, &cc, &n, &err), 0);
        r = replay_of(pl->logs[0]);
        assert_true(n > 0);
        assert_int_equal(n, cvm_replay_registers(r, &v));
        for (size_t i = 0; i < n; i++) {
                const struct cvm_register_value *native = cvm_replay_find(r, cc[i].imr_index + 1, cc[i].alg);

                assert_true(cc[i].imr_index < 4);
                assert_non_null(native);
                assert_int_equal(cc[i].size, native->size);
                assert_memory_equal(cc[i].hash, native->digest, native->size);
        }
        free(cc);
        cvm_replay_free(r);
        cvm_platform_log_free(pl);
        root_close(&t);
}

static void test_report_like_native(void **state) {
        uint8_t nonce[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
        struct cvm_report *rep = NULL;
        cvm_error err = { 0 };
        struct root t;
        (void) state;

        root_open(&t, CVM_SPACE_PCR, "/sys/kernel/security/tpm0/binary_bios_measurements", TCG2_FIXTURE);
        /* sim refuses exactly as cvm_imr_report does. */
        assert_int_equal(cvm_cc_get_cc_report(t.imr, nonce, sizeof(nonce), NULL, 0, NULL, &rep, &err), -EOPNOTSUPP);
        assert_null(rep);
        assert_non_null(strstr(err.msg, "would prove nothing"));
        root_close(&t);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_tdx_defaults_and_count),
                cmocka_unit_test(test_tdx_measurement_is_rtmr_index),
                cmocka_unit_test(test_tpm_indices_are_pcrs),
                cmocka_unit_test(test_tdx_eventlog_start_count),
                cmocka_unit_test(test_replay_matches_native),
                cmocka_unit_test(test_report_like_native),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
