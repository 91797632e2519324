/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cvm-measure: record what this guest is (OS TCB and cloud-native TCB, as a
 * policy names them) into RTMRs or PCRs and the runtime event log.  Runs in
 * the initramfs on the real root before switch_root; --dry-run computes the
 * same events without a device (what the rewriter predicts).
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cvm/cvm.h"
#include "cvm/measure.h"
#include "cvmbase/base.h"

#include "../cli/backend.h"

#define DEFAULT_POLICY "/etc/cvm/policy.yaml"
#define DEFAULT_DEVICE_WAIT 5   /* seconds a TD waits for its driver's device node */
#define STR_(x) #x
#define STR(x) STR_(x)

enum {
        EXIT_OK = 0,
        EXIT_USAGE = 1,
        EXIT_BAD_INPUT = 2,
        EXIT_HALTED = 3,
        EXIT_NO_DEVICE = 4,
        EXIT_DEVICE = 5,
};

static const struct opt_exit exits[] = {
        { EXIT_OK, "ok", "measured; also: no CC device and none required, nothing measured" },
        { EXIT_USAGE, "usage", "bad command line" },
        { EXIT_BAD_INPUT, "bad input", "bad policy or unreadable root" },
        { EXIT_HALTED, "halted", "an item of an on_error: halt group failed (stop the boot)" },
        { EXIT_NO_DEVICE, "no device", "no CC device, and one is required" },
        { EXIT_DEVICE, "device", "extend or runtime-log failure (also: a TDX device that cannot extend,\n"
                                 "                 unless every group is on_error: continue and no device is required)" },
        {},
};

static const struct opt_tool tool = {
        .name = "cvm-measure",
        .version = "cvm-measure " CVM_VERSION " (libcvm " CVM_VERSION ")",
        .exits = exits,
};

struct args {
        const char *root, *policy, *log, *output, *proc;
        struct cvm_imr_options imr;
        struct bank_list banks;
        unsigned threads;
        unsigned device_wait;   /* seconds */
        bool dry_run, json, require_device, late;
};

static int opt_threads(const struct opt *o, const char *arg, void *field) {
        uint64_t v;

        if (cvm_parse_uint(arg, SIZE_MAX, 10, 64, &v) < 0 || v == 0) {
                log_error("--%s: expected 1 to 64, got '%s'", o->name, arg);
                return -1;
        }
        *(unsigned *) field = (unsigned) v;
        return 0;
}

static int opt_device_wait(const struct opt *o, const char *arg, void *field) {
        uint64_t v;

        if (cvm_parse_uint(arg, SIZE_MAX, 10, 300, &v) < 0) {
                log_error("--%s: expected 0 to 300 seconds, got '%s'", o->name, arg);
                return -1;
        }
        *(unsigned *) field = (unsigned) v;
        return 0;
}

static const struct opt options[] = {
        OPT_STR('r', "root", struct args, root, "DIR", "the tree to measure (the real root, e.g. ${rootmnt}); default /"),
        OPT_STR('p', "policy", struct args, policy, "FILE", "the policy (default " DEFAULT_POLICY ")"),
        OPT_STR('l', "log", struct args, log, "FILE", "runtime log (default " CVM_RUNTIME_LOG "; it survives switch_root)"),
        OPT_FN('t', "threads", struct args, threads, "N", opt_threads, "hashing threads (default: online CPUs)"),
        OPT_FLAG('n', "dry-run", struct args, dry_run,
                 "compute events and registers, extend nothing (no device needed);\n"
                 "with --log or --output, write the predicted log there"),
        OPT_OUTPUT(struct args, output, "FILE", "with --dry-run: write the predicted log to FILE (a new file)"),
        OPT_FN('b', "bank", struct args, banks, "ALG", opt_bank,
               "dry run: a bank to compute (repeatable; default sha384 on tdx, sha256 on tpm2)"),
        OPT_JSON(struct args, json, "{\"events\": [...], \"registers\": [...]} on stdout"),
        OPT_FLAG(0, "require-device", struct args, require_device, "no CC device is an error (exit 4), as is 'require_device: true'"),
        OPT_STR(0, "proc", struct args, proc, "DIR", "where cmdline is read (default /proc)"),
        OPT_FLAG(0, "late", struct args, late, "record that this ran after switch_root (the no-initramfs fallback unit)"),
        OPT_FN(0, "device-wait", struct args, device_wait, "S", opt_device_wait,
               "on a TD (tdx_guest in /proc/cpuinfo) whose TDX device is not there yet,\n"
               "wait up to S seconds for it (default " STR(DEFAULT_DEVICE_WAIT) "; 0 = do not wait)"),
        OPT_SUB(struct args, imr, backend_options),
        OPT_END,
};

static const struct opt_command command = {
        .tool = &tool,
        .usage = "--root DIR --policy FILE [OPTIONS]",
        .about = "Measure the OS and cloud-native TCB a policy names under DIR into the CC\n"
                 "registers (RTMR on TDX, PCR on TPM) and the runtime event log.",
        .options = options,
};

/* --dry-run --log FILE writes the predicted log (the default log is never written by a dry run). */
static bool writes_predicted(const struct args *a) {
        return a->dry_run && a->log && strcmp(a->log, CVM_RUNTIME_LOG) != 0;
}

/* The options that depend on each other; -1 after printing why. */
static int check_args(struct args *a) {
        if (a->output && a->log) {
                log_error("--output and --log both name the predicted log; give one");
                return -1;
        }
        if (a->output && !a->dry_run) {
                log_error("--output is for --dry-run; a real run appends to the runtime log (--log)");
                return -1;
        }
        if (!a->log)
                a->log = a->output ? a->output : CVM_RUNTIME_LOG;
        /* Refused before any work: the predicted log never replaces a file (checked again, atomically, when written). */
        if (writes_predicted(a) && access(a->log, F_OK) == 0) {
                log_error("%s: exists; --dry-run --log writes a new file and never replaces one", a->log);
                return -1;
        }
        if (a->banks.n && !a->dry_run) {
                log_error("--bank is for --dry-run; a device extends all its active banks");
                return -1;
        }
        if (a->banks.n > CVM_MEASURE_MAX_BANKS) {
                log_error("--bank: at most %d banks", CVM_MEASURE_MAX_BANKS);
                return -1;
        }
        return 0;
}

static int parse_argv(int argc, char **argv, struct args *a) {
        int ind, r = opt_parse(&command, argc, argv, a, &ind);

        if (r != 0)
                return r;
        if (ind != argc) {
                log_error("unexpected argument '%s'", argv[ind]);
                return -1;
        }
        return check_args(a);
}

static struct json_object *events_json(const struct cvm_measurement *m, enum cvm_reg_space space) {
        struct json_object *a = json_object_new_array();

        for (size_t i = 0; i < m->nevents; i++) {
                const struct cvm_measure_event *ev = &m->events[i];
                struct json_object *o = json_object_new_object(), *d = json_tokener_parse(ev->data), *v;
                char name[CVM_REG_NAME_MAX];
                char *hex = cvm_hex_alloc(ev->digests[0].bytes, ev->digests[0].size);

                json_object_object_add(o, "index", json_object_new_int64(ev->index));
                json_object_object_add(o, "name", json_object_new_string(cvm_register_name(space, ev->index, name)));
                json_object_object_add(o, "alg", json_object_new_string(cvm_alg_name(ev->digests[0].alg)));
                json_object_object_add(o, "digest", hex ? json_object_new_string(hex) : NULL);
                json_object_object_add(o, "item", json_object_new_string(ev->item));
                json_object_object_add(o, "kind", json_object_new_string(ev->kind));
                if (d && json_object_object_get_ex(d, "group", &v))
                        json_object_object_add(o, "group", json_object_get(v));
                if (d && json_object_object_get_ex(d, "class", &v))
                        json_object_object_add(o, "class", json_object_get(v));
                if (d && json_object_object_get_ex(d, "size", &v))
                        json_object_object_add(o, "size", json_object_get(v));
                if (d && json_object_object_get_ex(d, "mode", &v))
                        json_object_object_add(o, "mode", json_object_get(v));
                json_object_object_add(o, "data", json_object_new_string(ev->data));
                json_object_array_add(a, o);
                json_object_put(d);
                free(hex);
        }
        return a;
}

/* --dry-run --log: the predicted log is written before anything is printed, so a failure prints nothing. */
static int write_predicted(const struct args *a, const cvm_eventlog *log) {
        cvm_error err = { 0 };
        uint8_t *buf = NULL;
        size_t len;
        int r;

        assert(writes_predicted(a));
        if (cvm_eventlog_write_tcg2(log, &buf, &len, &err) < 0) {
                log_error("%s: cannot write the predicted log: %s", a->log, err.msg);
                return EXIT_BAD_INPUT;
        }
        r = write_file_new(a->log, buf, len, 0644, "cvm-measure", NULL);
        free(buf);
        if (r < 0) {
                log_error("%s: cannot write the predicted log: %s", a->log, strerror(-r));
                return EXIT_BAD_INPUT;
        }
        return EXIT_OK;
}

static int print_result(const struct args *a, const struct cvm_measurement *m, const struct cvm_measure_options *mo,
                        bool simulated) {
        cvm_eventlog *log = NULL;
        cvm_replay *r = NULL;
        cvm_error err = { 0 };
        int ret = EXIT_OK;

        if (cvm_measurement_to_log(m, mo, &log, &err) < 0 || cvm_replay_new(mo->banks, mo->nbanks, &r, &err) < 0 ||
            cvm_replay_add_log(r, log, &err) < 0) {
                log_error("%s", err.msg);
                ret = EXIT_BAD_INPUT;
        } else if (writes_predicted(a) && (ret = write_predicted(a, log)) != EXIT_OK) {
                /* the message is out; nothing is printed */
        } else if (a->json) {
                struct json_object *o = json_object_new_object();
                json_object_object_add(o, "dry_run", json_object_new_boolean(a->dry_run));
                json_object_object_add(o, "simulated", json_object_new_boolean(simulated));
                json_object_object_add(o, "events", events_json(m, mo->space));
                json_object_object_add(o, "registers", cvm_replay_registers_to_json(r));
                puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
                json_object_put(o);
        } else {
                const struct cvm_register_value *regs;
                size_t n = cvm_replay_registers(r, &regs);
                for (size_t i = 0; i < n; i++) {
                        char name[CVM_REG_NAME_MAX], hex[2 * CVM_DIGEST_MAX + 1];
                        printf("%s%-6s %-7s %s\n", simulated ? "SIMULATED " : "", cvm_register_name(mo->space, regs[i].index, name),
                               cvm_alg_name(regs[i].alg), cvm_hex(regs[i].digest, regs[i].size, hex));
                }
        }
        cvm_replay_free(r);
        cvm_eventlog_free(log);
        return ret;
}

/* Extend every event, in order, through the runtime log writer (log and registers never disagree). */
static int extend_all(cvm_imr *imr, const char *log, const struct cvm_measurement *m) {
        cvm_error err = { 0 };

        assert(imr && log && m);
        for (size_t i = 0; i < m->nevents; i++) {
                const struct cvm_measure_event *ev = &m->events[i];
                if (cvm_runtime_extend(imr, log, ev->index, ev->type, ev->data, strlen(ev->data), ev->digests, ev->ndigests,
                                       &err) < 0) {
                        log_error("event %zu (%s): %s", i, ev->item, err.msg);
                        return EXIT_DEVICE;
                }
        }
        return EXIT_OK;
}

/* On a TD whose driver is still loading (a module udev is probing), wait for its device node, bounded. */
static void wait_for_tdx(const struct args *a) {
        double start;

        if (a->device_wait == 0 || cvm_tdx_wait_interface(a->imr.sysroot, 0) == 0)
                return;
        log_error("TDX guest without its device yet: waiting up to %u s for /dev/tdx_guest or the TSM measurement sysfs",
                a->device_wait);
        start = now_monotonic();
        if (cvm_tdx_wait_interface(a->imr.sysroot, a->device_wait * 1000) == 0)
                log_error("the TDX guest device appeared after %.1f s", now_monotonic() - start);
}

/*
 * Record in the runtime log that this TD's registers were not extended, and
 * why: an EV_NO_ACTION event (replay skips it, so the log still matches the
 * registers) whose data is {"cvm":1,"kind":"unmeasured","reason":R,"kernel":K,"detail":D}.
 */
static int note_unmeasured(const struct args *a, enum cvm_reg_space space, const uint16_t *banks, size_t nbanks,
                           const char *reason, const char *kernel, const char *detail) {
        struct json_object *j = json_object_new_object();
        cvm_error err = { 0 };
        const char *s;
        int r;

        json_object_object_add(j, "cvm", json_object_new_int(1));
        json_object_object_add(j, "kind", json_object_new_string("unmeasured"));
        json_object_object_add(j, "reason", json_object_new_string(reason));
        json_object_object_add(j, "kernel", json_object_new_string(kernel));
        json_object_object_add(j, "detail", json_object_new_string(detail));
        s = json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
        r = s ? cvm_runtime_note(a->log, space, banks, nbanks, s, strlen(s), &err) : cvm_error_set(&err, ENOMEM, "out of memory");
        json_object_put(j);
        if (r < 0) {
                log_error("%s: cannot record that this boot is unmeasured: %s", a->log, err.msg);
                return EXIT_DEVICE;
        }
        return EXIT_OK;
}

static const char *kernel_release(struct utsname *u) {
        return uname(u) == 0 ? u->release : "(unknown)";
}

/* A TD with no TDX device: never silent.  Required: exit 4; else a logged event and a console line. */
static int td_without_device(const struct args *a, bool required) {
        static const uint16_t sha384 = CVM_ALG_SHA384;
        struct utsname u;
        const char *kernel = kernel_release(&u);
        char msg[1024];

        snprintf(msg, sizeof(msg), "this is a TDX guest (tdx_guest in /proc/cpuinfo), but its kernel %s has no TDX guest "
                 "interface: neither /dev/tdx_guest nor /sys/class/misc/tdx_guest/measurements appeared within %u s (no "
                 "tdx_guest driver, or it is not in the initramfs); kernels that can measure a TD: " CVM_TDX_EXTEND_KERNELS,
                 kernel, a->device_wait);
        if (required) {
                log_error("error: %s", msg);
                return EXIT_NO_DEVICE;
        }
        log_error("NOT MEASURED: %s", msg);
        return note_unmeasured(a, CVM_SPACE_CCMR, &sha384, 1, "no-device", kernel, msg);
}

/* True if the policy requires every item of some group to be recorded (a group marked on_error: halt). */
static bool policy_halts(const struct cvm_policy *p) {
        for (size_t i = 0; i < p->ngroups; i++)
                if (p->groups[i].on_error == CVM_ON_ERROR_HALT)
                        return true;
        return false;
}

/*
 * A device that cannot extend (a TDX kernel with reads only) is a device
 * failure: every extend would fail, so decide before any.  It stops the boot
 * (exit 5) when a device is required or a group is on_error: halt; else the
 * boot goes on unmeasured, logged and said on the console.
 */
static int cannot_extend(const struct args *a, const struct cvm_policy *p, cvm_imr *imr, const char *why) {
        bool halt = a->require_device || p->require_device || policy_halts(p);
        const uint16_t *banks;
        size_t nbanks = cvm_imr_banks(imr, &banks);
        struct utsname u;

        if (halt) {
                log_error("error: %s; the policy %s, so nothing is measured and this is a device failure", why,
                        a->require_device || p->require_device ? "requires a device" : "has a group marked on_error: halt");
                return EXIT_DEVICE;
        }
        log_error("NOT MEASURED: %s; every group of the policy is on_error: continue, so the boot goes on", why);
        return note_unmeasured(a, cvm_imr_space(imr), banks, nbanks, "no-extend", kernel_release(&u), why);
}

/*
 * The CC device of a real run, in *imr; or *imr NULL and the exit code to
 * stop with, everything already said (no device, or one that cannot extend).
 */
static int open_device(struct args *a, const struct cvm_policy *p, cvm_imr **imr) {
        bool td = (a->imr.backend == CVM_BACKEND_AUTO || a->imr.backend == CVM_BACKEND_TDX) &&
                  cvm_tdx_guest_cpu(a->imr.sysroot);
        bool required = a->require_device || p->require_device;
        cvm_error err = { 0 };
        int r, ret;

        *imr = NULL;
        if (td)
                wait_for_tdx(a);
        r = cvm_imr_open(&a->imr, imr, &err);
        if (r == -ENODEV && td)
                return td_without_device(a, required);
        if (r == -ENODEV) {
                log_error("%s: %s", required ? "error" : "nothing measured", err.msg);
                return required ? EXIT_NO_DEVICE : EXIT_OK;
        }
        if (r < 0) {
                log_error("%s", err.msg);
                return EXIT_DEVICE;
        }
        log_info("%s%s", cvm_imr_simulated(*imr) ? "SIMULATED " : "", cvm_imr_reason(*imr));
        if (cvm_imr_can_extend(*imr, &err) < 0) {
                ret = cannot_extend(a, p, *imr, err.msg);
                cvm_imr_close(*imr);
                *imr = NULL;
                return ret;
        }
        return EXIT_OK;
}

static int run(struct args *a) {
        struct cvm_policy *p = NULL;
        struct cvm_measurement *m = NULL;
        struct cvm_measure_options mo = { .root = a->root, .proc = a->proc, .threads = a->threads, .late = a->late };
        cvm_imr *imr = NULL;
        cvm_error err = { 0 };
        const uint16_t *banks;
        int r, ret = EXIT_OK;

        if (cvm_policy_load(a->policy, &p, &err) < 0) {
                log_error("%s", err.msg);
                return EXIT_BAD_INPUT;
        }
        if (a->dry_run) {
                mo.space = a->imr.backend == CVM_BACKEND_TPM2 ? CVM_SPACE_PCR : CVM_SPACE_CCMR;
                if (a->banks.n == 0)
                        a->banks.banks[a->banks.n++] = mo.space == CVM_SPACE_PCR ? CVM_ALG_SHA256 : CVM_ALG_SHA384;
                mo.banks = a->banks.banks;
                mo.nbanks = a->banks.n;
        } else {
                ret = open_device(a, p, &imr);
                if (!imr) {
                        cvm_policy_free(p);
                        return ret;
                }
                mo.space = cvm_imr_space(imr);
                mo.nbanks = cvm_imr_banks(imr, &banks);
                mo.banks = banks;
        }
        r = cvm_measure_compute(p, &mo, &m, &err);
        if (r == -ECANCELED) {
                log_error("HALT: %s", err.msg);
                ret = EXIT_HALTED;
        } else if (r < 0) {
                log_error("%s", err.msg);
                ret = EXIT_BAD_INPUT;
        } else {
                for (size_t i = 0; i < m->nerrors; i++)
                        log_error("error (on_error: continue): %s", m->errors[i]);
                log_info("%zu events, %zu files, %llu bytes hashed", m->nevents, m->files,
                        (unsigned long long) m->bytes);
                if (imr)
                        ret = extend_all(imr, a->log, m);
                if (ret == EXIT_OK)
                        ret = print_result(a, m, &mo, imr && cvm_imr_simulated(imr));
        }
        cvm_measurement_free(m);
        cvm_imr_close(imr);
        cvm_policy_free(p);
        return ret;
}

int main(int argc, char **argv) {
        struct args a = { .root = "/", .policy = DEFAULT_POLICY, .device_wait = DEFAULT_DEVICE_WAIT };
        int r;

        log_set_program_name(tool.name);
        r = parse_argv(argc, argv, &a);
        if (r != 0)
                return r > 0 ? EXIT_OK : EXIT_USAGE;
        return run(&a);
}
