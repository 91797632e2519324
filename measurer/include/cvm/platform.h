/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* libcvm exports what its public headers declare, and nothing else (libcvm.sym). */
#pragma GCC visibility push(default)

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cvm/digest.h"
#include "cvm/error.h"
#include "cvm/eventlog.h"
#include "cvm/imr.h"
#include "cvm/replay.h"

/*
 * The platform's event logs of this boot, in boot order, and their check
 * against the live registers (the CC Trusted API's get_cc_eventlog and a
 * replay that is compared, not just printed).
 *
 * Logs, each under the root prefix:
 *  1. firmware: on TDX the CCEL (/sys/firmware/acpi/tables/data/CCEL), on
 *     TPM /sys/kernel/security/tpm0/binary_bios_measurements;
 *  2. runtime: this project's log (CVM_RUNTIME_LOG), refused if dirty;
 *  3. IMA: /sys/kernel/security/ima/binary_runtime_measurements, on TPM only
 *     (IMA's PCR10 is not an RTMR; a TD's IMA list is not merged, with a
 *     warning).
 * A log that is absent is a warning; one that is unreadable or bad is an error.
 */

#define CVM_PLATFORM_MAX_LOGS 3

struct cvm_platform_log_options {
        enum cvm_reg_space space;   /* CVM_SPACE_CCMR (TDX) or CVM_SPACE_PCR (TPM): which logs to read */
        const char *sysroot;        /* prefix for /sys paths; NULL or "" = "/" */
        const char *runtime_log;    /* NULL = CVM_RUNTIME_LOG (not under sysroot when given) */
};

struct cvm_platform_log {
        size_t nlogs;
        cvm_eventlog *logs[CVM_PLATFORM_MAX_LOGS];
        char *paths[CVM_PLATFORM_MAX_LOGS];
        char **warnings;
        size_t nwarnings;
};

/* Load what the platform has; succeeds with zero logs (then only warnings say why). */
int cvm_platform_log_load(const struct cvm_platform_log_options *o, struct cvm_platform_log **ret, cvm_error *err);
void cvm_platform_log_free(struct cvm_platform_log *pl);

/* Events across all logs, numbered from 0 in boot order (CC Trusted API start/count). */
size_t cvm_platform_log_count(const struct cvm_platform_log *pl);

/* Event i of that numbering, and (if log is not NULL) the log holding it; NULL past the end. */
const struct cvm_event *cvm_platform_log_event(const struct cvm_platform_log *pl, size_t i, size_t *log);

/* One register of one bank: what the registers hold and what the logs replay to. */
struct cvm_register_check {
        uint32_t index;
        uint16_t alg;
        uint16_t size;
        uint8_t live[CVM_DIGEST_MAX];
        uint8_t replayed[CVM_DIGEST_MAX];
        size_t nextends;             /* events the replay extended into it */
        bool match;
};

/*
 * Compare every register of every active bank of imr the replay computes
 * (cvm_replay_computes) with the replay
 * (MRTD excluded: the TDX module measures it at build, no log covers it).
 * A register no event touched must hold its reset value.  Fills *ret
 * (sorted by index, then bank) and returns the number of mismatches.
 */
int cvm_replay_check(const cvm_replay *r, cvm_imr *imr, struct cvm_register_check **ret, size_t *n, cvm_error *err);

#pragma GCC visibility pop
