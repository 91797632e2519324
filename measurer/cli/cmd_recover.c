/* SPDX-License-Identifier: Apache-2.0 */
/* cvm-evidence recover: clear a dead writer's dirty marker once the log is shown to match the registers. */
#include <errno.h>

#include "cli.h"

struct recover_args {
        struct cvm_imr_options imr;
        const char *log;
};

static const struct opt options[] = {
        OPT_STR('l', "log", struct recover_args, log, "FILE", "runtime log (default " CVM_RUNTIME_LOG ")"),
        OPT_SUB(struct recover_args, imr, live_backend_options),
        OPT_END,
};

static const struct opt_command command = {
        .tool = &evidence_tool,
        .name = "recover",
        .usage = "[--log FILE] [OPTIONS]",
        .about = "A writer killed between its dirty marker and its extend leaves LOG.dirty, and\n"
                 "every reader refuses the log from then on.  Under the log's lock, replay this\n"
                 "boot's logs (firmware log and the runtime log) and compare each register with\n"
                 "its live value: remove the marker only if all agree (nothing was lost); else\n"
                 "name the register that differs and keep the marker.",
        .options = options,
        .notes = "Exit 0 also when the log is not dirty; 3 keeps the marker.",
};

int cmd_recover(int argc, char **argv) {
        struct recover_args a = { .log = CVM_RUNTIME_LOG };
        _cleanup_(imr_freep) cvm_imr *imr = NULL;
        cvm_error err = { 0 };
        int r;

        if ((r = parse_and_open(&command, argc, argv, &a, &a.imr, &imr)) >= 0)
                return r;
        r = cvm_runtime_recover(imr, a.log, a.imr.sysroot, &err);
        if (r < 0) {
                log_error("%s%s", sim_label(imr), err.msg);
                return r == -EUCLEAN ? EXIT_MISMATCH : EXIT_BAD_INPUT;
        }
        fprintf(stderr, "%s: %s%s: %s\n", log_program_name(), sim_label(imr), a.log,
                r ? "every register matches this boot's logs; the dirty marker was removed" : "not dirty, nothing to do");
        return EXIT_OK;
}
