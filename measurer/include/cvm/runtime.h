/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* libcvm exports what its public headers declare, and nothing else (libcvm.sym). */
#pragma GCC visibility push(default)

#include <stddef.h>
#include <stdint.h>

#include "cvm/error.h"
#include "cvm/eventlog.h"
#include "cvm/imr.h"

/*
 * The runtime event log: what this project's tools extend after firmware,
 * kept in TCG2 format (so every TCG2 reader reads it) in the IMR's register
 * space and banks.  It lives in /run/cvm/, which survives switch_root.
 *
 * Every extend holds an exclusive flock on the log and writes a dirty marker
 * (LOG.dirty, naming the pending event) before touching the register; the
 * marker goes only after the event is appended and synced.  A marker found
 * later means a writer died between extend and append: the log and the
 * register may disagree, and readers are told so instead of trusting it,
 * until cvm_runtime_recover finds that they agree.
 */

#define CVM_RUNTIME_LOG "/run/cvm/runtime.log"

/*
 * Extend register index and append the matching event.  digests NULL:
 * each active bank gets H_bank(data); otherwise exactly the banks given are
 * extended.  -EUCLEAN if the log is dirty from an earlier writer.
 */
int cvm_runtime_extend(cvm_imr *imr, const char *log_path, uint32_t index, uint32_t type,
                       const void *data, size_t len, const struct cvm_event_digest *digests, size_t ndigests,
                       cvm_error *err);

/*
 * Append an event that extends nothing (EV_NO_ACTION, zero digests, index 0)
 * to the runtime log of space and banks, under the same lock and checks: a
 * record that this boot's registers were not extended, and why, which every
 * replay skips.  cvm-measure writes {"cvm":1,"kind":"unmeasured",...}.
 */
int cvm_runtime_note(const char *log_path, enum cvm_reg_space space, const uint16_t *banks, size_t nbanks,
                     const void *data, size_t len, cvm_error *err);

/* Load the runtime log under a shared lock; -ENOENT if there is none, -EUCLEAN if it is dirty. */
int cvm_runtime_log_load(const char *log_path, cvm_eventlog **ret, cvm_error *err);

/*
 * Clear a dirty marker that a dead writer left, if nothing was lost: under the
 * log's exclusive lock, replay this boot's logs (firmware log under sysroot,
 * this runtime log) and compare every register with the live one.  1 the
 * marker was removed, 0 the log was not dirty, -EUCLEAN with the first
 * register that differs named (the marker stays).
 */
int cvm_runtime_recover(cvm_imr *imr, const char *log_path, const char *sysroot, cvm_error *err);

#pragma GCC visibility pop
