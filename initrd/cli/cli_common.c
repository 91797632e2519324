/* SPDX-License-Identifier: Apache-2.0 */
/* What several cvm-initrd commands share: messages and the --add/--tree syntax. */

#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>

#include "initrd_cli.h"

void errorf(const char *fmt, ...) {
        va_list ap;

        fprintf(stderr, "%s: ", program_name);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
}

/* SRC:DEST[:MODE] -- MODE is the last field only when it is octal. */
int parse_add(cvm_initrd_fileset *fs, const char *arg) {
        char *copy = strdup(arg), *dest, *mode_s;
        unsigned long mode = 0;
        cvm_error err = { 0 };
        int r;

        if (!copy)
                return -1;
        dest = strchr(copy, ':');
        if (!dest || dest == copy || !dest[1]) {
                errorf("--add '%s': expected SRC:DEST[:MODE]", arg);
                free(copy);
                return -1;
        }
        *dest++ = '\0';
        mode_s = strrchr(dest, ':');
        if (mode_s && mode_s[1] && strspn(mode_s + 1, "01234567") == strlen(mode_s + 1)) {
                *mode_s++ = '\0';
                mode = strtoul(mode_s, NULL, 8);
                if (mode > 07777) {
                        errorf("--add '%s': mode %s is beyond 07777", arg, mode_s);
                        free(copy);
                        return -1;
                }
        }
        r = cvm_initrd_fileset_add_file(fs, copy, dest, (mode_t) mode, &err);
        free(copy);
        if (r < 0) {
                errorf("--add: %s", err.msg);
                return -1;
        }
        return 0;
}

int parse_tree(cvm_initrd_fileset *fs, const char *arg) {
        char *copy = strdup(arg), *dest;
        cvm_error err = { 0 };
        int r;

        if (!copy)
                return -1;
        dest = strchr(copy, ':');
        if (!dest || dest == copy || !dest[1]) {
                errorf("--tree '%s': expected DIR:DEST", arg);
                free(copy);
                return -1;
        }
        *dest++ = '\0';
        r = cvm_initrd_fileset_add_tree(fs, copy, dest, &err);
        free(copy);
        if (r < 0) {
                errorf("--tree: %s", err.msg);
                return -1;
        }
        return 0;
}

int check_not_input(const char *in, const char *out) {
        struct stat a, b;

        if (stat(in, &a) == 0 && stat(out, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino) {
                errorf("%s: the output is the input; write elsewhere (the input is never modified)", out);
                return -1;
        }
        return 0;
}
