/* SPDX-License-Identifier: Apache-2.0 */
/* cvm-initrd: read, extend and rebuild initramfs images; bundle binaries for them. */

#include <getopt.h>
#include <string.h>

#include "cvm/cvm.h"
#include "initrd_cli.h"

const char *program_name = "cvm-initrd";

static const struct {
        const char *name;
        int (*run)(int argc, char **argv);
        const char *what;
} commands[] = {
        { "list", cmd_list, "every entry of every segment" },
        { "extract", cmd_extract, "extract into a directory, never outside it" },
        { "append", cmd_append, "append one deterministic segment, keeping the existing bytes" },
        { "rebuild", cmd_rebuild, "rewrite the main segment: remove or replace files" },
        { "create", cmd_create, "a new image of one deterministic segment" },
        { "bundle", cmd_bundle, "binaries with their library closure and loader, for any initramfs" },
};

static void help(void) {
        printf("Usage: %s COMMAND [OPTIONS] ...\n\n"
               "Read, extend and rebuild initramfs images (cpio newc segments, any compression).\n\n",
               program_name);
        for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
                printf("  %-8s %s\n", commands[i].name, commands[i].what);
        printf("\n`%s COMMAND --help` for each.  Exit codes: 0 ok, 1 usage, 2 bad input, 3 cannot write output,\n"
               "128+N stopped by signal N (no temporary output is left).\n",
               program_name);
}

int main(int argc, char **argv) {
        if (argc < 2) {
                help();
                return EXIT_USAGE;
        }
        if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
                help();
                return EXIT_OK;
        }
        if (strcmp(argv[1], "--version") == 0) {
                printf("%s %s\n", program_name, cvm_version());
                return EXIT_OK;
        }
        for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
                if (strcmp(argv[1], commands[i].name) == 0) {
                        int r, sig;
                        /* A temporary output must not outlive SIGINT or SIGTERM. */
                        if (cvm_initrd_catch_signals() < 0) {
                                log_error("cannot install the signal handlers");
                                return EXIT_OUTPUT;
                        }
                        optind = 1;
                        r = commands[i].run(argc - 1, argv + 1);
                        sig = cvm_initrd_interrupted();
                        return sig ? 128 + sig : r;
                }
        log_error("unknown command '%s' (see --help)", argv[1]);
        return EXIT_USAGE;
}
