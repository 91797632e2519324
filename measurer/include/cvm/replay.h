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
#include "cvm/register.h"

/*
 * Replay: the register values a log (or several logs of one boot, in order)
 * produces.  Initial values follow the TCG PC Client Platform Firmware
 * Profile: a StartupLocality event sets PCR0's last byte (3 on TXT, 4 with an
 * H-CRTM), PCR17-22 start all-ones, every other PCR and every RTMR at zero.
 * EV_NO_ACTION is never extended.  IMA events whose template hash is all
 * zero (a violation) are extended as all-0xFF.
 */

struct cvm_register_value {
        enum cvm_reg_space space;
        uint32_t index;                  /* as recorded, see cvm/register.h */
        uint16_t alg;
        uint16_t size;
        uint8_t digest[CVM_DIGEST_MAX];
        size_t nextends;                 /* events extended into it */
        const struct cvm_event *last;    /* last event extended into it */
        const cvm_eventlog *last_log;    /* the log `last` belongs to */
};

typedef struct cvm_replay cvm_replay;

/* An empty replay; banks (may be NULL) limits or, for IMA, widens the banks computed. */
int cvm_replay_new(const uint16_t *banks, size_t nbanks, cvm_replay **ret, cvm_error *err);

/*
 * Extend every event of log into the replay.  Logs must share one register
 * space (-EXDEV otherwise).  The log must outlive the replay (`last` points
 * into it).  Banks the log has but OpenSSL cannot compute are skipped with a
 * warning.
 */
int cvm_replay_add_log(cvm_replay *r, const cvm_eventlog *log, cvm_error *err);

/* Registers touched so far, sorted by index then algorithm id. */
size_t cvm_replay_registers(const cvm_replay *r, const struct cvm_register_value **ret);

/* One register, or NULL if no event touched it. */
const struct cvm_register_value *cvm_replay_find(const cvm_replay *r, uint32_t index, uint16_t alg);

/* Number of events extended. */
size_t cvm_replay_events(const cvm_replay *r);

/* Warnings of the replay (skipped banks, events without a digest in a bank). */
size_t cvm_replay_warnings(const cvm_replay *r, const char *const **ret);

void cvm_replay_free(cvm_replay *r);

/* Whether the replay computes bank alg: any bank when none was requested, else the requested ones. */
bool cvm_replay_computes(const cvm_replay *r, uint16_t alg);

#pragma GCC visibility pop
