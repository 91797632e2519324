/* SPDX-License-Identifier: Apache-2.0 */
/* cvm-rewrite: a recipe's plugins applied to a stock cloud image in one libguestfs session. */

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cvm/cvm.h"
#include "session.h"

#ifndef PLUGINS_DIR
#define PLUGINS_DIR "/usr/local/share/cvm/plugins"
#endif

static const char *program_name = "cvm-rewrite";

enum { OPT_RECIPE = 0x100, OPT_INPUT, OPT_OUTPUT, OPT_SET, OPT_PLUGINS, OPT_PLAN, OPT_JSON, OPT_KEEP };

struct args {
        const char *recipe, *input, *output;
        char **sets, **dirs;
        size_t nsets, ndirs;
        bool plan, json, keep, verbose;
};

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
               "  -v, --verbose      libguestfs detail on stderr\n\n"
               "Exit codes: 0 ok, 1 usage, 2 bad recipe or plugin, 4 guest not supported by a step,\n"
               "5 image error; 128+N after signal N.\n",
               program_name, program_name, PLUGINS_DIR);
}

static int parse_argv(int argc, char **argv, struct args *a) {
        static const struct option opts[] = {
                { "help", no_argument, NULL, 'h' },      { "version", no_argument, NULL, 'V' },
                { "verbose", no_argument, NULL, 'v' },   { "recipe", required_argument, NULL, OPT_RECIPE },
                { "input", required_argument, NULL, OPT_INPUT },   { "output", required_argument, NULL, OPT_OUTPUT },
                { "set", required_argument, NULL, OPT_SET },       { "plugins", required_argument, NULL, OPT_PLUGINS },
                { "plan", no_argument, NULL, OPT_PLAN },           { "json", no_argument, NULL, OPT_JSON },
                { "keep-temp", no_argument, NULL, OPT_KEEP },      {},
        };
        int c;

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
        a->dirs[a->ndirs++] = getenv("CVM_PLUGINS_DIR") ? getenv("CVM_PLUGINS_DIR") : PLUGINS_DIR;
        return 1;
}

static int run(const struct args *a) {
        struct rw_options o = { .input = a->input, .output = a->output, .keep_temp = a->keep, .verbose = a->verbose };
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
        if (rewrite_run(r, &o, &sum, &code, &err) < 0)
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
