/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Private to libcvm: the backend vtable behind cvm_imr. */

#include "cvm/imr.h"
#include "cvm/report.h"
#include <limits.h>

#include "internal.h"

struct imr_ops {
        int (*read)(cvm_imr *imr, uint32_t index, uint16_t alg, uint8_t *out, cvm_error *err);
        /* Every register of bank alg at once; NULL: cvm_imr_read_bank loops over read. */
        int (*read_bank)(cvm_imr *imr, uint16_t alg, uint8_t *out, cvm_error *err);
        int (*extend)(cvm_imr *imr, uint32_t index, const struct cvm_event_digest *digests, size_t n, cvm_error *err);
        /* -EOPNOTSUPP with the explanation if this device cannot extend at all; NULL: it always can. */
        int (*can_extend)(const cvm_imr *imr, cvm_error *err);
        /* Fill rep's quote (and, for tpm2, signature, AK and PCRs) bound to data; NULL: no reports. */
        int (*report)(cvm_imr *imr, const struct cvm_report_request *req, const uint8_t *data, size_t len,
                      struct cvm_report *rep, cvm_error *err);
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
        const char *read_via, *extend_via;   /* the interfaces used; NULL: the backend's name */
        bool simulated;                      /* a test double: the service's sim, the soft TDX device */
        void *priv;
};

/* What cvm_imr_extend refuses (index, MRTD, banks, digest sizes), checked without touching a register. */
int imr_check_extend(const cvm_imr *imr, uint32_t index, const struct cvm_event_digest *digests, size_t n, cvm_error *err);

/* Each fills imr (ops, space, count, banks, reason) or fails with -ENODEV and a message. */
int imr_tpm2_open(cvm_imr *imr, const char *tcti, cvm_error *err);
int imr_tdx_open(cvm_imr *imr, const char *sysroot, cvm_error *err);
int imr_sim_open(cvm_imr *imr, const struct cvm_imr_options *opts, cvm_error *err);
int imr_service_open(cvm_imr *imr, const char *socket_path, cvm_error *err);

/* True if sysroot has the TDX guest interfaces (TSM measurement sysfs or /dev/tdx_guest). */
bool imr_tdx_present(const char *sysroot);

/* The TCTI the tpm2 backend would use, and where it came from ("--tcti", "$CVM_TCTI", ...). */
const char *imr_tpm2_tcti(const char *opt, const char **source);

/* The report op of each backend (report_tpm2.c, report_tdx.c). */
int report_tpm2(cvm_imr *imr, const struct cvm_report_request *req, const uint8_t *data, size_t len,
                struct cvm_report *rep, cvm_error *err);
int report_tdx(cvm_imr *imr, const struct cvm_report_request *req, const uint8_t *data, size_t len,
               struct cvm_report *rep, cvm_error *err);

/* The ESYS context of a tpm2 backend. */
struct ESYS_CONTEXT;
struct ESYS_CONTEXT *imr_tpm2_esys(cvm_imr *imr);

/* The root prefix of a tdx backend ("" for /). */
const char *imr_tdx_root(const cvm_imr *imr);
