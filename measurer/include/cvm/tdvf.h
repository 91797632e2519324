/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* libcvm exports what its public headers declare, and nothing else (libcvm.sym). */
#pragma GCC visibility push(default)

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cvm/error.h"

/*
 * TDVF (TDX firmware) metadata and the MRTD a TDX module computes when a VMM
 * loads the image.  The metadata is the "TDVF" descriptor of the Intel TDVF
 * Design Guide (section 11): a list of sections the VMM copies into, or
 * reserves in, the TD's private memory before the first instruction runs.
 */

enum cvm_tdvf_section_type {
        CVM_TDVF_BFV = 0,           /* boot firmware volume: code, copied and measured */
        CVM_TDVF_CFV = 1,           /* configuration firmware volume: variables, copied */
        CVM_TDVF_TD_HOB = 2,        /* hand-off blocks the VMM writes */
        CVM_TDVF_TEMP_MEM = 3,      /* zeroed temporary memory */
        CVM_TDVF_PERM_MEM = 4,      /* permanent memory the VMM accepts */
        CVM_TDVF_PAYLOAD = 5,       /* a payload (kernel) image */
        CVM_TDVF_PAYLOAD_PARAM = 6, /* the payload's parameters */
};

#define CVM_TDVF_ATTR_MR_EXTEND UINT32_C(0x1) /* the content is measured with TDH.MR.EXTEND */
#define CVM_TDVF_ATTR_PAGE_AUG  UINT32_C(0x2) /* the VMM may add the pages late (TDH.MEM.PAGE.AUG) */

#define CVM_TDVF_MAX_SECTIONS 64
#define CVM_MRTD_SIZE 48

struct cvm_tdvf_section {
        uint32_t data_offset;   /* in the image */
        uint32_t raw_size;      /* bytes in the image */
        uint64_t address;       /* guest physical address */
        uint64_t memory_size;   /* bytes in the guest, page-aligned */
        uint32_t type;          /* enum cvm_tdvf_section_type */
        uint32_t attributes;    /* CVM_TDVF_ATTR_* */
};

struct cvm_tdvf {
        size_t descriptor_offset;   /* of the "TDVF" descriptor in the image */
        bool by_guid;               /* found through the OVMF GUIDed table (else the legacy pointer at end - 0x20) */
        uint32_t version;
        uint32_t nsections;
        struct cvm_tdvf_section sections[CVM_TDVF_MAX_SECTIONS];
};

/* Find and check the TDVF descriptor of a firmware image; every offset and size is checked against len. */
int cvm_tdvf_parse(const uint8_t *img, size_t len, struct cvm_tdvf *ret, cvm_error *err);

/* "BFV", "CFV", "TD_HOB", "TempMem", "PermMem", "Payload", "PayloadParam", or NULL. */
const char *cvm_tdvf_section_type_name(uint32_t type);

/*
 * MRTD as the TDX module computes it when QEMU loads img (parsed into t): per
 * section in metadata order, per 4 KiB page TDH.MEM.PAGE.ADD, then for
 * MR_EXTEND sections TDH.MR.EXTEND per 256 bytes.  -EOPNOTSUPP for sections
 * QEMU refuses (PermMem, Payload) and for measured VMM-written memory.
 */
int cvm_tdvf_mrtd(const uint8_t *img, size_t len, const struct cvm_tdvf *t, uint8_t mrtd[CVM_MRTD_SIZE],
                  cvm_error *err);

/* The VMM behaviour cvm_tdvf_mrtd assumes, one sentence each, NULL-terminated; for output next to the value. */
const char *const *cvm_tdvf_assumptions(void);

#pragma GCC visibility pop
