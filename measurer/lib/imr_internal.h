/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Private to libcvm: the backend vtable behind cvm_imr. */

#include "cvm/imr.h"
#include <limits.h>

#include "internal.h"

struct imr_ops {
        int (*read)(cvm_imr *imr, uint32_t index, uint16_t alg, uint8_t *out, cvm_error *err);
        int (*extend)(cvm_imr *imr, uint32_t index, const struct cvm_event_digest *digests, size_t n, cvm_error *err);
        void (*close)(cvm_imr *imr);
};

struct cvm_imr {
        enum cvm_backend backend;
        const struct imr_ops *ops;
        enum cvm_reg_space space;
        uint32_t count;
        uint16_t banks[CVM_LOG_MAX_ALGS];
        size_t nbanks;
        char reason[PATH_MAX + 256];
        void *priv;
};

/* Each fills imr (ops, space, count, banks, reason) or fails with -ENODEV and a message. */
int imr_tpm2_open(cvm_imr *imr, const char *tcti, cvm_error *err);
int imr_tdx_open(cvm_imr *imr, const char *sysroot, cvm_error *err);
int imr_sim_open(cvm_imr *imr, const struct cvm_imr_options *opts, cvm_error *err);

/* True if sysroot has the TDX guest interfaces (TSM measurement sysfs or /dev/tdx_guest). */
bool imr_tdx_present(const char *sysroot);

/* The TCTI the tpm2 backend would use, and where it came from ("--tcti", "$CVM_TCTI", ...). */
const char *imr_tpm2_tcti(const char *opt, const char **source);
