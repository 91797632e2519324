/* SPDX-License-Identifier: Apache-2.0 */
/* Report data binding, the platform log's numbering across logs, and replay checked against live registers. */
#include <unistd.h>

#include "unit.h"

static void test_report_data(void **state) {
        const uint8_t nonce[] = { 0x00, 0x11 }, user[] = { 0xca, 0xfe }, cat[] = { 0x00, 0x11, 0xca, 0xfe };
        const uint8_t raw[65] = { 1, 2, 3 };
        struct cvm_report_request req = { 0 };
        uint8_t out[64], want[64], zero[64] = { 0 };
        cvm_error err = { 0 };
        size_t len = 0;
        (void) state;

        /* Nothing to bind: 64 zero bytes. */
        assert_int_equal(cvm_report_data(&req, out, &len, NULL), 0);
        assert_int_equal(len, 64);
        assert_memory_equal(out, zero, 64);
        /* CC Trusted API: SHA-512(nonce || user data). */
        req.nonce = nonce;
        req.nonce_len = sizeof(nonce);
        req.user_data = user;
        req.user_data_len = sizeof(user);
        assert_int_equal(cvm_report_data(&req, out, &len, NULL), 0);
        assert_int_equal(cvm_digest(CVM_ALG_SHA512, cat, sizeof(cat), want, NULL), 0);
        assert_memory_equal(out, want, 64);
        /* Raw report data is taken as is, zero padded, and excludes the others. */
        req.report_data = raw;
        req.report_data_len = 3;
        assert_int_equal(cvm_report_data(&req, out, &len, &err), -EINVAL);
        req.nonce = req.user_data = NULL;
        assert_int_equal(cvm_report_data(&req, out, &len, NULL), 0);
        assert_int_equal(len, 3);
        assert_memory_equal(out, raw, 3);
        assert_memory_equal(out + 3, zero, 61);
        req.report_data_len = 65;
        assert_int_equal(cvm_report_data(&req, out, &len, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "65 bytes"));
}

/* A sim register set in a fresh file, and a runtime log beside it. */
struct sim {
        char dir[64], state[96], log[96];
        cvm_imr *imr;
};

static void sim_open(struct sim *s, enum cvm_reg_space space) {
        struct cvm_imr_options o = { .backend = CVM_BACKEND_SIM, .sim_space = space };
        cvm_error err = { 0 };

        snprintf(s->dir, sizeof(s->dir), "/tmp/cvm-unit.XXXXXX");
        assert_non_null(mkdtemp(s->dir));
        snprintf(s->state, sizeof(s->state), "%s/regs", s->dir);
        snprintf(s->log, sizeof(s->log), "%s/runtime.log", s->dir);
        o.sim_state = s->state;
        if (cvm_imr_open(&o, &s->imr, &err) < 0)
                fail_msg("%s", err.msg);
}

static void sim_close(struct sim *s) {
        cvm_imr_close(s->imr);
        unlink(s->state);
        unlink(s->log);
        rmdir(s->dir);
}

static void test_platform_numbering_and_check(void **state) {
        struct cvm_platform_log_options po = { .space = CVM_SPACE_CCMR, .sysroot = "/nonexistent-root" };
        struct cvm_platform_log *pl = NULL;
        struct cvm_register_check *c = NULL;
        cvm_replay *r = NULL;
        cvm_error err = { 0 };
        struct sim s;
        size_t n, log;
        (void) state;

        sim_open(&s, CVM_SPACE_CCMR);
        po.runtime_log = s.log;
        assert_int_equal(cvm_runtime_extend(s.imr, s.log, 3, CVM_EV_EVENT_TAG, "a", 1, NULL, 0, &err), 0);
        assert_int_equal(cvm_runtime_extend(s.imr, s.log, 4, CVM_EV_EVENT_TAG, "b", 1, NULL, 0, &err), 0);
        assert_int_equal(cvm_platform_log_load(&po, &pl, &err), 0);
        /* No CCEL under the root: a warning, and the runtime log alone (header + 2 events). */
        assert_int_equal(pl->nlogs, 1);
        assert_true(pl->nwarnings >= 1);
        assert_non_null(strstr(pl->warnings[0], "no CCEL firmware log"));
        assert_int_equal(cvm_platform_log_count(pl), 3);
        assert_int_equal(cvm_platform_log_event(pl, 2, &log)->index, 4);
        assert_int_equal(log, 0);
        assert_null(cvm_platform_log_event(pl, 3, NULL));

        assert_int_equal(cvm_replay_new(NULL, 0, &r, NULL), 0);
        assert_int_equal(cvm_replay_add_log(r, pl->logs[0], &err), 0);
        assert_int_equal(cvm_replay_check(r, s.imr, &c, &n, &err), 0);
        assert_int_equal(n, 4);          /* RTMR0-3; MRTD is not replayable */
        assert_int_equal(c[0].index, 1);
        assert_int_equal(c[2].nextends, 1);
        free(c);
        /* An extend that skips the log makes exactly that register disagree. */
        {
                uint8_t d[48] = { 0 };
                struct cvm_event_digest dg = { CVM_ALG_SHA384, 48, d };
                assert_int_equal(cvm_imr_extend(s.imr, 2, &dg, 1, &err), 0);
        }
        assert_int_equal(cvm_replay_check(r, s.imr, &c, &n, &err), 1);
        assert_false(c[1].match);
        assert_true(c[0].match && c[2].match && c[3].match);
        free(c);
        cvm_replay_free(r);
        cvm_platform_log_free(pl);
        sim_close(&s);
}

static void test_sim_does_not_quote(void **state) {
        struct cvm_report_request req = { 0 };
        struct cvm_report *rep = NULL;
        cvm_error err = { 0 };
        struct sim s;
        (void) state;

        sim_open(&s, CVM_SPACE_PCR);
        assert_int_equal(cvm_imr_report(s.imr, &req, &rep, &err), -EOPNOTSUPP);
        assert_null(rep);
        assert_non_null(strstr(err.msg, "would prove nothing"));
        sim_close(&s);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_report_data),
                cmocka_unit_test(test_platform_numbering_and_check),
                cmocka_unit_test(test_sim_does_not_quote),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
