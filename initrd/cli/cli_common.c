/* SPDX-License-Identifier: Apache-2.0 */
/* What several cvm-initrd commands share: the --add/--tree syntax, the output-is-not-the-input check. */

#include <string.h>
#include <sys/stat.h>

#include "initrd_cli.h"

int parse_add(cvm_initrd_fileset *fs, const char *arg) {
        cvm_error err = { 0 };

        if (cvm_initrd_fileset_add_spec(fs, arg, NULL, &err) < 0) {
                log_error("--add: %s", err.msg);
                return -1;
        }
        return 0;
}

int parse_tree(cvm_initrd_fileset *fs, const char *arg) {
        cvm_error err = { 0 };

        if (cvm_initrd_fileset_add_tree_spec(fs, arg, NULL, &err) < 0) {
                log_error("--tree: %s", err.msg);
                return -1;
        }
        return 0;
}

int check_not_input(const char *in, const char *out) {
        struct stat a, b;

        if (stat(in, &a) == 0 && stat(out, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino) {
                log_error("%s: the output is the input; write elsewhere (the input is never modified)", out);
                return -1;
        }
        return 0;
}
