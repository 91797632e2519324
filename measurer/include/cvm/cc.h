/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* libcvm exports what its public headers declare, and nothing else (libcvm.sym). */
#pragma GCC visibility push(default)

#include <stddef.h>
#include <stdint.h>

#include "cvm/digest.h"
#include "cvm/error.h"
#include "cvm/eventlog.h"
#include "cvm/imr.h"
#include "cvm/platform.h"
#include "cvm/report.h"

/*
 * The CC Trusted API (github.com/cc-api/cc-trusted-api), call for call, with
 * the API's conventions, so a program ported from it keeps its numbers:
 *  - a register is named by its IMR index: on TDX the RTMR index 0-3 (libcvm's
 *    CC MR index 1-4 less one; MRTD has no IMR index), on TPM the PCR index;
 *  - CVM_CC_ALG_DEFAULT (TPM_ALG_ERROR) asks for the platform's default
 *    algorithm: SHA-384 on TDX, SHA-256 on TPM;
 *  - the events of cvm_cc_get_cc_eventlog and the registers of
 *    cvm_cc_replay_cc_eventlog carry the IMR index too (a CCEL records the
 *    CC MR index).
 * Errors and ownership follow libcvm: negative errno, and a cvm_error.
 * libcvm(3) maps each call to the native ones.
 */

#define CVM_CC_ALG_DEFAULT UINT16_C(0x0000)   /* TPM_ALG_ERROR: the default algorithm */

/* A register value (the API's TcgDigest). */
struct cvm_cc_digest {
        uint32_t imr_index;
        uint16_t alg;
        uint16_t size;
        uint8_t hash[CVM_DIGEST_MAX];
};

/* An event as get_cc_eventlog returns it: its IMR index and the event (owned by the platform log). */
struct cvm_cc_event {
        uint32_t imr_index;
        const struct cvm_event *event;
};

/* get_default_algorithm(): the TCG algorithm id of imr's default bank. */
uint16_t cvm_cc_get_default_algorithm(const cvm_imr *imr);

/* get_measurement_count(): 4 on TDX (RTMR0-3: MRTD is not counted), the PCR count on TPM. */
uint32_t cvm_cc_get_measurement_count(const cvm_imr *imr);

/* get_cc_measurement([imr_index, alg]): the live value; -EINVAL for an index past the count. */
int cvm_cc_get_cc_measurement(cvm_imr *imr, uint32_t imr_index, uint16_t alg, struct cvm_cc_digest *ret, cvm_error *err);

/*
 * get_cc_eventlog(start, count) over the boot's logs (cvm_platform_log_load),
 * numbered from 0; count 0 means up to the end (the API's None).  *ret is
 * malloc'ed; -EINVAL when start or start + count passes the end.
 */
int cvm_cc_get_cc_eventlog(const struct cvm_platform_log *pl, size_t start, size_t count, struct cvm_cc_event **ret,
                           size_t *n, cvm_error *err);

/*
 * get_cc_report(nonce, data, extraArgs): a quote bound to SHA-512(nonce ||
 * data) (64 zero bytes without either); extra (may be NULL) carries the
 * API's extraArgs, the TPM PCR selection and key.  -EOPNOTSUPP on sim.
 */
int cvm_cc_get_cc_report(cvm_imr *imr, const uint8_t *nonce, size_t nonce_len, const uint8_t *data, size_t data_len,
                         const struct cvm_report_request *extra, struct cvm_report **ret, cvm_error *err);

/*
 * replay_cc_eventlog(get_cc_eventlog()): what the boot's logs extend each
 * register to, sorted by IMR index then algorithm; *ret is malloc'ed.  It
 * replays every event of pl (the list a replay can match the registers with).
 */
int cvm_cc_replay_cc_eventlog(const struct cvm_platform_log *pl, struct cvm_cc_digest **ret, size_t *n, cvm_error *err);

#pragma GCC visibility pop
