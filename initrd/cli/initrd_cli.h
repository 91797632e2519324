/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdio.h>
#include <stdlib.h>

#include "cvminitrd/bundle.h"
#include "cvminitrd/initrd.h"
#include "cvmbase/base.h"

/* Exit codes of every cvm-initrd command (README "cvm-initrd"). */
enum {
        EXIT_OK = 0,
        EXIT_USAGE = 1,
        EXIT_BAD_INPUT = 2,
        EXIT_OUTPUT = 3,
};

/* The tool: its name, version and the exit-code table above, for every command's --help. */
extern const struct opt_tool initrd_tool;

/* opt_parse, and the exit code to stop with when it did not return 0. */
static inline int initrd_parse(const struct opt_command *cmd, int argc, char **argv, void *args, int *ind, int *ret) {
        int r = opt_parse(cmd, argc, argv, args, ind);

        *ret = r > 0 ? EXIT_OK : EXIT_USAGE;
        return r;
}

/* Parse SRC:DEST[:MODE] and add it; -1 after printing why. */
int parse_add(cvm_initrd_fileset *fs, const char *arg);

/* Parse DIR:DEST and add the tree; -1 after printing why. */
int parse_tree(cvm_initrd_fileset *fs, const char *arg);

/* 0 when out is not the same file as in (an edit never replaces its input); -1 after printing why. */
int check_not_input(const char *in, const char *out);

int cmd_list(int argc, char **argv);
int cmd_extract(int argc, char **argv);
int cmd_append(int argc, char **argv);
int cmd_rebuild(int argc, char **argv);
int cmd_create(int argc, char **argv);
int cmd_bundle(int argc, char **argv);
