/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* libcvm exports what its public headers declare, and nothing else (libcvm.sym). */
#pragma GCC visibility push(default)

#include "cvm/error.h"
#include "cvm/eventlog.h"

/*
 * The UEFI CC measurement mapping for TDX (UEFI 2.10, 2.6.x
 * EFI_CC_MEASUREMENT_PROTOCOL): the firmware extends the event it would
 * extend into PCR n into CC MR cvm_pcr_to_ccmr(n), in SHA-384.
 */

/*
 * A CCEL-space log (SHA-384 only) with pcr_log's events under the mapping, in
 * order: PCR1,7 -> RTMR0, PCR2-6 -> RTMR1, PCR8-15 -> RTMR2.  PCR0 events are
 * left out (on TDX the TDX module measures the firmware into MRTD; nothing is
 * logged), as are events no replay extends.  Every mapped event must carry a
 * SHA-384 digest (-EBADMSG, naming it, otherwise); a PCR above 15 has no CC MR
 * (-EINVAL).  *skipped (may be NULL) counts the PCR0 events left out.
 */
int cvm_eventlog_map_cc(const cvm_eventlog *pcr_log, cvm_eventlog **ret, size_t *skipped, cvm_error *err);

#pragma GCC visibility pop
