/* SPDX-License-Identifier: Apache-2.0 */
/* cvm-evidence recover: clear a dead writer's dirty marker once the log is shown to match the registers. */
#include <errno.h>
#include <getopt.h>

#include "cli.h"

static void help(FILE *f) {
        fprintf(f, "Usage: %s recover [--log FILE] [OPTIONS]\n\n"
                   "A writer killed between its dirty marker and its extend leaves LOG.dirty, and\n"
                   "every reader refuses the log from then on.  Under the log's lock, replay this\n"
                   "boot's logs (firmware log and the runtime log) and compare each register with\n"
                   "its live value: remove the marker only if all agree (nothing was lost); else\n"
                   "name the register that differs and keep the marker.\n\n"
                   "  -l, --log FILE      runtime log (default " CVM_RUNTIME_LOG ")\n"
                   IMR_OPTIONS_HELP "  -h, --help\n\n"
                   "Exit codes: 0 marker removed or log not dirty, 1 usage, 2 bad input,\n"
                   "3 a register differs (marker kept), 4 no device.\n",
                program_name);
}

int cmd_recover(int argc, char **argv) {
        static const struct option options[] = {
                { "log", required_argument, NULL, 'l' },
                { "help", no_argument, NULL, 'h' },
                IMR_LONG_OPTIONS,
                {}
        };
        struct cvm_imr_options o = { 0 };
        _cleanup_(imr_freep) cvm_imr *imr = NULL;
        const char *log_path = CVM_RUNTIME_LOG;
        cvm_error err = { 0 };
        int c, r;

        optind = 0;
        while ((c = getopt_long(argc, argv, "l:h", options, NULL)) >= 0) {
                if ((r = imr_option(c, optarg, &o)) < 0)
                        return EXIT_USAGE;
                if (r > 0)
                        continue;
                switch (c) {
                case 'l':
                        log_path = optarg;
                        break;
                case 'h':
                        help(stdout);
                        return EXIT_OK;
                default:
                        help(stderr);
                        return EXIT_USAGE;
                }
        }
        if (optind != argc) {
                log_error("recover: unexpected argument '%s' (see --help)", argv[optind]);
                return EXIT_USAGE;
        }
        if ((r = open_imr(&o, &imr)) != EXIT_OK)
                return r;
        r = cvm_runtime_recover(imr, log_path, o.sysroot, &err);
        if (r < 0) {
                log_error("%s%s", sim_label(imr), err.msg);
                return r == -EUCLEAN ? EXIT_MISMATCH : EXIT_BAD_INPUT;
        }
        fprintf(stderr, "%s: %s%s: %s\n", program_name, sim_label(imr), log_path,
                r ? "every register matches this boot's logs; the dirty marker was removed" : "not dirty, nothing to do");
        return EXIT_OK;
}
