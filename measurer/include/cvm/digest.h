/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* libcvm exports what its public headers declare, and nothing else (libcvm.sym). */
#pragma GCC visibility push(default)

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cvm/error.h"

/* TCG algorithm ids (TPM_ALG_ID) used in event logs and PCR banks. */
#define CVM_ALG_SHA1     UINT16_C(0x0004)
#define CVM_ALG_SHA256   UINT16_C(0x000B)
#define CVM_ALG_SHA384   UINT16_C(0x000C)
#define CVM_ALG_SHA512   UINT16_C(0x000D)
#define CVM_ALG_SM3_256  UINT16_C(0x0012)

/* The OpenSSL that libcvm dlopen()s, on first use, to hash files and check signatures (it links no libcrypto). */
#define CVM_CRYPTO_SONAME "libcrypto.so.3"

/* The largest digest any known algorithm produces (SHA-512). */
#define CVM_DIGEST_MAX 64

/* Lower-case name of a TCG algorithm id ("sha256"), or NULL when unknown. */
const char *cvm_alg_name(uint16_t alg);

/* Parse "sha256", "SHA-256" or "0x000b" into an algorithm id; -EINVAL if unknown. */
int cvm_alg_from_name(const char *name, uint16_t *ret);

/* Digest size in bytes of a known algorithm, or -ENOENT. */
int cvm_alg_size(uint16_t alg);

/* True if libcvm can compute the algorithm (SM3 only where the OpenSSL it loads has it). */
bool cvm_alg_supported(uint16_t alg);

/* out = H_alg(data); out must hold cvm_alg_size(alg) bytes. */
int cvm_digest(uint16_t alg, const void *data, size_t len, uint8_t *out, cvm_error *err);

/* The extend operation of PCRs and RTMRs: reg = H_alg(reg || digest), both of the alg's size. */
int cvm_extend(uint16_t alg, uint8_t *reg, const uint8_t *digest, cvm_error *err);

/* The digests in each of algs[0..nalgs) (at most 8) of the rest of fd, read to its end; out[i] gets cvm_alg_size(algs[i]) bytes.
 * Streams go through OpenSSL, loaded on first use: -EOPNOTSUPP if it cannot be, or lacks an algorithm (SM3). */
int cvm_digest_fd(int fd, const uint16_t *algs, size_t nalgs, uint8_t (*out)[CVM_DIGEST_MAX], cvm_error *err);

/* cvm_digest_fd of the regular file path, opened non-blocking: a FIFO or device put in its place is refused, never waited on. */
int cvm_digest_file(const char *path, const uint16_t *algs, size_t nalgs, uint8_t (*out)[CVM_DIGEST_MAX], cvm_error *err);

#pragma GCC visibility pop
