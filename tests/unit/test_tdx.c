/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The tdx backend's choice of interfaces on a plain file tree (the ioctl
 * paths themselves are driven through the fake device in tests/bats/tdx.bats),
 * a TD's CPU flag, the bounded wait for its device, and runtime-log notes
 * that extend nothing.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "unit.h"

struct tree {
        char root[64];
};

static int tree_setup(void **state) {
        struct tree *t = calloc(1, sizeof(*t));

        assert_non_null(t);
        snprintf(t->root, sizeof(t->root), "/tmp/cvm-test-tdx.XXXXXX");
        assert_non_null(mkdtemp(t->root));
        *state = t;
        return 0;
}

static int tree_teardown(void **state) {
        struct tree *t = *state;
        char cmd[128];

        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->root);
        assert_int_equal(system(cmd), 0);
        free(t);
        return 0;
}

/* root/rel with content (NULL: a directory). */
static void put(const struct tree *t, const char *rel, const char *content) {
        char p[256], cmd[512];

        snprintf(p, sizeof(p), "%s/%s", t->root, rel);
        snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\"", p);
        assert_int_equal(system(cmd), 0);
        if (!content) {
                assert_int_equal(mkdir(p, 0755), 0);
                return;
        }
        FILE *f = fopen(p, "w");
        assert_non_null(f);
        fputs(content, f);
        assert_int_equal(fclose(f), 0);
}

static void test_cpu_flag(void **state) {
        struct tree *t = *state;
        char p[256];

        assert_false(cvm_tdx_guest_cpu(t->root));
        put(t, "proc/cpuinfo", "processor\t: 0\nflags\t\t: fpu tdx_guest_x lm\n");
        assert_false(cvm_tdx_guest_cpu(t->root));
        put(t, "proc/cpuinfo", "processor\t: 0\nmodel name\t: tdx_guest\nflags\t\t: fpu lm tdx_guest\n\nflags\t: none\n");
        assert_true(cvm_tdx_guest_cpu(t->root));
        /* Only the first CPU's flags decide. */
        put(t, "proc/cpuinfo", "flags\t\t: fpu\nflags\t\t: tdx_guest\n");
        assert_false(cvm_tdx_guest_cpu(t->root));
        /* A FIFO is refused at once, never read (the test would hang otherwise). */
        snprintf(p, sizeof(p), "%s/proc/cpuinfo", t->root);
        assert_int_equal(unlink(p), 0);
        assert_int_equal(mkfifo(p, 0644), 0);
        assert_false(cvm_tdx_guest_cpu(t->root));
}

static double now(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static void test_wait_bounded(void **state) {
        struct tree *t = *state;
        double start = now();

        assert_int_equal(cvm_tdx_wait_interface(t->root, 300), -ETIMEDOUT);
        assert_true(now() - start >= 0.3 && now() - start < 3);
        put(t, "dev/tdx_guest", "");
        start = now();
        assert_int_equal(cvm_tdx_wait_interface(t->root, 10000), 0);
        assert_true(now() - start < 1);
}

static cvm_imr *open_tdx(const struct tree *t) {
        struct cvm_imr_options o = { .backend = CVM_BACKEND_TDX, .sysroot = t->root };
        cvm_error err = { 0 };
        cvm_imr *imr = NULL;

        if (cvm_imr_open(&o, &imr, &err) < 0)
                fail_msg("open: %s", err.msg);
        return imr;
}

/* A /dev/tdx_guest that knows no extend ioctl (a regular file answers ENOTTY): reads only, extends refused up front. */
static void test_read_only_device(void **state) {
        struct tree *t = *state;
        uint8_t d[48] = { 1 };
        struct cvm_event_digest dg = { CVM_ALG_SHA384, 48, d };
        cvm_error err = { 0 };
        char log[256];
        cvm_imr *imr;

        put(t, "dev/tdx_guest", "");
        imr = open_tdx(t);
        assert_string_equal(cvm_imr_read_via(imr), "tdreport");
        assert_string_equal(cvm_imr_extend_via(imr), "none");
        assert_int_equal(cvm_imr_can_extend(imr, &err), -EOPNOTSUPP);
        assert_non_null(strstr(err.msg, "cannot extend RTMRs"));
        assert_non_null(strstr(err.msg, CVM_TDX_EXTEND_KERNELS));
        snprintf(log, sizeof(log), "%s/rt.log", t->root);
        assert_int_equal(cvm_runtime_extend(imr, log, 4, CVM_EV_IPL, "x", 1, &dg, 1, &err), -EOPNOTSUPP);
        assert_int_equal(access(log, F_OK), -1);
        cvm_imr_close(imr);
}

static void test_sysfs_preferred(void **state) {
        struct tree *t = *state;
        cvm_error err = { 0 };
        cvm_imr *imr;

        put(t, "dev/tdx_guest", "");
        put(t, "sys/class/misc/tdx_guest/measurements", NULL);
        imr = open_tdx(t);
        assert_string_equal(cvm_imr_read_via(imr), "sysfs");
        assert_string_equal(cvm_imr_extend_via(imr), "sysfs");
        assert_int_equal(cvm_imr_can_extend(imr, &err), 0);
        cvm_imr_close(imr);
}

/* A note between two extends: replay of the log still equals the registers, and the note is EV_NO_ACTION with zero digests. */
static void test_note_keeps_replay(void **state) {
        struct tree *t = *state;
        char log[256], regs[256];
        struct cvm_imr_options o = { .backend = CVM_BACKEND_SIM, .sim_space = CVM_SPACE_CCMR };
        static const uint16_t sha384 = CVM_ALG_SHA384, sha256 = CVM_ALG_SHA256;
        uint8_t live[48], zero[48] = { 0 };
        const struct cvm_register_value *v;
        cvm_eventlog *l = NULL;
        cvm_replay *r;
        cvm_error err = { 0 };
        cvm_imr *imr = NULL;

        snprintf(log, sizeof(log), "%s/rt.log", t->root);
        snprintf(regs, sizeof(regs), "%s/regs", t->root);
        o.sim_state = regs;
        assert_int_equal(cvm_imr_open(&o, &imr, &err), 0);
        assert_int_equal(cvm_runtime_extend(imr, log, 3, CVM_EV_IPL, "a", 1, NULL, 0, &err), 0);
        assert_int_equal(cvm_runtime_note(log, CVM_SPACE_CCMR, &sha384, 1, "{\"cvm\":1}", 9, &err), 0);
        assert_int_equal(cvm_runtime_extend(imr, log, 3, CVM_EV_IPL, "b", 1, NULL, 0, &err), 0);
        /* A note must fit the log: another platform's banks are refused. */
        assert_int_equal(cvm_runtime_note(log, CVM_SPACE_PCR, &sha256, 1, "x", 1, &err), -EBADMSG);

        assert_int_equal(cvm_runtime_log_load(log, &l, &err), 0);
        assert_int_equal(cvm_eventlog_count(l), 4);
        assert_int_equal(cvm_eventlog_event(l, 2)->type, CVM_EV_NO_ACTION);
        assert_false(cvm_event_is_extended(cvm_eventlog_event(l, 2)));
        assert_memory_equal(cvm_eventlog_event(l, 2)->digests[0].bytes, zero, 48);
        r = replay_of(l);
        v = cvm_replay_find(r, 3, CVM_ALG_SHA384);
        assert_non_null(v);
        assert_int_equal(cvm_imr_read(imr, 3, CVM_ALG_SHA384, live, &err), 0);
        assert_memory_equal(v->digest, live, 48);
        cvm_replay_free(r);
        cvm_eventlog_free(l);
        cvm_imr_close(imr);
}

static void test_note_new_log(void **state) {
        struct tree *t = *state;
        static const uint16_t sha384 = CVM_ALG_SHA384;
        cvm_eventlog *l = NULL;
        cvm_error err = { 0 };
        char log[256];

        snprintf(log, sizeof(log), "%s/run/cvm/runtime.log", t->root);
        put(t, "run", NULL);
        assert_int_equal(cvm_runtime_note(log, CVM_SPACE_CCMR, &sha384, 1, "n", 1, &err), 0);
        assert_int_equal(cvm_runtime_log_load(log, &l, &err), 0);
        assert_int_equal(cvm_eventlog_count(l), 2);
        assert_int_equal(cvm_eventlog_space(l), CVM_SPACE_CCMR);
        cvm_eventlog_free(l);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_cpu_flag, tree_setup, tree_teardown),
                cmocka_unit_test_setup_teardown(test_wait_bounded, tree_setup, tree_teardown),
                cmocka_unit_test_setup_teardown(test_read_only_device, tree_setup, tree_teardown),
                cmocka_unit_test_setup_teardown(test_sysfs_preferred, tree_setup, tree_teardown),
                cmocka_unit_test_setup_teardown(test_note_keeps_replay, tree_setup, tree_teardown),
                cmocka_unit_test_setup_teardown(test_note_new_log, tree_setup, tree_teardown),
        };
        return cmocka_run_group_tests_name("tdx", tests, NULL, NULL);
}
