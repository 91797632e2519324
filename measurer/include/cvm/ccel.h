/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* libcvm exports what its public headers declare, and nothing else (libcvm.sym). */
#pragma GCC visibility push(default)

#include <stdint.h>
#include <stddef.h>

#include "cvm/error.h"

/*
 * The CCEL ACPI table (UEFI 2.10 / ACPI 6.5 "CC Event Log"): where the
 * firmware left the CC event log.  Linux exposes it as
 * /sys/firmware/acpi/tables/CCEL and the log area itself as
 * /sys/firmware/acpi/tables/data/CCEL.
 */

#define CVM_CCEL_TABLE_SIZE 56
#define CVM_CC_TYPE_TDX 2

struct cvm_ccel_table {
        uint32_t length;         /* ACPI header length field */
        uint8_t revision;
        uint8_t cc_type;         /* 1 = SEV, 2 = TDX */
        uint8_t cc_subtype;
        uint64_t laml;           /* log area minimum length */
        uint64_t lasa;           /* log area start address */
};

/* Parse and check the table (signature, length, checksum); -EBADMSG names the offset on failure. */
int cvm_ccel_table_parse(const uint8_t *buf, size_t len, struct cvm_ccel_table *ret, cvm_error *err);

#pragma GCC visibility pop
