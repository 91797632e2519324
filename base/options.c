/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The option core (options.h).  getopt_long stays the parser, as the CLI
 * standard asks; this file only derives its inputs and the --help text from
 * a command's table.  Hand-written rather than argp or popt: both exit on
 * their own and impose their own exit codes and help layout, where the
 * tools keep their documented exit-code tables and the man pages follow
 * --help line by line.
 */
#include <assert.h>
#include <getopt.h>
#include <string.h>

#include "cvmbase/options.h"

#define OPT_MAX 64              /* options of one command, nested tables included */
#define LONG_ONLY_BASE 0x100    /* getopt_long codes of long-only options: this + their position */
#define HELP_COLUMN 24          /* where the help text of an option starts */

struct flat {
        const struct opt *o;
        size_t offset;          /* of its field from the start of the args struct */
};

/* The options of table (and of the tables it includes) in order, into out[n...]; the new count. */
static size_t flatten(const struct opt *table, size_t base, struct flat *out, size_t n) {
        for (const struct opt *o = table; o->name || o->sub; o++) {
                if (o->kind == OPT_K_TABLE) {
                        n = flatten(o->sub, base + o->offset, out, n);
                        continue;
                }
                assert(n < OPT_MAX);
                assert(o->letter != 'h' && o->letter != 'V');
                for (size_t i = 0; i < n; i++)
                        assert(strcmp(out[i].o->name, o->name) != 0 && (!o->letter || out[i].o->letter != o->letter));
                out[n++] = (struct flat) { o, base + o->offset };
        }
        return n;
}

static int code_of(const struct flat *f, size_t i) {
        return f[i].o->letter ? f[i].o->letter : LONG_ONLY_BASE + (int) i;
}

/* The getopt_long array of the n options, with --help and --version; lo holds 2n + 3 entries. */
static void long_options(const struct flat *f, size_t n, struct option *lo) {
        size_t k = 0;

        for (size_t i = 0; i < n; i++) {
                int has_arg = f[i].o->arg ? required_argument : no_argument;
                lo[k++] = (struct option) { f[i].o->name, has_arg, NULL, code_of(f, i) };
                if (f[i].o->alias)
                        lo[k++] = (struct option) { f[i].o->alias, has_arg, NULL, code_of(f, i) };
        }
        lo[k++] = (struct option) { "help", no_argument, NULL, 'h' };
        lo[k++] = (struct option) { "version", no_argument, NULL, 'V' };
        lo[k] = (struct option) { 0 };
}

/* The getopt_long short-option string of the n options, with h and V; buf holds 2n + 3 bytes. */
static void short_options(const struct flat *f, size_t n, char *buf, size_t size) {
        size_t k = 0;

        assert(size >= 2 * n + 3);
        for (size_t i = 0; i < n; i++) {
                if (!f[i].o->letter)
                        continue;
                buf[k++] = (char) f[i].o->letter;
                if (f[i].o->arg)
                        buf[k++] = ':';
        }
        memcpy(buf + k, "hV", 3);
}

/* Store one option's argument into its field. */
static int apply(const struct flat *e, const char *arg, void *args) {
        void *field = (char *) args + e->offset;

        switch (e->o->kind) {
        case OPT_K_FLAG:
                *(bool *) field = true;
                return 0;
        case OPT_K_STRING:
                *(const char **) field = arg;
                return 0;
        case OPT_K_PARSE:
                return e->o->parse(e->o, arg, field) < 0 ? -1 : 0;
        case OPT_K_TABLE:
                break;
        }
        assert(!"flatten() never yields a table");
        return -1;
}

int opt_parse(const struct opt_command *cmd, int argc, char **argv, void *args, int *ret_optind) {
        struct flat f[OPT_MAX];
        struct option lo[2 * OPT_MAX + 3];
        char so[2 * OPT_MAX + 3];
        size_t n = flatten(cmd->options, 0, f, 0);
        int c;

        assert(cmd && cmd->tool && ret_optind && (args || n == 0));
        long_options(f, n, lo);
        short_options(f, n, so, sizeof(so));
        optind = 0;
        while ((c = getopt_long(argc, argv, so, lo, NULL)) >= 0) {
                size_t i;

                if (c == 'h') {
                        opt_help(cmd, stdout);
                        return OPT_DONE;
                }
                if (c == 'V') {
                        puts(cmd->tool->version);
                        return OPT_DONE;
                }
                for (i = 0; i < n && code_of(f, i) != c; i++)
                        ;
                if (i == n) {
                        opt_help(cmd, stderr);
                        return -1;
                }
                if (apply(&f[i], optarg, args) < 0)
                        return -1;
        }
        *ret_optind = optind;
        return 0;
}

/* "  -x, --name ARG" and the help text, its continuation lines aligned. */
static void help_line(FILE *f, int letter, const char *name, const char *alias, const char *arg, const char *help) {
        int w = letter ? fprintf(f, "  -%c, --%s", letter, name) : fprintf(f, "      --%s", name);

        if (arg)
                w += fprintf(f, " %s", arg);
        if (alias)
                w += fprintf(f, " (or --%s)", alias);
        for (const char *p = help; p;) {
                const char *nl = strchr(p, '\n');
                int len = nl ? (int) (nl - p) : (int) strlen(p);
                if (w > HELP_COLUMN - 2) {
                        fputc('\n', f);
                        w = 0;
                }
                fprintf(f, "%*s%.*s\n", HELP_COLUMN - w, "", len, p);
                w = 0;
                p = nl ? nl + 1 : NULL;
        }
}

void opt_print_exits(const struct opt_tool *tool, unsigned mask, FILE *f) {
        fputs("Exit codes:\n", f);
        for (const struct opt_exit *e = tool->exits; e->name; e++)
                if (mask == 0 || (e->code < 32 && (mask & (1u << e->code))))
                        fprintf(f, "  %d %-12s %s\n", e->code, e->name, e->meaning);
}

void opt_help(const struct opt_command *cmd, FILE *f) {
        struct flat fl[OPT_MAX];
        size_t n = flatten(cmd->options, 0, fl, 0);
        const char *u = cmd->usage;
        bool first = true;

        while (u) {
                const char *nl = strchr(u, '\n');
                fprintf(f, "%s %s%s%s %.*s\n", first ? "Usage:" : "      ", cmd->tool->name, cmd->name ? " " : "",
                        cmd->name ? cmd->name : "", nl ? (int) (nl - u) : (int) strlen(u), u);
                u = nl ? nl + 1 : NULL;
                first = false;
        }
        fprintf(f, "\n%s\n\n", cmd->about);
        for (size_t i = 0; i < n; i++)
                help_line(f, fl[i].o->letter, fl[i].o->name, fl[i].o->alias, fl[i].o->arg, fl[i].o->help);
        help_line(f, 'h', "help", NULL, NULL, "this help");
        help_line(f, 'V', "version", NULL, NULL, "the version");
        fputc('\n', f);
        if (cmd->notes)
                fprintf(f, "%s\n\n", cmd->notes);
        opt_print_exits(cmd->tool, cmd->exits, f);
}
