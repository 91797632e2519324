/* SPDX-License-Identifier: Apache-2.0 */
/* The options cvm-evidence and cvm-measure share (backend.h). */
#include <string.h>

#include "backend.h"

static int parse_backend(const struct opt *o, const char *arg, void *field) {
        if (cvm_backend_from_name(arg, field) < 0) {
                log_error("--%s: unknown backend '%s' (expected auto, tpm2, tdx, sim, service)", o->name, arg);
                return -1;
        }
        return 0;
}

static int parse_sim_space(const struct opt *o, const char *arg, void *field) {
        enum cvm_reg_space *space = field;

        if (strcmp(arg, "pcr") == 0)
                *space = CVM_SPACE_PCR;
        else if (strcmp(arg, "cc-mr") == 0)
                *space = CVM_SPACE_CCMR;
        else {
                log_error("--%s: expected pcr or cc-mr, got '%s'", o->name, arg);
                return -1;
        }
        return 0;
}

const struct opt backend_options[] = {
        OPT_FN(0, "backend", struct cvm_imr_options, backend, "B", parse_backend,
               "tpm2, tdx or sim (default: detect TDX, then TPM 2.0;\na dry run of cvm-measure: the register space, default tdx)"),
        OPT_STR(0, "tcti", struct cvm_imr_options, tcti, "CONF",
                "TPM TCTI (default $CVM_TCTI, $TPM2TOOLS_TCTI, device:/dev/tpmrm0)"),
        OPT_STR(0, "sysroot", struct cvm_imr_options, sysroot, "DIR", "root prefix for TDX sysfs/dev paths (tests)"),
        OPT_STR(0, "sim-state", struct cvm_imr_options, sim_state, "FILE",
                "sim: register file (default $CVM_SIM_STATE, /run/cvm/sim-registers)"),
        OPT_FN(0, "sim-space", struct cvm_imr_options, sim_space, "S", parse_sim_space,
               "sim: pcr or cc-mr, when the file is created"),
        OPT_END,
};

const struct opt live_backend_options[] = {
        { .kind = OPT_K_TABLE, .offset = 0, .sub = backend_options },
        OPT_STR(0, "socket", struct cvm_imr_options, service_socket, "PATH",
                "--backend service: cvm-evidenced's socket (default /run/cvm/evidence.sock)"),
        OPT_END,
};

int opt_bank(const struct opt *o, const char *arg, void *field) {
        struct bank_list *l = field;

        if (l->n == sizeof(l->banks) / sizeof(l->banks[0]) || cvm_alg_from_name(arg, &l->banks[l->n]) < 0 ||
            cvm_alg_size(l->banks[l->n]) <= 0) {
                log_error("--%s: unknown or too many algorithms at '%s' (expected sha1, sha256, sha384, sha512, sm3_256)",
                          o->name, arg);
                return -1;
        }
        l->n++;
        return 0;
}
