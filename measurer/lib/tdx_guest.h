/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * Private to libcvm: the Linux TDX guest interfaces, as paths under a root
 * prefix and the /dev/tdx_guest ioctl ABI (linux/tdx-guest.h; GET_QUOTE and
 * EXTEND_RTMR are the out-of-tree ABI of distro and Intel TDX kernels and
 * Intel's DCAP library: upstream has GET_REPORT0 only).
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/ioctl.h>

#define TDX_MEASUREMENTS "/sys/class/misc/tdx_guest/measurements"
#define TDX_GUEST "/dev/tdx_guest"
#define TSM_REPORT "/sys/kernel/config/tsm/report"

struct tdx_report_req {
        uint8_t reportdata[64];
        uint8_t tdreport[1024];
};

struct tdx_quote_req {
        uint64_t buf;      /* a struct tdx_quote_hdr and its data, also the output */
        uint64_t len;
};

struct tdx_quote_hdr {
        uint64_t version;  /* 1 */
        uint64_t status;   /* TDX_QUOTE_* set by the VMM */
        uint32_t in_len;
        uint32_t out_len;
        /* data: a big-endian u32 length, then a QGS message */
};

/* index is the RTMR (0-3), not the CC MR index. */
struct tdx_extend_rtmr_req {
        uint8_t data[48];
        uint8_t index;
};
_Static_assert(sizeof(struct tdx_extend_rtmr_req) == 49, "the kernel's request is 49 bytes");

#define TDX_CMD_GET_REPORT0 _IOWR('T', 1, struct tdx_report_req)
/*
 * The one extend command has two numbers in the wild (the kernel matches it
 * exactly, so the wrong one is ENOTTY): _IOR in DCAP's default build and the
 * Anolis kernel, _IOW in intel/tdx (which refuses RTMR0/1 with EPERM) and
 * DCAP's V3_DRIVER build.
 */
#define TDX_CMD_EXTEND_RTMR_IOR _IOR('T', 3, struct tdx_extend_rtmr_req)
#define TDX_CMD_EXTEND_RTMR_IOW _IOW('T', 3, struct tdx_extend_rtmr_req)
#define TDX_CMD_GET_QUOTE _IOR('T', 4, struct tdx_quote_req)

#define TDX_QUOTE_SUCCESS UINT64_C(0)
#define TDX_QUOTE_IN_FLIGHT UINT64_C(0xffffffffffffffff)
#define TDX_QUOTE_ERROR UINT64_C(0x8000000000000000)
#define TDX_QUOTE_UNAVAILABLE UINT64_C(0x8000000000000001)

#include "cvm/error.h"

/* A TDREPORT bound to reportdata, from root's /dev/tdx_guest (imr_tdx.c). */
int tdx_get_tdreport(const char *root, const uint8_t reportdata[64], uint8_t tdreport[1024], cvm_error *err);

/*
 * Intel's quote generation service (QGS) messages inside the GET_QUOTE
 * buffer: a 16-byte header {u16 major, u16 minor, u32 type, u32 size,
 * u32 error}, then for a response {u32 selected_id_size, u32 quote_size,
 * id, quote}.  All little-endian.
 */
#define QGS_GET_QUOTE_REQ 0
#define QGS_GET_QUOTE_RESP 1
#define QGS_HEADER_SIZE 16

/* The quote inside a QGS GET_QUOTE_RESP of msg_len bytes (pointing into msg), bounds-checked. */
int tdx_qgs_response(const uint8_t *msg, uint32_t msg_len, const uint8_t **quote, uint32_t *quote_len, cvm_error *err);

/* root + rel into buf; false if it does not fit (a truncated path would name another file). */
static inline bool tdx_path(char *buf, size_t size, const char *root, const char *rel) {
        int n = snprintf(buf, size, "%s%s", root, rel);
        return n >= 0 && (size_t) n < size;
}
