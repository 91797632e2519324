/* SPDX-License-Identifier: Apache-2.0 */
/* cvm-rewrite: a recipe's plugins applied to a stock cloud image in one libguestfs session. */

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cvm/cvm.h"
#include "pipeline.h"
#include "session.h"

/* The checkout's plugins/ from its build's bin/ (the Makefile's, for build/bin or build/asan/bin). */
#ifndef CHECKOUT_PLUGINS
#define CHECKOUT_PLUGINS "../../plugins"
#endif

static const char *program_name = "cvm-rewrite";

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

enum { OPT_RECIPE = 0x100, OPT_INPUT, OPT_OUTPUT, OPT_SET, OPT_PLUGINS, OPT_PLAN, OPT_JSON, OPT_KEEP, OPT_LAUNCH_TIMEOUT };

/* The launch's default bound: generous for TCG on a loaded machine (a launch takes 15-60 s there). */
#define LAUNCH_TIMEOUT 300
#define LAUNCH_TIMEOUT_MAX 86400

struct args {
        const char *recipe, *input, *output;
        char **sets, **dirs;
        size_t nsets, ndirs;
        unsigned launch_timeout;
        bool plan, json, keep, verbose;
};

/* SECONDS of --launch-timeout or CVM_LAUNCH_TIMEOUT (named by what): whole seconds, 1 to a day. */
static int parse_seconds(const char *what, const char *text, unsigned *out) {
        char *end;
        unsigned long v;

        errno = 0;
        v = strtoul(text, &end, 10);
        if (text[0] < '0' || text[0] > '9' || *end || errno || v < 1 || v > LAUNCH_TIMEOUT_MAX) {
                fprintf(stderr, "%s: %s '%s': expected whole seconds from 1 to %d\n", program_name, what, text,
                        LAUNCH_TIMEOUT_MAX);
                return -RW_EXIT_USAGE;
        }
        *out = (unsigned) v;
        return 0;
}

static void help(void) {
        printf("Usage: %s --recipe FILE --input IMG --output OUT [--set KEY=VALUE]... [--plugins DIR]...\n"
               "                   [--json] [--keep-temp] [-v]\n"
               "       %s --recipe FILE --plan [--json] [--set KEY=VALUE]... [--plugins DIR]...\n\n"
               "Apply a recipe's plugins to a cloud image in one libguestfs appliance launch and\n"
               "write OUT (raw or qcow2, as the recipe says) and OUT.manifest.json.  The input is\n"
               "never written; OUT appears only when everything succeeded.\n\n"
               "  --recipe FILE      the recipe (YAML)\n"
               "  --input IMG        the image to start from (any format qemu reads)\n"
               "  --output OUT       the image to write\n"
               "  --set KEY=VALUE    a recipe parameter; PLUGIN.KEY=VALUE for one plugin's\n"
               "  --plugins DIR      search DIR for plugins first (then %s)\n"
               "  --plan             resolve and validate, print the ordered steps, touch no image\n"
               "  --json             the plan, or the run's summary, as JSON on stdout\n"
               "  --keep-temp        keep the overlay and scratch files of a failed run\n"
               "  --launch-timeout S give up when the appliance has not started in S seconds\n"
               "                     (default CVM_LAUNCH_TIMEOUT, else %d)\n"
               "  -v, --verbose      libguestfs detail on stderr\n\n"
               "Exit codes: 0 ok, 1 usage, 2 bad recipe or plugin, 4 guest not supported by a step,\n"
               "5 image error; 128+N after signal N.\n",
               program_name, program_name, default_plugins(), LAUNCH_TIMEOUT);
}

static int parse_argv(int argc, char **argv, struct args *a) {
        static const struct option opts[] = {
                { "help", no_argument, NULL, 'h' },      { "version", no_argument, NULL, 'V' },
                { "verbose", no_argument, NULL, 'v' },   { "recipe", required_argument, NULL, OPT_RECIPE },
                { "input", required_argument, NULL, OPT_INPUT },   { "output", required_argument, NULL, OPT_OUTPUT },
                { "set", required_argument, NULL, OPT_SET },       { "plugins", required_argument, NULL, OPT_PLUGINS },
                { "plan", no_argument, NULL, OPT_PLAN },           { "json", no_argument, NULL, OPT_JSON },
                { "keep-temp", no_argument, NULL, OPT_KEEP },      { "launch-timeout", required_argument, NULL, OPT_LAUNCH_TIMEOUT },
                {},
        };
        const char *env = getenv("CVM_LAUNCH_TIMEOUT");
        int c;

        a->launch_timeout = LAUNCH_TIMEOUT;
        if (env && parse_seconds("CVM_LAUNCH_TIMEOUT", env, &a->launch_timeout) < 0)
                return -RW_EXIT_USAGE;
        a->sets = calloc((size_t) argc + 1, sizeof(char *));
        a->dirs = calloc((size_t) argc + 2, sizeof(char *));
        if (!a->sets || !a->dirs)
                return -RW_EXIT_USAGE;
        while ((c = getopt_long(argc, argv, "hVv", opts, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case 'V':
                        printf("%s %s\n", program_name, cvm_version());
                        return 0;
                case 'v':
                        a->verbose = true;
                        break;
                case OPT_RECIPE:
                        a->recipe = optarg;
                        break;
                case OPT_INPUT:
                        a->input = optarg;
                        break;
                case OPT_OUTPUT:
                        a->output = optarg;
                        break;
                case OPT_SET:
                        a->sets[a->nsets++] = optarg;
                        break;
                case OPT_PLUGINS:
                        a->dirs[a->ndirs++] = optarg;
                        break;
                case OPT_PLAN:
                        a->plan = true;
                        break;
                case OPT_JSON:
                        a->json = true;
                        break;
                case OPT_KEEP:
                        a->keep = true;
                        break;
                case OPT_LAUNCH_TIMEOUT:
                        if (parse_seconds("--launch-timeout", optarg, &a->launch_timeout) < 0)
                                return -RW_EXIT_USAGE;
                        break;
                default:
                        return -RW_EXIT_USAGE;
                }
        if (optind != argc) {
                fprintf(stderr, "%s: unexpected argument '%s' (see --help)\n", program_name, argv[optind]);
                return -RW_EXIT_USAGE;
        }
        if (!a->recipe || (!a->plan && (!a->input || !a->output))) {
                fprintf(stderr, "%s: expected --recipe, and --input and --output unless --plan (see --help)\n",
                        program_name);
                return -RW_EXIT_USAGE;
        }
        a->dirs[a->ndirs++] = (char *) default_plugins();
        return 1;
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

static int run(const struct args *a) {
        struct rw_options o = { .input = a->input, .output = a->output, .launch_timeout = a->launch_timeout,
                                .keep_temp = a->keep, .verbose = a->verbose };
        struct rw_summary sum = { 0 };
        struct recipe *r = NULL;
        cvm_error err = { 0 };
        int code;

        if (recipe_load(a->recipe, a->dirs, a->ndirs, a->sets, a->nsets, &r, &err) < 0) {
                fprintf(stderr, "%s: %s\n", program_name, err.msg);
                return RW_EXIT_BAD_RECIPE;
        }
        if (a->plan) {
                plan_print(r, a->json);
                recipe_free(r);
                return RW_EXIT_OK;
        }
        if ((code = exit_code(rewrite_run(r, &o, &sum, &err), &sum)) != RW_EXIT_OK)
                fprintf(stderr, "%s: %s\n", program_name, err.msg);
        fprintf(stderr, "%s: %s: %zu steps, %u appliance launch%s, %.1f s, output %lld bytes\n", program_name,
                code == RW_EXIT_OK ? "done" : "FAILED, no output written", sum.steps, sum.launches,
                sum.launches == 1 ? "" : "es", sum.wall, sum.output_size);
        if (a->json && code == RW_EXIT_OK)
                printf("{\"output\": \"%s\", \"manifest\": \"%s.manifest.json\", \"steps\": %zu, \"launches\": %u, "
                       "\"seconds\": %.1f, \"bytes\": %lld}\n",
                       a->output, a->output, sum.steps, sum.launches, sum.wall, sum.output_size);
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
        free(a.sets);
        free(a.dirs);
        return r;
}
