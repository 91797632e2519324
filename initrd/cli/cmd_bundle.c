/* SPDX-License-Identifier: Apache-2.0 */
/* cvm-initrd bundle: binaries with their library closure and loader, runnable in any initramfs. */

#include <getopt.h>

#include "initrd_cli.h"

extern const uint8_t cvm_launcher_start[], cvm_launcher_end[];

enum { OPT_PREFIX = 0x100, OPT_OUT, OPT_LIB, OPT_LIST };

static void bundle_freep(cvm_bundle **b) {
        cvm_bundle_free(*b);
}

static void help(void) {
        printf("Usage: %s bundle [--prefix DIR] [--lib SONAME]... [--list] BINARY... --out OUT\n\n"
               "Collect each BINARY with its whole shared-library closure (resolved as ld.so would\n"
               "on this host: RPATH, RUNPATH, /etc/ld.so.cache, system directories) and the\n"
               "dynamic loader into the new directory OUT, meant to be installed at --prefix\n"
               "(default /usr/lib/cvm/bundle):\n\n"
               "  bin/NAME      static launcher: runs lib/LOADER on libexec/NAME, bundle libs only\n"
               "  libexec/NAME  the binary\n"
               "  lib/          the closure and the loader\n\n"
               "  --lib SONAME  also bundle a library the binaries dlopen() (a TPM TCTI, say)\n"
               "  --list        print \"DEST SOURCE\" for each file\n",
               program_name);
}

int cmd_bundle(int argc, char **argv) {
        static const struct option opts[] = {
                { "help", no_argument, NULL, 'h' },
                { "prefix", required_argument, NULL, OPT_PREFIX },
                { "out", required_argument, NULL, OPT_OUT },
                { "lib", required_argument, NULL, OPT_LIB },
                { "list", no_argument, NULL, OPT_LIST },
                {},
        };
        _cleanup_(bundle_freep) cvm_bundle *b = NULL;
        const char *prefix = "/usr/lib/cvm/bundle", *out = NULL;
        _cleanup_(freep) char **libs = calloc((size_t) argc + 1, sizeof(char *));
        size_t n_libs = 0;
        bool list = false;
        cvm_error err = { 0 };
        int c;

        if (!libs)
                return EXIT_OUTPUT;
        while ((c = getopt_long(argc, argv, "h", opts, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return EXIT_OK;
                case OPT_PREFIX:
                        prefix = optarg;
                        break;
                case OPT_OUT:
                        out = optarg;
                        break;
                case OPT_LIB:
                        libs[n_libs++] = optarg;
                        break;
                case OPT_LIST:
                        list = true;
                        break;
                default:
                        return EXIT_USAGE;
                }
        if (optind >= argc || !out) {
                log_error("bundle: expected BINARY... and --out OUT (see --help)");
                return EXIT_USAGE;
        }
        if (cvm_bundle_new(prefix, &b, &err) < 0) {
                log_error("%s", err.msg);
                return EXIT_USAGE;
        }
        for (int i = optind; i < argc; i++)
                if (cvm_bundle_add_binary(b, argv[i], &err) < 0) {
                        log_error("%s", err.msg);
                        return EXIT_BAD_INPUT;
                }
        for (size_t i = 0; i < n_libs; i++)
                if (cvm_bundle_add_library(b, libs[i], &err) < 0) {
                        log_error("%s", err.msg);
                        return EXIT_BAD_INPUT;
                }
        if (cvm_bundle_write(b, out, cvm_launcher_start, (size_t) (cvm_launcher_end - cvm_launcher_start), &err) < 0) {
                log_error("%s", err.msg);
                return EXIT_OUTPUT;
        }
        if (list)
                for (size_t i = 0; i < cvm_bundle_count(b); i++) {
                        const char *dest, *src;
                        cvm_bundle_file(b, i, &dest, &src);
                        printf("%s %s\n", dest, src);
                }
        fprintf(stderr, "%s: %zu files in %s, for %s\n", program_name, cvm_bundle_count(b), out, prefix);
        return EXIT_OK;
}
