/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * Private to libcvm: the event log's representation and the helpers its
 * parsers share.  Helpers every part may use (cleanup, file reading, strv,
 * little-endian readers) are in base/include/cvmbase/, not here.
 */

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "cvm/eventlog.h"
#include "cvmbase/base.h"

#define CVM_LOG_MAX_ALGS 16
/* A TDX quote with its certificate chain is < 16 KiB, a TPM2 quote < 4 KiB: 1 MiB leaves room and refuses junk at once. */
#define CVM_QUOTE_MAX ((size_t) 1 << 20)

/* A --sysroot as a path prefix: NULL and "/" are the real root, "". */
static inline const char *sysroot_prefix(const char *sysroot) {
        return sysroot && strcmp(sysroot, "/") != 0 ? sysroot : "";
}

/* Memory that lives as long as the log: events' digests and decoded data. */
struct arena_chunk {
        struct arena_chunk *next;
        size_t used, cap;
        max_align_t data[];
};

struct cvm_eventlog {
        enum cvm_log_format format;
        enum cvm_reg_space space;
        uint8_t *raw;                  /* owned copy of the input; events point into it */
        size_t raw_len;
        struct cvm_event *events;
        size_t nevents, cap;
        struct cvm_log_alg algs[CVM_LOG_MAX_ALGS];
        size_t nalgs;
        int startup_locality;          /* -1: none in the log */
        char **warnings;
        size_t nwarnings;
        bool truncated;
        struct arena_chunk *arena;
};

/* A new empty log; raw (may be NULL) is taken over. */
cvm_eventlog *evlog_new(enum cvm_log_format fmt, enum cvm_reg_space space, uint8_t *raw, size_t raw_len);

/* A zeroed event appended to the log, with recnum set; NULL on allocation failure. */
struct cvm_event *evlog_add_event(cvm_eventlog *log);

/* Record a warning in the log. */
void evlog_warn(cvm_eventlog *log, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Memory owned by the log, zeroed; NULL on allocation failure. */
void *evlog_alloc(cvm_eventlog *log, size_t size);
void *evlog_memdup(cvm_eventlog *log, const void *p, size_t size);
char *evlog_strndup(cvm_eventlog *log, const char *s, size_t n);

/* If ev is a StartupLocality EV_NO_ACTION on PCR0, remember its locality for replay (PFP 10.4.5.3). */
void evlog_note_startup_locality(cvm_eventlog *log, const struct cvm_event *ev);

/* The declared size of alg in the log, or -1. */
int evlog_alg_size(const cvm_eventlog *log, uint16_t alg);

/* Per-format parsers: fill log (which owns raw) or fail with a message naming the offset. */
int tcg2_parse(cvm_eventlog *log, cvm_error *err);
int tcg12_parse(cvm_eventlog *log, cvm_error *err);
int ima_ascii_parse(cvm_eventlog *log, cvm_error *err);
int ima_binary_parse(cvm_eventlog *log, cvm_error *err);
int cel_tlv_parse(cvm_eventlog *log, cvm_error *err);
int cel_json_parse(cvm_eventlog *log, cvm_error *err);

/* Bytes of a TCG2 log's SHA-1-shaped header record (32 fixed + its event size); buf holds at least 32. */
static inline size_t tcg2_header_size(const uint8_t *buf) {
        return 32 + (size_t) le32(buf + 28);
}

struct cvm_platform_log_options;
struct cvm_platform_log;

/* cvm_platform_log_load with runtime (taken over; NULL: loaded from o->runtime_log) as the runtime log. */
int platform_log_load_with(const struct cvm_platform_log_options *o, cvm_eventlog *runtime, struct cvm_platform_log **ret,
                           cvm_error *err);

/* True if buf starts a TCG2 header record whose data is a Spec ID Event03. */
bool tcg2_has_spec_id(const uint8_t *buf, size_t len);
