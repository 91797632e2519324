/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* libcvm exports what its public headers declare, and nothing else (libcvm.sym). */
#pragma GCC visibility push(default)

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cvm/error.h"
#include "cvm/eventlog.h"
#include "cvm/register.h"

/*
 * Live integrity measurement registers (IMR): TPM PCRs or TDX MRTD/RTMRs,
 * behind one handle.  Register indices follow cvm/register.h: PCR indices on
 * TPM, CC MR indices on TDX (1..4 = RTMR0..3), in every call here.
 *
 * Backends:
 *  - tpm2: libtss2-esys through tss2-tctildr, any TCTI;
 *  - tdx:  the Linux TDX guest interfaces under a root prefix, so tests run
 *          against a fake tree: reads from the TSM measurement sysfs (6.16+)
 *          or a TDREPORT (/dev/tdx_guest, 6.2+); extends through that sysfs,
 *          else the out-of-tree TDX_CMD_EXTEND_RTMR ioctl of distro and Intel
 *          TDX kernels (either of its two numbers), else not at all;
 *  - sim:  a file-backed register set with the exact extend arithmetic.  It
 *          is never picked automatically and everything made from it says
 *          "simulated".
 */

enum cvm_backend {
        CVM_BACKEND_AUTO = 0,
        CVM_BACKEND_TPM2,
        CVM_BACKEND_TDX,
        CVM_BACKEND_SIM,
        CVM_BACKEND_SERVICE,    /* cvm-evidenced over its socket: reads only (see cvm-evidenced(8)) */
};

struct cvm_imr_options {
        enum cvm_backend backend;
        const char *tcti;        /* tpm2: TCTI config; NULL = $CVM_TCTI, $TPM2TOOLS_TCTI, "device:/dev/tpmrm0" */
        const char *sysroot;     /* tdx: prefix for /sys and /dev paths; NULL or "" = "/" */
        const char *sim_state;   /* sim: state file; NULL = $CVM_SIM_STATE, else /run/cvm/sim-registers */
        enum cvm_reg_space sim_space;   /* sim: registers to create (PCR0-23 or MRTD+RTMR0-3) */
        const uint16_t *sim_banks;      /* sim: banks to create; NULL = sha256 (PCR) or sha384 (CC MR) */
        size_t sim_nbanks;
        const char *service_socket;     /* service: NULL = $CVM_EVIDENCE_SOCKET, else /run/cvm/evidence.sock */
};

typedef struct cvm_imr cvm_imr;

/* "auto", "tpm2", "tdx", "sim", "service". */
const char *cvm_backend_name(enum cvm_backend b);
int cvm_backend_from_name(const char *name, enum cvm_backend *ret);

/*
 * Open the backend asked for, or detect one: TDX (the TSM measurement
 * directory or /dev/tdx_guest exists under sysroot), then TPM2 (a TCTI is
 * configured or /dev/tpmrm0 exists).  -ENODEV with a message when nothing is
 * there.  A tdx backend opens on a kernel that cannot extend, too (reads and
 * quotes work): cvm_imr_can_extend tells.
 */
int cvm_imr_open(const struct cvm_imr_options *opts, cvm_imr **ret, cvm_error *err);
void cvm_imr_close(cvm_imr *imr);

enum cvm_backend cvm_imr_backend(const cvm_imr *imr);

/* Why this backend was chosen (for `cvm-evidence info`). */
const char *cvm_imr_reason(const cvm_imr *imr);

/*
 * How the registers are read and extended.  tdx: read "sysfs" or "tdreport",
 * extend "sysfs", "ioctl" or "none" (chosen at open); tpm2 and sim: their
 * backend name.
 */
const char *cvm_imr_read_via(const cvm_imr *imr);
const char *cvm_imr_extend_via(const cvm_imr *imr);

/* The kernels that can extend RTMRs, for messages that tell a user which one to boot. */
#define CVM_TDX_EXTEND_KERNELS \
        "Linux 6.16+ with CONFIG_TSM_MEASUREMENTS, or a TDX kernel carrying the TDX_CMD_EXTEND_RTMR ioctl"

/* 0 if this backend can extend its registers; else -EOPNOTSUPP naming what the kernel lacks and which kernels can. */
int cvm_imr_can_extend(const cvm_imr *imr, cvm_error *err);

/* True if sysroot's /proc/cpuinfo says this CPU is a TDX guest (the tdx_guest flag); sysroot NULL or "" = "/". */
bool cvm_tdx_guest_cpu(const char *sysroot);

/*
 * Wait up to timeout_ms for sysroot's TDX guest interface (the TSM
 * measurement sysfs or /dev/tdx_guest) to appear, e.g. while udev loads the
 * driver: 0 once it is there, -ETIMEDOUT if it never came.
 */
int cvm_tdx_wait_interface(const char *sysroot, unsigned timeout_ms);

/* True for the sim backend. */
bool cvm_imr_simulated(const cvm_imr *imr);

/* PCR or CC MR indices. */
enum cvm_reg_space cvm_imr_space(const cvm_imr *imr);

/* The bank the CC Trusted API calls the default algorithm: SHA-384 on TDX, SHA-256 on TPM if active. */
uint16_t cvm_imr_default_alg(const cvm_imr *imr);

/* Number of registers: 24 PCRs, or 5 CC MRs (MRTD, RTMR0-3). */
uint32_t cvm_imr_count(const cvm_imr *imr);

/* Active banks, in the platform's order. */
size_t cvm_imr_banks(const cvm_imr *imr, const uint16_t **ret);

/* Read register index in bank alg into out (cvm_alg_size(alg) bytes). */
int cvm_imr_read(cvm_imr *imr, uint32_t index, uint16_t alg, uint8_t *out, cvm_error *err);

/* Every register of bank alg into out (count x cvm_alg_size(alg) bytes, index order), in as few round trips as the device allows. */
int cvm_imr_read_bank(cvm_imr *imr, uint16_t alg, uint8_t *out, cvm_error *err);

/* Extend register index with one digest per bank given (a subset of the active banks). */
int cvm_imr_extend(cvm_imr *imr, uint32_t index, const struct cvm_event_digest *digests, size_t n, cvm_error *err);

#pragma GCC visibility pop
