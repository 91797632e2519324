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


extern const char *program_name;

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
