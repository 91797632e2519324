/* SPDX-License-Identifier: Apache-2.0 */
/* cvm-rewrite: a recipe's plugins applied to a stock cloud image in one libguestfs session. */

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <json-c/json.h>

#include "cvm/cvm.h"
#include "cvmbase/base.h"
#include "firmware_predict.h"
#include "pipeline.h"
#include "session.h"

/* The checkout's plugins/ from its build's bin/ (the Makefile's, for build/bin or build/asan/bin). */
#ifndef CHECKOUT_PLUGINS
#define CHECKOUT_PLUGINS "../../plugins"
#endif


/* Exit codes (README "cvm-rewrite"). */
enum {
        RW_EXIT_OK = 0,
        RW_EXIT_USAGE = 1,
        RW_EXIT_BAD_RECIPE = 2,
        RW_EXIT_UNSUPPORTED = 4,
        RW_EXIT_IMAGE = 5,
};

/*
 * The shipped plugins, found from this executable, wherever it was installed
 * or moved: PREFIX/bin/../share/cvm/plugins, else the checkout's plugins/
 * when it runs from the checkout's build; CVM_PLUGINS_DIR overrides both.
 */
static const char *default_plugins(void) {
        static char dir[PATH_MAX + 32];
        char exe[PATH_MAX], candidate[PATH_MAX + 32];
        const char *const beside[] = { "../share/cvm/plugins", CHECKOUT_PLUGINS };
        cvm_error err = { 0 };
        struct stat st;

        if (getenv("CVM_PLUGINS_DIR"))
                return getenv("CVM_PLUGINS_DIR");
        if (session_programs_dir(exe, sizeof(exe), &err) < 0)
                return "/usr/local/share/cvm/plugins";
        for (size_t i = 0; i < 2; i++) {
                snprintf(candidate, sizeof(candidate), "%s/%s", exe, beside[i]);
                if (stat(candidate, &st) == 0 && S_ISDIR(st.st_mode) && realpath(candidate, dir))
                        return dir;
        }
        /* Where an installed one has them (named by the error when they are missing). */
        snprintf(dir, sizeof(dir), "%s/../share/cvm/plugins", exe);
        return dir;
}

/* The launch's default bound: generous for TCG on a loaded machine (a launch takes 15-60 s there). */
#define LAUNCH_TIMEOUT 300
#define LAUNCH_TIMEOUT_MAX 86400
#define STR_(x) #x
#define STR(x) STR_(x)

/* A repeatable option's arguments, in order (room for every argument of the command line). */
struct strlist {
        char **v;
        size_t n;
};

struct args {
        const char *recipe, *input, *output, *grub_device, *platform_values, *firmware, *firmware_vars;
        struct strlist sets, dirs;
        unsigned launch_timeout;
        bool plan, json, keep, verbose;
};

static const struct opt_exit exits[] = {
        { RW_EXIT_OK, "ok", "the output and its manifest are written (or --plan printed)" },
        { RW_EXIT_USAGE, "usage", "bad command line, or an --output that cannot be written" },
        { RW_EXIT_BAD_RECIPE, "bad recipe", "bad recipe or plugin (also what --plan refuses)" },
        { RW_EXIT_UNSUPPORTED, "unsupported", "a guest a plugin, or this tool, does not support" },
        { RW_EXIT_IMAGE, "image", "the image, the appliance, a step or the output failed" },
        {},
};

static const struct opt_tool tool = {
        .name = "cvm-rewrite",
        .version = "cvm-rewrite " CVM_VERSION,
        .exits = exits,
};

/* SECONDS of --launch-timeout or CVM_LAUNCH_TIMEOUT (named by what): whole seconds, 1 to a day. */
static int parse_seconds(const char *what, const char *text, unsigned *out) {
        char *end;
        unsigned long v;

        errno = 0;
        v = strtoul(text, &end, 10);
        if (text[0] < '0' || text[0] > '9' || *end || errno || v < 1 || v > LAUNCH_TIMEOUT_MAX) {
                log_error("%s '%s': expected whole seconds from 1 to %d", what, text, LAUNCH_TIMEOUT_MAX);
                return -1;
        }
        *out = (unsigned) v;
        return 0;
}

static int opt_seconds(const struct opt *o, const char *arg, void *field) {
        char what[32];

        snprintf(what, sizeof(what), "--%s", o->name);
        return parse_seconds(what, arg, field);
}

static int opt_append(const struct opt *o, const char *arg, void *field) {
        struct strlist *l = field;

        (void) o;
        l->v[l->n++] = (char *) arg;
        return 0;
}

/* Names the shipped plugins' folder, found at run time (the bash completion reads it from --help). */
static char plugins_help[PATH_MAX + 64];

static const struct opt options[] = {
        OPT_STR(0, "recipe", struct args, recipe, "FILE", "the recipe (YAML)"),
        OPT_STR(0, "input", struct args, input, "IMG", "the image to start from (any format qemu reads)"),
        OPT_OUTPUT(struct args, output, "OUT", "the image to write"),
        OPT_FN(0, "set", struct args, sets, "KEY=VALUE", opt_append, "a recipe parameter; PLUGIN.KEY=VALUE for one plugin's"),
        OPT_FN(0, "plugins", struct args, dirs, "DIR", opt_append, plugins_help),
        OPT_FLAG(0, "plan", struct args, plan, "resolve and validate, print the ordered steps, touch no image"),
        OPT_JSON(struct args, json, "the plan, or the run's summary, as JSON on stdout"),
        OPT_FLAG(0, "keep-temp", struct args, keep, "keep the overlay and scratch files of a failed run"),
        OPT_FN(0, "launch-timeout", struct args, launch_timeout, "S", opt_seconds,
               "give up when the appliance has not started in S seconds\n(default CVM_LAUNCH_TIMEOUT, else " STR(LAUNCH_TIMEOUT) ")"),
        OPT_STR(0, "grub-device", struct args, grub_device, "DEV",
                "GRUB's name of the /boot partition for the boot chain prediction\n(default hd0,gptN: the VMM's first disk, the root's partition N)"),
        OPT_STR(0, "platform-values", struct args, platform_values, "LOG",
                "a previous boot's TPM firmware event log on the same platform:\nthe boot chain records its PCR0-3 and 6"),
        OPT_STR(0, "firmware", struct args, firmware, "FILE",
                "the TDVF image (OVMF.fd) the VMM loads: MRTD in the manifest\n(boot_chain_tdx.mrtd, with the VMM assumptions)"),
        OPT_STR(0, "firmware-vars", struct args, firmware_vars, "FILE",
                "the OVMF VARS image the guest boots with: PCR7 predicted\n(else \"firmware-dependent\")"),
        OPT_FLAG('v', "verbose", struct args, verbose, "libguestfs detail on stderr"),
        OPT_END,
};

static const struct opt_command command = {
        .tool = &tool,
        .usage = "--recipe FILE --input IMG --output OUT [--set KEY=VALUE]... [--plugins DIR]... [--json] [--keep-temp] [-v]\n"
                 "--recipe FILE --plan [--json] [--set KEY=VALUE]... [--plugins DIR]...",
        .about = "Apply a recipe's plugins to a cloud image in one libguestfs appliance launch and\n"
                 "write OUT (raw or qcow2, as the recipe says) and OUT.manifest.json.  The input is\n"
                 "never written; OUT appears only when everything succeeded.",
        .options = options,
        .notes = "After signal N: exit 128+N.  Plugins are searched in each --plugins DIR, then in\n"
                 "CVM_PLUGINS_DIR, else PREFIX/share/cvm/plugins beside the program (or the checkout's plugins/).",
};

/* --firmware and --firmware-vars read and checked before anything runs: 1, or -RW_EXIT_USAGE. */
static int check_firmware(const struct args *a) {
        const struct firmware_inputs in = { .firmware = a->firmware, .vars = a->firmware_vars };
        cvm_error err = { 0 };

        if (firmware_inputs_check(&in, &err) < 0) {
                log_error("%s", err.msg);
                return -RW_EXIT_USAGE;
        }
        return 1;
}

/* --platform-values must be a TPM firmware log: said before the appliance starts, not after the steps. */
static int check_platform_log(const char *path) {
        cvm_eventlog *log = NULL;
        cvm_error err = { 0 };
        int r = cvm_eventlog_load(path, CVM_LOG_AUTO, &log, &err);

        if (r == 0 && cvm_eventlog_space(log) != CVM_SPACE_PCR)
                r = cvm_error_set(&err, EINVAL, "%s: not a TPM (PCR) firmware event log", path);
        cvm_eventlog_free(log);
        if (r < 0)
                log_error("--platform-values %s", err.msg);
        return r;
}

/* 1 to run, 0 after --help or --version, or -RW_EXIT_USAGE. */
static int parse_argv(int argc, char **argv, struct args *a) {
        const char *env = getenv("CVM_LAUNCH_TIMEOUT");
        int ind, r;

        a->launch_timeout = LAUNCH_TIMEOUT;
        if (env && parse_seconds("CVM_LAUNCH_TIMEOUT", env, &a->launch_timeout) < 0)
                return -RW_EXIT_USAGE;
        snprintf(plugins_help, sizeof(plugins_help), "search DIR for plugins first (then %s)", default_plugins());
        a->sets.v = calloc((size_t) argc + 1, sizeof(char *));
        a->dirs.v = calloc((size_t) argc + 2, sizeof(char *));
        if (!a->sets.v || !a->dirs.v)
                return -RW_EXIT_USAGE;
        if ((r = opt_parse(&command, argc, argv, a, &ind)) != 0)
                return r == OPT_DONE ? 0 : -RW_EXIT_USAGE;
        if (ind != argc) {
                log_error("unexpected argument '%s' (see --help)", argv[ind]);
                return -RW_EXIT_USAGE;
        }
        if (!a->recipe || (!a->plan && (!a->input || !a->output))) {
                log_error("expected --recipe, and --input and --output unless --plan (see --help)");
                return -RW_EXIT_USAGE;
        }
        if (a->platform_values && check_platform_log(a->platform_values) < 0)
                return -RW_EXIT_USAGE;
        a->dirs.v[a->dirs.n++] = (char *) default_plugins();
        return check_firmware(a);
}

/* The one place a failed rewrite becomes an exit code (README "cvm-rewrite"). */
static int exit_code(int r, const struct rw_summary *sum) {
        if (r >= 0)
                return RW_EXIT_OK;
        switch (sum->fault) {
        case RW_FAULT_OUTPUT:
                return RW_EXIT_USAGE;
        case RW_FAULT_UNSUPPORTED:
                return RW_EXIT_UNSUPPORTED;
        case RW_FAULT_SIGNAL:
                return 128 + sum->signal;
        default:
                return RW_EXIT_IMAGE;
        }
}

/* The summary line on stderr: the counts, then the time of each stage. */
static void print_summary(const struct rw_summary *sum, int code) {
        const char *how = code == RW_EXIT_OK && sum->output_method ? sum->output_method : NULL;
        char stages[256];
        size_t n = 0;

        for (int i = 0; i < RW_STAGE_N && n < sizeof(stages); i++)
                n += snprintf(stages + n, sizeof(stages) - n, "%s%s %.1f", i ? ", " : "", rw_stage_name(i), sum->stage[i]);
        log_info("%s: %zu steps, %u appliance launch%s, %.1f s (%s), output %lld bytes%s%s",
                 code == RW_EXIT_OK ? "done" : "FAILED, no output written", sum->steps, sum->launches,
                 sum->launches == 1 ? "" : "es", sum->wall, stages, sum->output_size, how ? " by " : "", how ? how : "");
}

/* --json: the output, its manifest, the counts and the stages' seconds on stdout. */
static int print_json(const struct args *a, const struct rw_summary *sum) {
        struct json_object *o = json_object_new_object(), *st = json_object_new_object();
        _cleanup_free_ char *mf = NULL;
        int r = 0;

        if (!o || !st || asprintf(&mf, "%s.manifest.json", a->output) < 0) {
                json_object_put(st);
                r = -ENOMEM;
                goto out;
        }
        for (int i = 0; i < RW_STAGE_N; i++)
                json_object_object_add(st, rw_stage_name(i), json_object_new_double(sum->stage[i]));
        json_object_object_add(o, "output", json_object_new_string(a->output));
        json_object_object_add(o, "manifest", json_object_new_string(mf));
        json_object_object_add(o, "steps", json_object_new_int64((int64_t) sum->steps));
        json_object_object_add(o, "launches", json_object_new_int64(sum->launches));
        json_object_object_add(o, "seconds", json_object_new_double(sum->wall));
        json_object_object_add(o, "stages", st);
        json_object_object_add(o, "bytes", json_object_new_int64(sum->output_size));
        json_object_object_add(o, "output_method", sum->output_method ? json_object_new_string(sum->output_method) : NULL);
        if (puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)) < 0)
                r = -EIO;
out:
        json_object_put(o);
        if (r < 0)
                log_error("writing the JSON summary: %s", strerror(-r));
        return r;
}

static int run(const struct args *a) {
        struct rw_options o = { .input = a->input, .output = a->output, .launch_timeout = a->launch_timeout,
                                .keep_temp = a->keep, .verbose = a->verbose, .grub_device = a->grub_device,
                                .platform_values = a->platform_values, .firmware = a->firmware,
                                .firmware_vars = a->firmware_vars };
        struct rw_summary sum = { 0 };
        struct recipe *r = NULL;
        cvm_error err = { 0 };
        int code;

        if (recipe_load(a->recipe, a->dirs.v, a->dirs.n, a->sets.v, a->sets.n, &r, &err) < 0) {
                log_error("%s", err.msg);
                return RW_EXIT_BAD_RECIPE;
        }
        if (a->plan) {
                plan_print(r, a->json);
                recipe_free(r);
                return RW_EXIT_OK;
        }
        if ((code = exit_code(rewrite_run(r, &o, &sum, &err), &sum)) != RW_EXIT_OK)
                log_error("%s", err.msg);
        print_summary(&sum, code);
        if (a->json && code == RW_EXIT_OK && print_json(a, &sum) < 0)
                code = RW_EXIT_IMAGE;
        recipe_free(r);
        return code;
}

int main(int argc, char **argv) {
        struct args a = { 0 };
        int r = parse_argv(argc, argv, &a);

        if (r > 0)
                r = run(&a);
        else
                r = -r;
        free(a.sets.v);
        free(a.dirs.v);
        return r;
}
