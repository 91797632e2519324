/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* libcvm exports what its public headers declare, and nothing else (libcvm.sym). */
#pragma GCC visibility push(default)

/*
 * Verify a boot against a build manifest: the reference values cvm-rewrite
 * computed for the image (the measurer's events and the registers they
 * replay to, per register space) compared with the runtime log cvm-measure
 * wrote at boot, and with the live registers.
 *
 * Events are matched by register and subject (a file's path, a string's
 * value, the event kind otherwise), so a finding names the file: changed (its
 * digest differs, or it became missing or a link), missing (predicted, not in
 * the log) or extra (in the log, not predicted).  Runtime-log events that are
 * not the measurer's (other writers' extends) are counted, never matched.
 *
 * Events of the policy's "instance" class (per-instance configuration a
 * cloud's first boot writes: users, host name, sshd drop-ins) that differ from
 * the image's are instance state, not a mismatch: reported with both digests
 * (none for a "secret" group), and the register is then expected to hold the
 * log's sequence with each instance event's own digest and every other event
 * the reference's, in the reference's order.  A "must_not_change" instance
 * group is compared like the OS.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cvm/digest.h"
#include "cvm/error.h"
#include "cvm/eventlog.h"
#include "cvm/imr.h"
#include "cvm/platform.h"
#include "cvm/register.h"

typedef struct cvm_reference cvm_reference;

/* Load the reference values of space (TDX: CC MR, TPM: PCR) from a cvm-rewrite manifest (JSON); every field read is
 * checked for its type and range first, and a bad one is named by its JSON path (-EINVAL). */
int cvm_reference_load(const char *path, enum cvm_reg_space space, cvm_reference **ret, cvm_error *err);

/* The same from a buffer holding the manifest; name is used in messages. */
int cvm_reference_parse(const uint8_t *buf, size_t len, const char *name, enum cvm_reg_space space, cvm_reference **ret,
                        cvm_error *err);

/* Free; NULL is fine. */
void cvm_reference_free(cvm_reference *ref);

/* The bank events are compared in (sha384 on TDX, sha256 on TPM). */
uint16_t cvm_reference_alg(const cvm_reference *ref);

enum cvm_finding_kind {
        CVM_FINDING_CHANGED,     /* same subject, other digest or kind */
        CVM_FINDING_MISSING,     /* predicted, not in the log */
        CVM_FINDING_EXTRA,       /* in the log, not predicted */
        CVM_FINDING_REGISTER,    /* a register differs */
        CVM_FINDING_INSTANCE,    /* instance state: an instance-class event that differs from the image's (not a mismatch) */
};

struct cvm_finding {
        enum cvm_finding_kind kind;
        uint32_t index;          /* register, in the reference's space */
        char *subject;           /* path, string value or event kind; NULL for a register */
        char *expected_kind, *got_kind;        /* event kinds (file, missing, symlink, ...), or NULL */
        char expected[2 * CVM_DIGEST_MAX + 1]; /* hex, "" when there is none */
        char got[2 * CVM_DIGEST_MAX + 1];
        /*
         * Registers: "log" (the runtime log's replay against the manifest),
         * "log-all" (a saved log's replay with other writers' events too),
         * "live" (the live register against the manifest) or "live-vs-logs"
         * (the live register against the replay of all this boot's logs).
         */
        const char *basis;
        bool secret;             /* a secret group's event: expected and got are withheld ("") */
};

/* A register's value as this instance's state makes it (see above). */
struct cvm_expected_register {
        uint32_t index;
        char digest[2 * CVM_DIGEST_MAX + 1];
};

struct cvm_verify_result {
        struct cvm_finding *findings;
        size_t nfindings;
        size_t expected_events, matched_events, other_events;
        size_t registers_checked;
        /* Set by cvm_verify_log where instance state differs; cvm_verify_register checks live values against them. */
        struct cvm_expected_register *instance_regs;
        size_t ninstance_regs;
};

/* Compare the measurer's events in log (a runtime log) with the reference; registers by replay of those events.
 * A truncated log is refused (-EBADMSG). */
int cvm_verify_log(const cvm_reference *ref, const cvm_eventlog *log, struct cvm_verify_result *res, cvm_error *err);

/*
 * A saved runtime log checked without a device: each register the measurer's
 * events left as predicted, replayed with every event of the log (other
 * writers' extends included, as the live register would hold them).
 */
int cvm_verify_saved_log(const cvm_reference *ref, const cvm_eventlog *log, struct cvm_verify_result *res, cvm_error *err);

/*
 * Compare a register the reference lists with its live value: with the
 * manifest's value (or res's instance value for it) when no other log touched it, else (basis "live-vs-logs") with
 * the replay of all this boot's logs, given in full.
 */
int cvm_verify_register(const cvm_reference *ref, uint32_t index, const uint8_t *live, size_t live_len,
                        const uint8_t *logs_replay, size_t logs_len, struct cvm_verify_result *res, cvm_error *err);

/* The findings that are mismatches: all but instance state.  A boot verifies when there are none. */
size_t cvm_verify_mismatches(const struct cvm_verify_result *res);

/* Register indices the reference lists (sorted); *ret points into ref. */
size_t cvm_reference_registers(const cvm_reference *ref, const uint32_t **ret);

/* Free what a verify filled in (the struct itself is the caller's). */
/* The live registers ref lists, read from imr, into res: each against the manifest or, where a log of pl other than
 * the runtime log (runtime_log, its path in pl) also extends it, against the replay of all of pl's logs. */
int cvm_verify_live(const cvm_reference *ref, cvm_imr *imr, const struct cvm_platform_log *pl, const char *runtime_log,
                    struct cvm_verify_result *res, cvm_error *err);

void cvm_verify_result_clear(struct cvm_verify_result *res);

#pragma GCC visibility pop
