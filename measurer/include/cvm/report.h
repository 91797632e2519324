/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* libcvm exports what its public headers declare, and nothing else (libcvm.sym). */
#pragma GCC visibility push(default)

#include <stddef.h>
#include <stdint.h>

#include "cvm/error.h"
#include "cvm/imr.h"
#include "cvm/quote.h"

/*
 * Reports (the CC Trusted API's get_cc_report): a quote from the live
 * platform, bound to 64 bytes of report data.
 *
 *  - tdx:  a DCAP quote through configfs-tsm (/sys/kernel/config/tsm/report),
 *          or, on kernels without it, the legacy TDX_CMD_GET_QUOTE ioctl;
 *  - tpm2: TPM2_Quote over a PCR selection, signed by an attestation key
 *          that is a primary key of the endorsement hierarchy (ECC P-256,
 *          restricted, ECDSA-SHA256: the same key on every call, as it is
 *          derived from the endorsement seed), or a persistent key named by
 *          handle;
 *  - sim:  no report: a simulated quote would prove nothing.
 *
 * Report data follows the CC Trusted API: SHA-512(nonce || user_data) when
 * either is given, else 64 zero bytes; or the caller's raw report data.
 */

#define CVM_REPORT_DATA_SIZE 64

struct cvm_report_request {
        const uint8_t *nonce;
        size_t nonce_len;
        const uint8_t *user_data;
        size_t user_data_len;
        const uint8_t *report_data;     /* raw (<= 64 bytes, zero padded on TDX); excludes nonce and user_data */
        size_t report_data_len;
        /* tpm2 */
        const struct cvm_tpm2_pcr_selection *pcrs;  /* NULL: every PCR of the default bank */
        size_t npcrs;
        uint32_t ak_handle;             /* 0: the endorsement-hierarchy primary AK */
        /* tdx */
        const char *tsm_name;           /* configfs-tsm entry; NULL: a private "cvm-<pid>" made and removed */
};

/* One PCR value read with a TPM quote; their digest equals the quote's pcrDigest. */
struct cvm_report_pcr {
        uint32_t index;
        uint16_t alg;
        uint16_t size;
        uint8_t digest[64];
};

struct cvm_report {
        enum cvm_quote_type type;       /* CVM_QUOTE_TDX or CVM_QUOTE_TPM2 */
        uint8_t report_data[CVM_REPORT_DATA_SIZE];  /* REPORTDATA, or the TPM qualifyingData */
        size_t report_data_len;
        uint8_t *quote;                 /* the DCAP quote, or the marshalled TPMS_ATTEST */
        size_t quote_len;
        uint8_t *signature;             /* tpm2: marshalled TPMT_SIGNATURE */
        size_t signature_len;
        uint8_t *ak_public;             /* tpm2: marshalled TPM2B_PUBLIC of the AK */
        size_t ak_public_len;
        char *ak_pem;                   /* tpm2: the AK as a PEM SubjectPublicKeyInfo */
        struct cvm_report_pcr *pcrs;    /* tpm2: the quoted PCR values, in selection order */
        size_t npcrs;
        struct cvm_quote *parsed;       /* the quote, parsed */
        char source[256];               /* how it was obtained, e.g. "configfs-tsm tdx_guest, generation 3" */
};

/* The report data req binds: SHA-512(nonce || user_data), zeros, or the raw bytes. */
int cvm_report_data(const struct cvm_report_request *req, uint8_t out[CVM_REPORT_DATA_SIZE], size_t *ret_len,
                    cvm_error *err);

/*
 * Get a quote bound to req's report data.  The result is checked before it
 * is returned: its report data is what was asked (a stale or foreign quote
 * is -ESTALE), and a TPM quote's PCR digest matches the PCR values given
 * with it.  -EBUSY: another writer used the configfs-tsm entry meanwhile.
 * -EOPNOTSUPP on the sim backend.
 */
int cvm_imr_report(cvm_imr *imr, const struct cvm_report_request *req, struct cvm_report **ret, cvm_error *err);

void cvm_report_free(struct cvm_report *rep);

#pragma GCC visibility pop
