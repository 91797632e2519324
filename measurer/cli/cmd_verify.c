/* SPDX-License-Identifier: Apache-2.0 */
/* cvm-evidence verify: this boot's runtime events and registers against a cvm-rewrite manifest. */

#include <assert.h>
#include <string.h>

#include "cli.h"
#include "cvm/verify.h"

struct verify_args {
        struct cvm_imr_options imr;
        const char *manifest, *log, *space;
        bool json;
};

static int opt_space(const struct opt *o, const char *arg, void *field) {
        if (strcmp(arg, "tdx") != 0 && strcmp(arg, "tpm") != 0) {
                log_error("--%s: expected tdx or tpm, got '%s'", o->name, arg);
                return -1;
        }
        *(const char **) field = arg;
        return 0;
}

static const struct opt options[] = {
        OPT_STR('m', "manifest", struct verify_args, manifest, "FILE", "the manifest (OUTPUT.manifest.json)"),
        OPT_STR('l', "log", struct verify_args, log, "FILE", "check a saved runtime log instead of this boot (no device used)"),
        OPT_FN(0, "space", struct verify_args, space, "S", opt_space, "with --log: tdx or tpm (default: the log's own)"),
        OPT_JSON(struct verify_args, json,
                 "{match, space, alg, events: {expected, matched, other_writers},\n"
                 "registers_checked, findings: [{finding, register, index, subject,\n"
                 "expected_kind, got_kind, expected, got, basis}]}"),
        OPT_SUB(struct verify_args, imr, live_backend_options),
        OPT_END,
};

static const struct opt_command command = {
        .tool = &evidence_tool,
        .name = "verify",
        .usage = "--manifest FILE [--log FILE [--space tdx|tpm]] [--json] [OPTIONS]",
        .about = "Compare this boot with the reference values a cvm-rewrite manifest holds: the\n"
                 "measurer's events in the runtime log (" CVM_RUNTIME_LOG ") by register and subject, and\n"
                 "the registers.  Names each file whose digest differs, each missing or extra\n"
                 "event, and each register that differs.  A register other logs of this boot\n"
                 "also extend (on TDX, RTMR2 holds the boot loader's events too) is compared with\n"
                 "the replay of all of them; one only the measurer extends, with the manifest.\n"
                 "Files of the policy's instance class (what a cloud's first boot writes:\n"
                 "users, host name, sshd drop-ins) that differ from the image's are reported\n"
                 "as instance state with their digests (none for a secret group), not as a\n"
                 "mismatch; the boot still verifies.",
        .options = options,
};

static void reference_freep(cvm_reference **r) {
        cvm_reference_free(*r);
}

static void result_clearp(struct cvm_verify_result *r) {
        cvm_verify_result_clear(r);
}

static const char *finding_name(enum cvm_finding_kind k) {
        static const char *const names[] = { "changed", "missing", "extra", "register", "instance" };

        assert((size_t) k < sizeof(names) / sizeof(names[0]));
        return names[k];
}

/* "KIND DIGEST", "KIND (digest withheld: secret)" or "nothing". */
static const char *state(const char *kind, const char *digest, bool secret, char *buf, size_t size) {
        if (!kind)
                return "nothing";
        snprintf(buf, size, "%s%s%s", kind, secret || digest[0] ? " " : "", secret ? "(digest withheld: secret)" : digest);
        return buf;
}

static void print_event(const struct cvm_finding *f, const char *reg, const char *alg, const char *label) {
        char a[2 * CVM_DIGEST_MAX + 64], b[2 * CVM_DIGEST_MAX + 64];
        const char *want = state(f->expected_kind, f->expected, f->secret, a, sizeof(a));
        const char *got = state(f->got_kind, f->got, f->secret, b, sizeof(b));

        if (f->kind == CVM_FINDING_INSTANCE)
                printf("%s%s: %s (%s, %s): the image's %s, this instance's %s\n", label, finding_name(f->kind), f->subject,
                       reg, alg, want, got);
        else
                printf("%s%s: %s (%s, %s): expected %s, got %s\n", label, finding_name(f->kind), f->subject, reg, alg, want,
                       got);
}

static void print_text(const cvm_reference *ref, enum cvm_reg_space space, const struct cvm_verify_result *res,
                       const char *label) {
        const char *alg = cvm_alg_name(cvm_reference_alg(ref));
        size_t bad = cvm_verify_mismatches(res);

        for (size_t i = 0; i < res->nfindings; i++) {
                const struct cvm_finding *f = &res->findings[i];
                char name[CVM_REG_NAME_MAX];
                cvm_register_name(space, f->index, name);
                if (f->kind == CVM_FINDING_REGISTER)
                        printf("%s%s: %s %s is %s, expected %s (%s)\n", label, finding_name(f->kind), name, alg,
                               f->got[0] ? f->got : "(not extended)", f->expected, f->basis);
                else
                        print_event(f, name, alg, label);
        }
        printf("%s%s: %zu of %zu predicted events match, %zu findings", label, bad ? "MISMATCH" : "match",
               res->matched_events, res->expected_events, bad);
        if (res->nfindings > bad)
                printf(" (and %zu files of instance state)", res->nfindings - bad);
        printf(", %zu registers checked%s\n", res->registers_checked,
               res->other_events ? " (other writers' events in the log were not compared)" : "");
}

static struct json_object *result_json(const cvm_reference *ref, enum cvm_reg_space space,
                                       const struct cvm_verify_result *res, bool simulated) {
        struct json_object *o = json_object_new_object(), *ev = json_object_new_object(), *fs = json_object_new_array();

        json_object_object_add(o, "match", json_object_new_boolean(cvm_verify_mismatches(res) == 0));
        if (simulated)
                json_object_object_add(o, "simulated", json_object_new_boolean(1));
        json_object_object_add(o, "space", json_object_new_string(space == CVM_SPACE_CCMR ? "tdx" : "tpm"));
        json_object_object_add(o, "alg", json_object_new_string(cvm_alg_name(cvm_reference_alg(ref))));
        json_object_object_add(ev, "expected", json_object_new_int64((int64_t) res->expected_events));
        json_object_object_add(ev, "matched", json_object_new_int64((int64_t) res->matched_events));
        json_object_object_add(ev, "other_writers", json_object_new_int64((int64_t) res->other_events));
        json_object_object_add(o, "events", ev);
        json_object_object_add(o, "registers_checked", json_object_new_int64((int64_t) res->registers_checked));
        json_object_object_add(o, "instance_state", json_object_new_int64((int64_t) (res->nfindings - cvm_verify_mismatches(res))));
        for (size_t i = 0; i < res->nfindings; i++) {
                const struct cvm_finding *f = &res->findings[i];
                struct json_object *j = json_object_new_object();
                char name[CVM_REG_NAME_MAX];
                cvm_register_name(space, f->index, name);
                json_object_object_add(j, "finding", json_object_new_string(finding_name(f->kind)));
                json_object_object_add(j, "register", json_object_new_string(name));
                json_object_object_add(j, "index", json_object_new_int64(f->index));
                json_object_object_add(j, "subject", f->subject ? json_object_new_string(f->subject) : NULL);
                json_object_object_add(j, "expected_kind", f->expected_kind ? json_object_new_string(f->expected_kind) : NULL);
                json_object_object_add(j, "got_kind", f->got_kind ? json_object_new_string(f->got_kind) : NULL);
                json_object_object_add(j, "expected", f->expected[0] ? json_object_new_string(f->expected) : NULL);
                json_object_object_add(j, "got", f->got[0] ? json_object_new_string(f->got) : NULL);
                if (f->basis)
                        json_object_object_add(j, "basis", json_object_new_string(f->basis));
                if (f->secret)
                        json_object_object_add(j, "secret", json_object_new_boolean(1));
                json_object_array_add(fs, j);
        }
        json_object_object_add(o, "findings", fs);
        return o;
}

/* What is verified: a saved log (no device), or this boot's runtime log and registers. */
struct evidence {
        cvm_imr *imr;
        struct cvm_platform_log *pl;
        cvm_eventlog *saved;
        const cvm_eventlog *runtime;
        enum cvm_reg_space space;
};

static void evidence_clear(struct evidence *e) {
        cvm_imr_close(e->imr);
        cvm_platform_log_free(e->pl);
        cvm_eventlog_free(e->saved);
}

static int load_saved(const struct verify_args *a, struct evidence *e) {
        cvm_error err = { 0 };

        if (cvm_eventlog_load(a->log, CVM_LOG_AUTO, &e->saved, &err) < 0) {
                log_error("%s", err.msg);
                return EXIT_BAD_INPUT;
        }
        e->runtime = e->saved;
        e->space = a->space ? (strcmp(a->space, "tdx") == 0 ? CVM_SPACE_CCMR : CVM_SPACE_PCR) : cvm_eventlog_space(e->saved);
        return EXIT_OK;
}

static int load_live(const struct verify_args *a, struct evidence *e) {
        struct cvm_platform_log_options po = { .sysroot = a->imr.sysroot };
        cvm_error err = { 0 };
        int r;

        if ((r = open_imr(&a->imr, &e->imr)) != EXIT_OK)
                return r;
        e->space = po.space = cvm_imr_space(e->imr);
        if (cvm_platform_log_load(&po, &e->pl, &err) < 0) {
                log_error("%s", err.msg);
                return EXIT_BAD_INPUT;
        }
        for (size_t i = 0; i < e->pl->nlogs; i++)
                if (strcmp(e->pl->paths[i], CVM_RUNTIME_LOG) == 0)
                        e->runtime = e->pl->logs[i];
        if (!e->runtime) {
                log_error("%sno runtime log at %s: cvm-measure did not run in this boot's initramfs", sim_label(e->imr),
                          CVM_RUNTIME_LOG);
                return EXIT_MISMATCH;
        }
        return EXIT_OK;
}

/* The manifest against the evidence: findings into res. */
static int compare(const struct verify_args *a, const struct evidence *e, cvm_reference **ref, struct cvm_verify_result *res) {
        cvm_error err = { 0 };

        if (cvm_reference_load(a->manifest, e->space, ref, &err) < 0) {
                log_error("%s", err.msg);
                return EXIT_BAD_INPUT;
        }
        if (cvm_verify_log(*ref, e->runtime, res, &err) < 0) {
                log_error("%s: %s", a->log ? a->log : CVM_RUNTIME_LOG, err.msg);
                return EXIT_BAD_INPUT;
        }
        if (!e->imr && cvm_verify_saved_log(*ref, e->runtime, res, &err) < 0) {
                log_error("%s: %s", a->log, err.msg);
                return EXIT_BAD_INPUT;
        }
        if (e->imr && cvm_verify_live(*ref, e->imr, e->pl, CVM_RUNTIME_LOG, res, &err) < 0) {
                log_error("%s%s", sim_label(e->imr), err.msg);
                return EXIT_BAD_INPUT;
        }
        return EXIT_OK;
}

int cmd_verify(int argc, char **argv) {
        struct verify_args a = { 0 };
        _cleanup_(evidence_clear) struct evidence e = { 0 };
        _cleanup_(reference_freep) cvm_reference *ref = NULL;
        _cleanup_(result_clearp) struct cvm_verify_result res = { 0 };
        int ind, r;

        if ((r = parse_command(&command, argc, argv, &a, &ind)) >= 0)
                return r;
        if (!a.manifest || ind != argc || (a.space && !a.log)) {
                log_error("verify: expected --manifest FILE, and --space only with --log (see --help)");
                return EXIT_USAGE;
        }
        r = a.log ? load_saved(&a, &e) : load_live(&a, &e);
        if (r != EXIT_OK || (r = compare(&a, &e, &ref, &res)) != EXIT_OK)
                return r;
        if (a.json) {
                _cleanup_(json_putp) struct json_object *o = result_json(ref, e.space, &res, e.imr && cvm_imr_simulated(e.imr));
                print_json(o);
        } else
                print_text(ref, e.space, &res, e.imr ? sim_label(e.imr) : "");
        return cvm_verify_mismatches(&res) ? EXIT_MISMATCH : EXIT_OK;
}
