/* SPDX-License-Identifier: Apache-2.0 */
/* cvm-initrd extract: every segment into a directory, never outside it. */

#include <errno.h>
#include <limits.h>
#include <string.h>

#include "initrd_cli.h"

/* extract has no options of its own: -h and -V only. */
static const struct opt options[] = { OPT_END };

static const struct opt_command command = {
        .tool = &initrd_tool,
        .name = "extract",
        .usage = "INITRD DIR [PATH...]",
        .about = "Extract every segment in order (later entries override earlier ones) into DIR,\n"
                 "or only the PATHs given and what is below them.  Entries resolve inside DIR:\n"
                 "a symlink in the archive never leads a later entry out of it.  DIR must not exist\n"
                 "or be empty: the image is extracted beside it and renamed onto it only when every\n"
                 "entry was good.  Device nodes are not made and set-user/group-ID bits are dropped.",
        .options = options,
};

int cmd_extract(int argc, char **argv) {
        _cleanup_(cvm_initrd_closep) cvm_initrd *rd = NULL;
        cvm_error err = { 0 };
        char **only = NULL;
        size_t n_only = 0;
        int ind, r;

        if (initrd_parse(&command, argc, argv, NULL, &ind, &r) != 0)
                return r;
        if (argc - ind < 2) {
                log_error("extract: expected INITRD DIR [PATH...] (see --help)");
                return EXIT_USAGE;
        }
        n_only = (size_t) (argc - ind - 2);
        if (n_only > 0) {
                only = calloc(n_only, sizeof(char *));
                if (!only)
                        return EXIT_OUTPUT;
                for (size_t i = 0; i < n_only; i++) {
                        char norm[PATH_MAX];
                        if (cvm_initrd_path_normalise(argv[ind + 2 + i], norm, sizeof(norm)) < 0) {
                                log_error("extract: '%s' is not a path inside an initramfs", argv[ind + 2 + i]);
                                r = EXIT_USAGE;
                                goto out;
                        }
                        only[i] = strdup(norm);
                }
        }
        if (cvm_initrd_open(argv[ind], &rd, &err) < 0) {
                log_error("%s", err.msg);
                r = EXIT_BAD_INPUT;
                goto out;
        }
        r = cvm_initrd_extract(rd, argv[ind + 1], only, n_only, &err) < 0 ? EXIT_BAD_INPUT : EXIT_OK;
        /* DIR exists and is not an empty directory: an output that cannot be written, not a bad image. */
        if (r && (err.code == EEXIST || err.code == ENOTEMPTY))
                r = EXIT_OUTPUT;
        if (r)
                log_error("%s", err.msg);
out:
        for (size_t i = 0; i < n_only; i++)
                free(only[i]);
        free(only);
        return r;
}
