/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* libcvm exports what its public headers declare, and nothing else (libcvm.sym). */
#pragma GCC visibility push(default)

#include <stddef.h>

#include "cvm/error.h"
#include "cvm/eventlog.h"

/*
 * The UEFI CC measurement mapping for TDX (UEFI 2.10, 38.4.1,
 * EFI_CC_MEASUREMENT_PROTOCOL): the firmware extends what it would extend into
 * PCR n into CC MR cvm_pcr_to_ccmr(n), in SHA-384.
 */

/*
 * Where OVMF's TDX driver (TdTcg2Dxe) puts the ReadyToBoot separator, the one
 * a TPM log has for each of PCR0-6: edk2-stable202411 and later put a single
 * one into RTMR1 (commit efaf8931bb); earlier IntelTdx builds into RTMR0.
 */
enum cvm_cc_separator {
        CVM_CC_SEPARATOR_RTMR1 = 0,  /* edk2-stable202411 and later (the default) */
        CVM_CC_SEPARATOR_RTMR0 = 1,  /* earlier TDVF builds */
};

/*
 * A CCEL-space log (SHA-384 only) with pcr_log's events as TDVF would log
 * them, in order: PCR1,7 -> RTMR0, PCR2-6 -> RTMR1, PCR8-15 -> RTMR2.  PCR0
 * events are left out (the TDX module measures the firmware into MRTD), as
 * are events no replay extends.  The ReadyToBoot separators of PCR0-6 become
 * one separator, at the first one's place, in the register `sep` names;
 * PCR7's separator stays in RTMR0.  Every mapped event must carry a SHA-384
 * digest (-EBADMSG naming it); a PCR above 15 has no CC MR (-EINVAL).
 * *skipped (may be NULL) counts the events left out.  RTMR0 from a TPM log is
 * not TDVF's: TDVF also measures its TD HOB, CFV and ACPI tables there.
 */
int cvm_eventlog_map_cc(const cvm_eventlog *pcr_log, enum cvm_cc_separator sep, cvm_eventlog **ret,
                        size_t *skipped, cvm_error *err);

/* Parse "rtmr1" or "rtmr0" (any case); -EINVAL otherwise. */
int cvm_cc_separator_from_name(const char *name, enum cvm_cc_separator *ret);

#pragma GCC visibility pop
