/* SPDX-License-Identifier: Apache-2.0 */
/* cvm-initrd: read, extend and rebuild initramfs images; bundle binaries for them. */

#include <string.h>

#include "cvm/cvm.h"
#include "initrd_cli.h"

static const struct opt_exit exits[] = {
        { EXIT_OK, "ok", "success" },
        { EXIT_USAGE, "usage", "bad command line" },
        { EXIT_BAD_INPUT, "bad input", "an unreadable or malformed image or input file" },
        { EXIT_OUTPUT, "output", "cannot write the output (128+N: stopped by signal N; no temporary output is left)" },
        {},
};

const struct opt_tool initrd_tool = {
        .name = "cvm-initrd",
        .version = "cvm-initrd " CVM_VERSION,
        .exits = exits,
};

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
        printf("Usage: %s COMMAND [OPTIONS] ...\n"
               "       %s -h|--help | -V|--version\n\n"
               "Read, extend and rebuild initramfs images (cpio newc segments, any compression).\n\n",
               log_program_name(), log_program_name());
        for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
                printf("  %-8s %s\n", commands[i].name, commands[i].what);
        printf("\n`%s COMMAND --help` for each.\n\n", log_program_name());
        opt_print_exits(&initrd_tool, 0, stdout);
}

int main(int argc, char **argv) {
        log_set_program_name(initrd_tool.name);
        if (argc < 2) {
                help();
                return EXIT_USAGE;
        }
        if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
                help();
                return EXIT_OK;
        }
        if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
                puts(initrd_tool.version);
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
                        r = commands[i].run(argc - 1, argv + 1);
                        sig = cvm_initrd_interrupted();
                        return sig ? 128 + sig : r;
                }
        log_error("unknown command '%s' (see --help)", argv[1]);
        return EXIT_USAGE;
}
