/* SPDX-License-Identifier: Apache-2.0 */
/* Replay across logs: one register space, bank selection, the order of logs. */
#include "unit.h"

static cvm_eventlog *load(const char *name) {
        cvm_eventlog *log = NULL;
        cvm_error err = { 0 };
        if (cvm_eventlog_load(fixture(name), CVM_LOG_AUTO, &log, &err) < 0)
                fail_msg("%s", err.msg);
        return log;
}

static void test_spaces_do_not_mix(void **state) {
        cvm_eventlog *ccel = load("ccel-trustee-CCEL_data_ovmf.bin"), *tpm = load("tcg2-tpm2tools-event-sd-boot-fedora37.bin");
        cvm_replay *r = NULL;
        cvm_error err = { 0 };
        (void) state;

        assert_int_equal(cvm_replay_new(NULL, 0, &r, NULL), 0);
        assert_int_equal(cvm_replay_add_log(r, ccel, &err), 0);
        assert_int_equal(cvm_replay_add_log(r, tpm, &err), -EXDEV);
        assert_non_null(strstr(err.msg, "register spaces differ"));
        cvm_replay_free(r);
        cvm_eventlog_free(ccel);
        cvm_eventlog_free(tpm);
}

static void test_bank_selection(void **state) {
        const uint16_t sha256[] = { CVM_ALG_SHA256 }, sha512[] = { CVM_ALG_SHA512 }, bogus[] = { 0x1234 };
        cvm_eventlog *log = load("tcg2-goeventlog-ubuntu-2104-no-secure-boot.bin");
        const struct cvm_register_value *regs;
        const char *const *w;
        cvm_replay *r = NULL;
        (void) state;

        assert_int_equal(cvm_replay_new(sha256, 1, &r, NULL), 0);
        assert_int_equal(cvm_replay_add_log(r, log, NULL), 0);
        assert_int_equal(cvm_replay_registers(r, &regs), 11);
        for (size_t i = 0; i < 11; i++)
                assert_int_equal(regs[i].alg, CVM_ALG_SHA256);
        assert_hex_equal(cvm_replay_find(r, 7, CVM_ALG_SHA256)->digest, 32,
                         "0d8847bc5eca06452df10e2f214363845c7ac11d47525a5474e225e72ce25dfe");
        cvm_replay_free(r);

        /* A bank the log does not have is reported, not invented. */
        assert_int_equal(cvm_replay_new(sha512, 1, &r, NULL), 0);
        assert_int_equal(cvm_replay_add_log(r, log, NULL), 0);
        assert_int_equal(cvm_replay_registers(r, &regs), 0);
        assert_int_equal(cvm_replay_warnings(r, &w), 1);
        assert_non_null(strstr(w[0], "no sha512 bank"));
        cvm_replay_free(r);
        assert_int_equal(cvm_replay_new(bogus, 1, &r, NULL), -EINVAL);
        cvm_eventlog_free(log);
}

/* Two logs of one boot replay as their concatenation: the same log twice equals extending each event twice. */
static void test_order_and_counts(void **state) {
        cvm_eventlog *log = load("tcg2-tpm2tools-event-sd-boot-fedora37.bin");
        cvm_replay *once, *twice;
        const struct cvm_register_value *a, *b;
        (void) state;

        once = replay_of(log);
        assert_int_equal(cvm_replay_new(NULL, 0, &twice, NULL), 0);
        assert_int_equal(cvm_replay_add_log(twice, log, NULL), 0);
        assert_int_equal(cvm_replay_add_log(twice, log, NULL), 0);
        assert_int_equal(cvm_replay_events(twice), 2 * cvm_replay_events(once));
        a = cvm_replay_find(once, 4, CVM_ALG_SHA256);
        b = cvm_replay_find(twice, 4, CVM_ALG_SHA256);
        assert_int_equal(b->nextends, 2 * a->nextends);
        assert_memory_not_equal(a->digest, b->digest, 32);
        assert_ptr_equal(b->last_log, log);
        assert_string_equal(cvm_event_type_name(a->last->type), "EV_SEPARATOR");
        assert_int_equal(a->last->recnum, 20);
        cvm_replay_free(once);
        cvm_replay_free(twice);
        cvm_eventlog_free(log);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_spaces_do_not_mix),
                cmocka_unit_test(test_bank_selection),
                cmocka_unit_test(test_order_and_counts),
        };
        return cmocka_run_group_tests_name("replay", tests, NULL, NULL);
}
