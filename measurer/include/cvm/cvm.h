/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* libcvm exports what its public headers declare, and nothing else (libcvm.sym). */
#pragma GCC visibility push(default)

/*
 * libcvm: confidential-VM evidence (event logs, replay, quotes).
 *
 * Thread safety: the library has no mutable global state but the digest
 * table, filled once under pthread_once.  So cvm_digest, cvm_extend, the
 * cvm_alg_* functions, the encoding helpers (cvm_hex*, cvm_unhex,
 * cvm_parse_uint) and every parser or loader that returns a new object
 * (cvm_eventlog_parse/load, cvm_quote_parse/load, cvm_policy_load,
 * cvm_reference_parse/load) may be called from any number of threads.  An
 * object (cvm_eventlog, cvm_replay, cvm_imr, cvm_reference, ...) may be read
 * by several threads through const functions, but one that changes it needs
 * the caller's lock; a cvm_imr handle is used by one thread at a time.
 */

#include "cvm/cc.h"
#include "cvm/bootchain.h"
#include "cvm/ccel.h"
#include "cvm/ccmap.h"
#include "cvm/digest.h"
#include "cvm/efivars.h"
#include "cvm/encoding.h"
#include "cvm/error.h"
#include "cvm/eventlog.h"
#include "cvm/export.h"
#include "cvm/imr.h"
#include "cvm/json.h"
#include "cvm/measure.h"
#include "cvm/platform.h"
#include "cvm/policy.h"
#include "cvm/quote.h"
#include "cvm/register.h"
#include "cvm/replay.h"
#include "cvm/report.h"
#include "cvm/runtime.h"
#include "cvm/tdvf.h"
#include "cvm/verify.h"

#define CVM_VERSION "0.1.0"

/* The library's version string (may differ from CVM_VERSION of the headers a program was built with). */
const char *cvm_version(void);

#pragma GCC visibility pop
