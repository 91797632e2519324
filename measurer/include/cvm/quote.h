/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* libcvm exports what its public headers declare, and nothing else (libcvm.sym). */
#pragma GCC visibility push(default)

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cvm/error.h"

/*
 * Quotes and reports: the TDX TDREPORT (1024 bytes), TDX DCAP quotes v4 and
 * v5 (TD report body 1.0 and 1.5), and TPM2 quotes (TPMS_ATTEST, raw or as
 * a TPM2B_ATTEST).  Parsing checks structure and lengths; it does not verify
 * signatures (that needs the collateral or the key).
 */

enum cvm_quote_type {
        CVM_QUOTE_TDREPORT = 1,
        CVM_QUOTE_TDX,
        CVM_QUOTE_TPM2,
};

#define CVM_TDX_MR_SIZE 48
#define CVM_TDX_REPORT_DATA_SIZE 64
#define CVM_TDREPORT_SIZE 1024

/* The measurements a TD report carries, in a TDREPORT's TDINFO or a quote body. */
struct cvm_td_measurements {
        uint8_t attributes[8];
        uint8_t xfam[8];
        uint8_t mrtd[CVM_TDX_MR_SIZE];
        uint8_t mrconfigid[CVM_TDX_MR_SIZE];
        uint8_t mrowner[CVM_TDX_MR_SIZE];
        uint8_t mrownerconfig[CVM_TDX_MR_SIZE];
        uint8_t rtmr[4][CVM_TDX_MR_SIZE];
        uint8_t report_data[CVM_TDX_REPORT_DATA_SIZE];
};

struct cvm_tdreport {
        uint8_t report_type;     /* 0x81 = TDX */
        uint8_t report_subtype;
        uint8_t report_version;  /* 0 = TDX 1.0, 1 = TDX 1.5 (SERVTD_HASH valid) */
        uint8_t cpusvn[16];
        uint8_t tee_tcb_info_hash[48];
        uint8_t tee_info_hash[48];
        uint8_t mac[32];
        uint8_t tee_tcb_svn[16];
        uint8_t mrseam[48];
        uint8_t mrsignerseam[48];
        uint8_t seam_attributes[8];
        uint8_t servtd_hash[48];
        struct cvm_td_measurements td;
};

struct cvm_tdx_quote {
        uint16_t version;            /* 4 or 5 */
        uint16_t att_key_type;       /* 2 = ECDSA P-256, 3 = ECDSA P-384 */
        uint32_t tee_type;           /* 0x81 = TDX */
        uint16_t qe_svn;
        uint16_t pce_svn;
        uint8_t qe_vendor_id[16];
        uint8_t user_data[20];
        uint16_t body_type;          /* 2 = TDX 1.0 (584 bytes), 3 = TDX 1.5 (648 bytes) */
        uint32_t body_size;
        uint8_t tee_tcb_svn[16];
        uint8_t mrseam[48];
        uint8_t mrsignerseam[48];
        uint8_t seam_attributes[8];
        struct cvm_td_measurements td;
        uint8_t tee_tcb_svn2[16];    /* body type 3 only */
        uint8_t mrservicetd[48];     /* body type 3 only */
        uint32_t sig_data_len;
        const uint8_t *signature;    /* 64 bytes (ECDSA P-256 r||s) */
        const uint8_t *attestation_key; /* 64 bytes */
        uint16_t cert_type;          /* outer certification data type (6 = QE report) */
        uint32_t cert_size;
        const uint8_t *qe_report;    /* 384 bytes, cert type 6 only */
        const uint8_t *qe_report_signature; /* 64 bytes, cert type 6 only */
        uint16_t qe_auth_size;
        uint16_t pck_cert_type;      /* nested certification data type (5 = PCK chain) */
        char *pck_chain_pem;         /* NUL-terminated PEM chain, or NULL */
        size_t trailing;             /* bytes after the signature data (warned, not fatal) */
};

/* One bank of a TPMS_PCR_SELECTION list. */
struct cvm_tpm2_pcr_selection {
        uint16_t alg;
        uint8_t size;                /* bytes of the bitmap in use (<= 4) */
        uint8_t select[4];           /* bit n of byte n/8 = PCR n */
};

#define CVM_TPM2_MAX_SELECTIONS 16

struct cvm_tpm2_quote {
        uint32_t magic;              /* TPM_GENERATED_VALUE 0xff544347 */
        uint16_t type;               /* TPM_ST_ATTEST_QUOTE 0x8018 */
        uint8_t signer[68];          /* qualifiedSigner (a TPM2B_NAME) */
        uint16_t signer_size;
        uint8_t extra_data[64];      /* the nonce (qualifying data) */
        uint16_t extra_data_size;
        uint64_t clock;
        uint32_t reset_count;
        uint32_t restart_count;
        bool safe;
        uint64_t firmware_version;
        uint32_t nselections;
        struct cvm_tpm2_pcr_selection selections[CVM_TPM2_MAX_SELECTIONS];
        uint8_t pcr_digest[64];
        uint16_t pcr_digest_size;
};

struct cvm_quote {
        enum cvm_quote_type type;
        union {
                struct cvm_tdreport tdreport;
                struct cvm_tdx_quote tdx;
                struct cvm_tpm2_quote tpm2;
        };
        uint8_t *raw;                /* a copy of the input; the pointers above point into it */
        size_t raw_len;
};

/* Detect and parse a TDREPORT, TDX quote v4/v5 or TPM2 quote from buf (copied). */
int cvm_quote_parse(const uint8_t *buf, size_t len, struct cvm_quote **ret, cvm_error *err);

/* Read a file and parse it; error messages start with the path. */
int cvm_quote_load(const char *path, struct cvm_quote **ret, cvm_error *err);

void cvm_quote_free(struct cvm_quote *q);

/* "tdreport", "tdx-quote" or "tpm2-quote". */
const char *cvm_quote_type_name(enum cvm_quote_type type);

/* The TD measurements of a TDREPORT or TDX quote; NULL for a TPM2 quote. */
const struct cvm_td_measurements *cvm_quote_td(const struct cvm_quote *q);

#pragma GCC visibility pop
