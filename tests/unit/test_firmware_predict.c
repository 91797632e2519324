/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cvm-rewrite's firmware predictions (rewriter/firmware_predict.c) on the real
 * OVMF + swtpm log of an e2e boot: a boot_chain built from that log's own
 * PCR4/5/8/9 events gives the RTMR1/RTMR2 that cc-map's mapping of the whole
 * log gives, and the boot's VARS file turns PCR7 into that boot's live value.
 * Run from the checkout's top (as run-tests.sh does): the fixtures are in
 * tests/fixtures/firmware.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../rewriter/firmware_predict.h"
#include "unit.h"

#define LOG "tests/fixtures/firmware/ovmf-swtpm-firmware-log.bin"

/* boot_chain as the rewriter writes it, from the log's events of the given PCRs. */
static struct json_object *chain_from_log(const cvm_eventlog *log) {
        static const int pcrs[] = { 4, 5, 8, 9 };
        struct json_object *chain = json_object_new_object(), *regs = json_object_new_array(), *plat = json_object_new_array();
        struct json_object *p7 = json_object_new_object();

        for (size_t k = 0; k < 4; k++) {
                struct json_object *reg = json_object_new_object(), *evs = json_object_new_array();
                for (size_t i = 0; i < cvm_eventlog_count(log); i++) {
                        const struct cvm_event *ev = cvm_eventlog_event(log, i);
                        const struct cvm_event_digest *d = cvm_event_digest(ev, CVM_ALG_SHA384);
                        struct json_object *e, *ds;
                        char hex[97];
                        if ((int) ev->index != pcrs[k] || !cvm_event_is_extended(ev))
                                continue;
                        e = json_object_new_object();
                        ds = json_object_new_object();
                        json_object_object_add(e, "type", json_object_new_string(cvm_event_type_name(ev->type)));
                        json_object_object_add(e, "recnum", json_object_new_uint64(ev->recnum));
                        json_object_object_add(ds, "sha384", json_object_new_string(cvm_hex(d->bytes, 48, hex)));
                        json_object_object_add(e, "digests", ds);
                        json_object_array_add(evs, e);
                }
                json_object_object_add(reg, "index", json_object_new_int(pcrs[k]));
                json_object_object_add(reg, "status", json_object_new_string("predicted"));
                json_object_object_add(reg, "events", evs);
                json_object_array_add(regs, reg);
        }
        json_object_object_add(p7, "index", json_object_new_int(7));
        json_object_object_add(p7, "status", json_object_new_string("firmware-dependent"));
        json_object_array_add(plat, p7);
        json_object_object_add(chain, "registers", regs);
        json_object_object_add(chain, "platform", plat);
        return chain;
}

/* reference_values with one measurer event on RTMR2 (CC MR 3) and one on RTMR3 (CC MR 4), digests 0x11.. and 0x22... */
static struct json_object *reference(void) {
        char a[97], b[97], buf[512];

        memset(a, '1', 96);
        memset(b, '2', 96);
        a[96] = b[96] = 0;
        snprintf(buf, sizeof(buf), "{\"tdx\": {\"events\": [{\"index\": 3, \"kind\": \"policy\", \"item\": \"policy\", \"sha384\": \"%s\"},"
                 " {\"index\": 4, \"kind\": \"separator\", \"sha384\": \"%s\"}]}}", a, b);
        return json_tokener_parse(buf);
}

static const char *rtmr(struct json_object *tdx, int i, const char *field) {
        struct json_object *regs = json_object_object_get(tdx, "registers");
        return json_object_get_string(json_object_object_get(json_object_array_get_idx(regs, (size_t) i), field));
}

/* What cvm_eventlog_map_cc gives for the whole log, RTMR2 then extended with the measurer's 0x11.. event. */
static void expected(const cvm_eventlog *log, char rtmr1[97], char rtmr2[97]) {
        cvm_eventlog *cc = NULL;
        cvm_replay *rp;
        uint8_t v[48], m[48];

        assert_int_equal(cvm_eventlog_map_cc(log, CVM_CC_SEPARATOR_RTMR1, &cc, NULL, NULL), 0);
        rp = replay_of(cc);
        cvm_hex(cvm_replay_find(rp, 2, CVM_ALG_SHA384)->digest, 48, rtmr1);
        memcpy(v, cvm_replay_find(rp, 3, CVM_ALG_SHA384)->digest, 48);
        memset(m, 0x11, sizeof(m));
        assert_int_equal(cvm_extend(CVM_ALG_SHA384, v, m, NULL), 0);
        cvm_hex(v, 48, rtmr2);
        cvm_replay_free(rp);
        cvm_eventlog_free(cc);
}

static void test_rtmrs_from_boot_chain(void **state) {
        struct json_object *chain, *ref = reference(), *tdx = NULL;
        const struct firmware_inputs in = { 0 };
        cvm_eventlog *log = NULL;
        char r1[97], r2[97];
        cvm_error err = { 0 };
        (void) state;

        assert_int_equal(cvm_eventlog_load(LOG, CVM_LOG_AUTO, &log, NULL), 0);
        chain = chain_from_log(log);
        if (firmware_predict(&in, chain, ref, &tdx, &err) < 0)
                fail_msg("%s", err.msg);
        expected(log, r1, r2);
        assert_string_equal(rtmr(tdx, 0, "status"), "from the platform");
        assert_string_equal(rtmr(tdx, 1, "status"), "predicted");
        assert_string_equal(rtmr(tdx, 1, "value"), r1);
        assert_string_equal(rtmr(tdx, 2, "value"), r2);
        /* RTMR2: PCR8's 9 and PCR9's 3 events, then the measurer's one RTMR2 event (not its RTMR3 one) */
        assert_int_equal(json_object_array_length(json_object_object_get(
                json_object_array_get_idx(json_object_object_get(tdx, "registers"), 2), "events")), 13);
        assert_string_equal(json_object_get_string(json_object_object_get(json_object_object_get(tdx, "mrtd"), "status")),
                            "from the platform");
        json_object_put(tdx);
        json_object_put(chain);
        json_object_put(ref);
        cvm_eventlog_free(log);
}

static void test_unpredicted_and_inputs(void **state) {
        struct json_object *chain, *tdx = NULL, *regs;
        const struct firmware_inputs in = { .firmware = "tests/fixtures/firmware/tdvf-spec-layout.fd" };
        const struct firmware_inputs bad = { .vars = "tests/fixtures/firmware/tdvf-spec-layout.fd" };
        cvm_eventlog *log = NULL;
        cvm_error err = { 0 };
        (void) state;

        assert_int_equal(cvm_eventlog_load(LOG, CVM_LOG_AUTO, &log, NULL), 0);
        chain = chain_from_log(log);
        regs = json_object_object_get(chain, "registers");
        json_object_object_add(json_object_array_get_idx(regs, 3), "status", json_object_new_string("unpredicted"));
        json_object_object_add(json_object_array_get_idx(regs, 3), "reason", json_object_new_string("no grub.cfg"));
        assert_int_equal(firmware_predict(&in, chain, NULL, &tdx, NULL), 0);
        assert_string_equal(rtmr(tdx, 1, "status"), "predicted");
        assert_string_equal(rtmr(tdx, 2, "status"), "unpredicted");
        assert_string_equal(rtmr(tdx, 2, "reason"), "no grub.cfg");
        assert_string_equal(json_object_get_string(json_object_object_get(json_object_object_get(tdx, "mrtd"), "value")),
                            "ed05f61ecc3be92b0f292752ab31b995e9383d18d08e223d6d515ec8f8c1002af7829f6fb06514e710fe88413a8a05cf");
        assert_int_equal(firmware_inputs_check(&in, NULL), 0);
        assert_int_equal(firmware_inputs_check(&bad, &err), -EBADMSG);
        assert_non_null(strstr(err.msg, "--firmware-vars"));
        json_object_put(tdx);
        json_object_put(chain);
        cvm_eventlog_free(log);
}

/* The e2e boot's VARS file: PCR7 predicted, equal to that boot's live PCR7, and no longer a platform input. */
static void test_pcr7_into_boot_chain(void **state) {
        char dir[] = "/tmp/test_firmware_predict.XXXXXX", vars[64], cmd[256];
        struct json_object *chain, *tdx = NULL, *regs, *p7 = NULL;
        struct firmware_inputs in = { .vars = vars };
        cvm_eventlog *log = NULL;
        (void) state;

        assert_non_null(mkdtemp(dir));
        snprintf(vars, sizeof(vars), "%s/vars.fd", dir);
        snprintf(cmd, sizeof(cmd), "gzip -dc tests/fixtures/firmware/ovmf-vars-4m-empty.fd.gz > %s", vars);
        assert_int_equal(system(cmd), 0);
        assert_int_equal(cvm_eventlog_load(LOG, CVM_LOG_AUTO, &log, NULL), 0);
        chain = chain_from_log(log);
        assert_int_equal(firmware_predict(&in, chain, NULL, &tdx, NULL), 0);
        regs = json_object_object_get(chain, "registers");
        for (size_t i = 0; i < json_object_array_length(regs); i++)
                if (json_object_get_int(json_object_object_get(json_object_array_get_idx(regs, i), "index")) == 7)
                        p7 = json_object_array_get_idx(regs, i);
        assert_non_null(p7);
        assert_string_equal(json_object_get_string(json_object_object_get(p7, "status")), "predicted");
        assert_string_equal(json_object_get_string(json_object_object_get(json_object_object_get(p7, "values"), "sha256")),
                            "65caf8dd1e0ea7a6347b635d2b379c93b9a1351edc2afc3ecda700e534eb3068");
        assert_int_equal(json_object_array_length(json_object_object_get(p7, "events")), 6);
        assert_int_equal(json_object_array_length(json_object_object_get(chain, "platform")), 0);
        assert_false(json_object_get_boolean(json_object_object_get(json_object_object_get(chain, "firmware_vars"), "secure_boot")));
        unlink(vars);
        rmdir(dir);
        json_object_put(tdx);
        json_object_put(chain);
        cvm_eventlog_free(log);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_rtmrs_from_boot_chain),
                cmocka_unit_test(test_unpredicted_and_inputs),
                cmocka_unit_test(test_pcr7_into_boot_chain),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
