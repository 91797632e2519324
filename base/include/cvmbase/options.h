/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The option core of the command-line tools: a command declares its options
 * once, in a table (long name, letter, argument, help, target field), and the
 * getopt_long string and array, the --help text and the common options
 * (-h/--help, -V/--version) follow from it.  Tables nest, so an option group
 * (the measurement backend's) is declared once and included by each command.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum opt_kind {
        OPT_K_FLAG,       /* sets the bool field */
        OPT_K_STRING,     /* the const char * field points at the argument */
        OPT_K_PARSE,      /* parse() converts the argument into the field */
        OPT_K_TABLE,      /* includes the options of sub; their fields are relative to this one's */
};

struct opt {
        const char *name;       /* long name without "--"; NULL only for OPT_K_TABLE and the terminator */
        int letter;             /* short letter, 0 for a long-only option */
        enum opt_kind kind;
        size_t offset;          /* of the field in the struct opt_parse fills */
        const char *arg;        /* the argument's name in --help; NULL for an option without one */
        const char *help;       /* '\n' starts a continuation line */
        /* OPT_K_PARSE: store arg in field; < 0 after printing why (a usage error). */
        int (*parse)(const struct opt *o, const char *arg, void *field);
        const struct opt *sub;  /* OPT_K_TABLE */
        const char *alias;      /* an older long name that still works; --help names it */
};

#define OPT_FLAG(l, n, type, field, h) { .name = (n), .letter = (l), .kind = OPT_K_FLAG, .offset = offsetof(type, field), .help = (h) }
#define OPT_STR(l, n, type, field, a, h)                                                                              \
        { .name = (n), .letter = (l), .kind = OPT_K_STRING, .offset = offsetof(type, field), .arg = (a), .help = (h) }
#define OPT_FN(l, n, type, field, a, fn, h)                                                                           \
        { .name = (n), .letter = (l), .kind = OPT_K_PARSE, .offset = offsetof(type, field), .arg = (a), .help = (h),   \
          .parse = (fn) }
#define OPT_SUB(type, field, table) { .kind = OPT_K_TABLE, .offset = offsetof(type, field), .sub = (table) }
#define OPT_END {}

/* The common options, each declared here once: the letter and name never vary, the help may. */
#define OPT_JSON(type, field, h) OPT_FLAG('j', "json", type, field, h)
#define OPT_OUTPUT(type, field, a, h) OPT_STR('o', "output", type, field, a, h)
/* -o/--output for the commands that called it --out before. */
#define OPT_OUTPUT_OUT(type, field, a, h)                                                                              \
        { .name = "output", .letter = 'o', .kind = OPT_K_STRING, .offset = offsetof(type, field), .arg = (a),         \
          .help = (h), .alias = "out" }

/* One exit code of a tool: the number, a one-word name, what it means. */
struct opt_exit {
        int code;
        const char *name;
        const char *meaning;
};

/* A tool: its name, version line and exit-code table (terminated by a NULL name). */
struct opt_tool {
        const char *name;
        const char *version;    /* what -V prints */
        const struct opt_exit *exits;
};

/* A command (or a tool without commands, name NULL). */
struct opt_command {
        const struct opt_tool *tool;
        const char *name;
        const char *usage;      /* what follows "Usage: TOOL NAME "; '\n' separates alternatives */
        const char *about;      /* the paragraph after the usage */
        const struct opt *options;
        const char *notes;      /* printed after the options, before the exit codes; may be NULL */
        unsigned exits;         /* bit N set: the command may exit with code N (0: every code of the tool) */
};

enum {
        OPT_DONE = 1,           /* opt_parse printed --help or --version: exit with success */
};

/*
 * Parse argv (argv[0] is the command's name) into args by cmd's table.
 * Returns 0 with *ret_optind at the first operand, OPT_DONE after --help or
 * --version, or -1 on a usage error, after printing it.
 */
int opt_parse(const struct opt_command *cmd, int argc, char **argv, void *args, int *ret_optind);

/* The --help text of cmd: usage, about, one line per option, notes, exit codes. */
void opt_help(const struct opt_command *cmd, FILE *f);

/* The exit-code lines of a tool ("  N name  meaning"; mask as in opt_command.exits), for the tool's own --help. */
void opt_print_exits(const struct opt_tool *tool, unsigned mask, FILE *f);
