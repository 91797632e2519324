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
#include "cvm/policy.h"
#include "cvm/register.h"

/*
 * What cvm-measure records: the events a policy yields over a root tree, in
 * one fixed order (the policy first, then groups and items as written, the
 * entries of an item sorted byte-wise by path, a separator per register
 * last), so the same tree gives the same registers on any machine.  Files
 * are hashed in parallel; nothing here touches a register: callers extend
 * the events (cvm_runtime_extend) or, for a dry run, replay them.
 *
 * An event's data is one line of JSON describing it:
 *   {"cvm":1,"kind":K,"group":G,"class":C,"path":P,"size":N,"mode":"0644",...}
 * kind is policy, late, file, symlink (with "target"), skipped (a device, socket or
 * FIFO, with "type"), missing, error (with "reason"), cmdline, string (with
 * "value") or separator.  A file's (and the cmdline's) digest is the digest
 * of its content, so `sha384sum` checks it; a symlink's is the digest of its
 * target string; every other event's is the digest of its data.
 */

#define CVM_MEASURE_MAX_BANKS 8

struct cvm_measure_options {
        const char *root;            /* the tree measured; NULL = "/" */
        const char *proc;            /* cmdline comes from PROC/cmdline; NULL = "/proc" */
        enum cvm_reg_space space;    /* CC MR (TDX) or PCR (TPM) */
        const uint16_t *banks;       /* digests each event carries */
        size_t nbanks;
        unsigned threads;            /* hashing threads, the caller among them (it builds the events
                                        as the files are done); 0 = online CPUs */
        bool late;                   /* after switch_root: a "late" event follows the policy's */
};

struct cvm_measure_event {
        uint32_t index;              /* register, in space */
        uint32_t type;               /* CVM_EV_IPL, or CVM_EV_SEPARATOR */
        char *data;                  /* the JSON line above */
        size_t ndigests;
        struct cvm_event_digest digests[CVM_MEASURE_MAX_BANKS];
        uint8_t bytes[CVM_MEASURE_MAX_BANKS][CVM_DIGEST_MAX];
        const char *kind;
        char *item;                  /* path, or item name (policy, cmdline, string, separator) */
        const struct cvm_policy_group *group;   /* NULL for policy and separator events */
};

struct cvm_measurement {
        struct cvm_measure_event *events;
        size_t nevents;
        char **errors;               /* items that failed in "continue" groups (also logged as error events) */
        size_t nerrors;
        size_t files;                /* regular files hashed */
        uint64_t bytes;              /* their total size */
};

/*
 * Measure policy p over o->root.  A failure in a "halt" group stops with
 * -ECANCELED and a message naming the group and item; other errors are
 * negative errnos.  Nothing is extended.
 */
int cvm_measure_compute(const struct cvm_policy *p, const struct cvm_measure_options *o, struct cvm_measurement **ret,
                        cvm_error *err);

void cvm_measurement_free(struct cvm_measurement *m);

/*
 * m, computed for p, as it reads in another register space with banks a
 * subset of m's: the same events (data, digests) on that space's registers,
 * and that space's separators; what cvm_measure_compute would give there,
 * without reading the files again.  -EINVAL when a bank is not among m's.
 */
int cvm_measurement_in_space(const struct cvm_measurement *m, const struct cvm_policy *p, enum cvm_reg_space space,
                             const uint16_t *banks, size_t nbanks, struct cvm_measurement **ret, cvm_error *err);

/* The events as a TCG2 log in o's space and banks (what a dry run writes and replays). */
int cvm_measurement_to_log(const struct cvm_measurement *m, const struct cvm_measure_options *o, cvm_eventlog **ret,
                           cvm_error *err);

#pragma GCC visibility pop
