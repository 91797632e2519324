/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* libcvm exports what its public headers declare, and nothing else (libcvm.sym). */
#pragma GCC visibility push(default)

#include <stdint.h>

/*
 * Register index convention, used everywhere in libcvm and its tools:
 *
 *  - An event's index is reported exactly as recorded in its log.  For TCG
 *    PC Client logs and IMA lists that is a PCR index (0-23).  For the TDX
 *    CCEL log it is the CC measurement-register (CC MR) index of UEFI 2.10:
 *    0 = MRTD, 1 = RTMR0, 2 = RTMR1, 3 = RTMR2, 4 = RTMR3.
 *  - Every output also carries the register's name (PCR7, MRTD, RTMR2), so a
 *    reader never has to know which space an index belongs to.
 *  - RTMR indices (0-3, as in the TDX module ABI and the sysfs file names)
 *    appear only through the helpers below; they are never stored as an
 *    event's index.
 */

enum cvm_reg_space {
        CVM_SPACE_PCR = 0,   /* TPM PCR index */
        CVM_SPACE_CCMR = 1,  /* UEFI CC measurement-register index */
};

#define CVM_PCR_MAX   24   /* PCR0..PCR23 */
#define CVM_CCMR_MAX  5    /* MRTD, RTMR0..RTMR3 */
#define CVM_REG_NAME_MAX 16

/* Name of a register ("PCR7", "MRTD", "RTMR0", "CCMR9" when out of range) in buf; returns buf. */
const char *cvm_register_name(enum cvm_reg_space space, uint32_t index, char buf[CVM_REG_NAME_MAX]);

/* "pcr" or "cc-mr". */
const char *cvm_reg_space_name(enum cvm_reg_space space);

/* UEFI 2.10 TDX mapping of a PCR to its CC MR index (PCR0->0, 1,7->1, 2-6->2, 8-15->3); -EINVAL otherwise. */
int cvm_pcr_to_ccmr(uint32_t pcr);

/* CC MR index 1..4 to RTMR index 0..3; -EINVAL for MRTD and anything else. */
int cvm_ccmr_to_rtmr(uint32_t ccmr);

/* RTMR index 0..3 to CC MR index 1..4; -EINVAL otherwise. */
int cvm_rtmr_to_ccmr(uint32_t rtmr);

/* Initial value byte pattern of a register before any extend: 0x00, or 0xFF for PCR17-22. */
uint8_t cvm_register_reset_byte(enum cvm_reg_space space, uint32_t index);

#pragma GCC visibility pop
