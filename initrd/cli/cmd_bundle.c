/* SPDX-License-Identifier: Apache-2.0 */
/* cvm-initrd bundle: binaries with their library closure and loader, runnable in any initramfs. */

#include <assert.h>

#include "initrd_cli.h"

extern const uint8_t cvm_launcher_start[], cvm_launcher_end[];

static void bundle_freep(cvm_bundle **b) {
        cvm_bundle_free(*b);
}

/* --lib SONAME, repeatable; the array holds argc entries. */
struct lib_list {
        const char **v;
        size_t n;
};

struct bundle_args {
        const char *prefix, *out;
        struct lib_list libs;
        bool list;
};

static int opt_lib(const struct opt *o, const char *arg, void *field) {
        struct lib_list *l = field;

        assert(l->v);
        if (!*arg) {
                log_error("--%s: expected a library's soname, got ''", o->name);
                return -1;
        }
        l->v[l->n++] = arg;
        return 0;
}

static const struct opt options[] = {
        OPT_STR(0, "prefix", struct bundle_args, prefix, "DIR", "where the bundle is meant to be installed (default /usr/lib/cvm/bundle)"),
        OPT_OUTPUT_OUT(struct bundle_args, out, "OUT", "the new directory"),
        OPT_FN(0, "lib", struct bundle_args, libs, "SONAME", opt_lib, "also bundle a library the binaries dlopen() (a TPM TCTI, say)"),
        OPT_FLAG(0, "list", struct bundle_args, list, "print \"DEST SOURCE\" for each file"),
        OPT_END,
};

static const struct opt_command command = {
        .tool = &initrd_tool,
        .name = "bundle",
        .usage = "[--prefix DIR] [--lib SONAME]... [--list] BINARY... --output OUT",
        .about = "Collect each BINARY with its whole shared-library closure (resolved as ld.so would\n"
                 "on this host: RPATH, RUNPATH, /etc/ld.so.cache, system directories) and the\n"
                 "dynamic loader into the new directory OUT, meant to be installed at --prefix:\n\n"
                 "  bin/NAME      static launcher: runs lib/LOADER on libexec/NAME, bundle libs only\n"
                 "  libexec/NAME  the binary\n"
                 "  lib/          the closure and the loader",
        .options = options,
};

/* The bundle of the binaries and libraries, written to a->out. */
static int make_bundle(const struct bundle_args *a, char **binaries, size_t n, cvm_bundle **ret) {
        cvm_error err = { 0 };

        if (cvm_bundle_new(a->prefix, ret, &err) < 0) {
                log_error("%s", err.msg);
                return EXIT_USAGE;
        }
        for (size_t i = 0; i < n; i++)
                if (cvm_bundle_add_binary(*ret, binaries[i], &err) < 0) {
                        log_error("%s", err.msg);
                        return EXIT_BAD_INPUT;
                }
        for (size_t i = 0; i < a->libs.n; i++)
                if (cvm_bundle_add_library(*ret, a->libs.v[i], &err) < 0) {
                        log_error("%s", err.msg);
                        return EXIT_BAD_INPUT;
                }
        if (cvm_bundle_write(*ret, a->out, cvm_launcher_start, (size_t) (cvm_launcher_end - cvm_launcher_start), &err) < 0) {
                log_error("%s", err.msg);
                return EXIT_OUTPUT;
        }
        return EXIT_OK;
}

int cmd_bundle(int argc, char **argv) {
        _cleanup_(bundle_freep) cvm_bundle *b = NULL;
        _cleanup_(freep) const char **libs = calloc((size_t) argc + 1, sizeof(char *));
        struct bundle_args a = { .prefix = "/usr/lib/cvm/bundle", .libs = { libs, 0 } };
        int ind, r;

        if (!libs)
                return EXIT_OUTPUT;
        if (initrd_parse(&command, argc, argv, &a, &ind, &r) != 0)
                return r;
        if (ind >= argc || !a.out) {
                log_error("bundle: expected BINARY... and --output OUT (see --help)");
                return EXIT_USAGE;
        }
        if ((r = make_bundle(&a, argv + ind, (size_t) (argc - ind), &b)) != EXIT_OK)
                return r;
        if (a.list)
                for (size_t i = 0; i < cvm_bundle_count(b); i++) {
                        const char *dest, *src;
                        cvm_bundle_file(b, i, &dest, &src);
                        printf("%s %s\n", dest, src);
                }
        fprintf(stderr, "%s: %zu files in %s, for %s\n", log_program_name(), cvm_bundle_count(b), a.out, a.prefix);
        return EXIT_OK;
}
