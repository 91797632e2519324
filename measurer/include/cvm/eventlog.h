/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* libcvm exports what its public headers declare, and nothing else (libcvm.sym). */
#pragma GCC visibility push(default)

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cvm/error.h"
#include "cvm/register.h"

/*
 * Event logs: TCG PC Client crypto-agile (TCG2), legacy TCG 1.2 (SHA-1), the
 * TDX CCEL log area, IMA runtime measurement lists (ascii and binary) and the
 * TCG Canonical Event Log (CEL-TLV).  All parsers take the input as hostile:
 * every length is checked against the buffer before it is used.
 *
 * A parsed log owns its memory; events and their digests point into it and
 * live until cvm_eventlog_free().
 */

enum cvm_log_format {
        CVM_LOG_AUTO = 0,      /* detect (see cvm_eventlog_detect) */
        CVM_LOG_TCG2,          /* TCG PC Client crypto-agile (Spec ID Event03) */
        CVM_LOG_TCG12,         /* TCG 1.2 / legacy SHA-1 TCG_PCClientPCREvent */
        CVM_LOG_CCEL,          /* TDX CCEL log area: TCG2 records, CC MR index */
        CVM_LOG_IMA,           /* IMA list, ascii or binary (resolved by detection) */
        CVM_LOG_IMA_ASCII,     /* ascii_runtime_measurements */
        CVM_LOG_IMA_BINARY,    /* binary_runtime_measurements */
        CVM_LOG_CEL_TLV,       /* TCG CEL, TLV encoding */
        CVM_LOG_CEL_JSON,      /* TCG CEL, JSON encoding (tpm2-tss FAPI's fields; cc_mr_index for CC logs) */
};

/* What an event's payload is. */
enum cvm_content {
        CVM_CONTENT_PCCLIENT = 0,  /* TCG PC Client event: type + data */
        CVM_CONTENT_IMA,           /* IMA template: template name + template data */
        CVM_CONTENT_CEL_MGT,       /* CEL management record (no extend) */
};

/* TCG event types (PC Client Platform Firmware Profile 1.06, section 10.4.1). */
#define CVM_EV_PREBOOT_CERT             UINT32_C(0x00000000)
#define CVM_EV_POST_CODE                UINT32_C(0x00000001)
#define CVM_EV_NO_ACTION                UINT32_C(0x00000003)
#define CVM_EV_SEPARATOR                UINT32_C(0x00000004)
#define CVM_EV_ACTION                   UINT32_C(0x00000005)
#define CVM_EV_EVENT_TAG                UINT32_C(0x00000006)
#define CVM_EV_S_CRTM_CONTENTS          UINT32_C(0x00000007)
#define CVM_EV_S_CRTM_VERSION           UINT32_C(0x00000008)
#define CVM_EV_IPL                      UINT32_C(0x0000000D)
#define CVM_EV_EFI_EVENT_BASE           UINT32_C(0x80000000)
#define CVM_EV_EFI_VARIABLE_DRIVER_CONFIG UINT32_C(0x80000001)
#define CVM_EV_EFI_VARIABLE_BOOT        UINT32_C(0x80000002)
#define CVM_EV_EFI_ACTION               UINT32_C(0x80000007)

/* One digest of an event, in the bank `alg`. */
struct cvm_event_digest {
        uint16_t alg;           /* TCG algorithm id */
        uint16_t size;          /* bytes, as the log declares for alg */
        const uint8_t *bytes;
};

struct cvm_event {
        uint64_t recnum;        /* position in the log, from 0 (CEL recnum where given) */
        uint32_t index;         /* register index as recorded (see cvm/register.h) */
        uint32_t type;          /* EV_* for PC Client content; 0 otherwise */
        enum cvm_content content;
        size_t offset;          /* byte offset of the record in the input (line number for IMA ascii) */
        uint32_t ndigests;
        const struct cvm_event_digest *digests;
        const uint8_t *data;    /* event data, or IMA template data */
        size_t data_len;
        const char *template_name; /* IMA template name; NULL for other content */
        bool header;            /* the Spec ID / SHA-1-shaped first record of a TCG2 log */
};

/* A bank declared by a TCG2 log's Spec ID event. */
struct cvm_log_alg {
        uint16_t alg;
        uint16_t size;
};

typedef struct cvm_eventlog cvm_eventlog;

/* Short name of a format ("tcg2", "ccel", "ima-ascii"...). */
const char *cvm_log_format_name(enum cvm_log_format fmt);

/* Parse a --format word: auto, tcg2, tcg12, ccel, ima, ima-ascii, ima-binary, cel, cel-tlv, cel-json. */
int cvm_log_format_from_name(const char *name, enum cvm_log_format *ret);

/*
 * Decide the format of buf.  `hint` other than AUTO is honoured (IMA is
 * narrowed to ascii or binary).  On success *ret is set and, if `why` is not
 * NULL, a one-line reason is written there (it says "ambiguous" when a
 * different --format would also have read the file).  -EBADMSG if nothing fits.
 */
int cvm_eventlog_detect(const uint8_t *buf, size_t len, enum cvm_log_format hint,
                        enum cvm_log_format *ret, char *why, size_t whylen, cvm_error *err);

/* Parse buf (copied) as fmt (AUTO detects). */
int cvm_eventlog_parse(const uint8_t *buf, size_t len, enum cvm_log_format fmt,
                       cvm_eventlog **ret, cvm_error *err);

/* Read a file and parse it; error messages start with the path. */
int cvm_eventlog_load(const char *path, enum cvm_log_format fmt, cvm_eventlog **ret, cvm_error *err);

/* Free a log and everything its events point to; NULL is fine. */
void cvm_eventlog_free(cvm_eventlog *log);

enum cvm_log_format cvm_eventlog_format(const cvm_eventlog *log);
enum cvm_reg_space cvm_eventlog_space(const cvm_eventlog *log);
size_t cvm_eventlog_count(const cvm_eventlog *log);
const struct cvm_event *cvm_eventlog_event(const cvm_eventlog *log, size_t i);

/* Banks the log declares (TCG2/CCEL Spec ID; SHA-1 for TCG 1.2 and IMA). */
size_t cvm_eventlog_algs(const cvm_eventlog *log, const struct cvm_log_alg **ret);

/* Locality from a StartupLocality EV_NO_ACTION event, or -ENOENT if the log has none. */
int cvm_eventlog_startup_locality(const cvm_eventlog *log);

/* Non-fatal findings (truncated tail, duplicated separator...), in log order. */
size_t cvm_eventlog_warnings(const cvm_eventlog *log, const char *const **ret);

/* True if the input ended inside a record; the events before it were kept. */
bool cvm_eventlog_truncated(const cvm_eventlog *log);

/* Name of an EV_* type ("EV_EFI_ACTION"), or NULL if unknown. */
const char *cvm_event_type_name(uint32_t type);

/* The EV_* type of a name cvm_event_type_name returns; -EINVAL if unknown. */
int cvm_event_type_from_name(const char *name, uint32_t *ret);

/* The digest of ev in bank alg, or NULL. */
const struct cvm_event_digest *cvm_event_digest(const struct cvm_event *ev, uint16_t alg);

/* True if a replay extends this event (not EV_NO_ACTION, not a header or CEL management record). */
bool cvm_event_is_extended(const struct cvm_event *ev);

/* 1 if ev's digests equal the hash of its data (IMA: its template), 0 if not, -1 where that does not apply. */
int cvm_event_digest_matches_data(const struct cvm_event *ev);

/*
 * Building and writing TCG2 logs (the runtime log format of this project):
 * a new, empty log in `space` with the given banks; events are copied in.
 */
int cvm_eventlog_new_tcg2(enum cvm_reg_space space, const struct cvm_log_alg *algs, size_t nalgs,
                          cvm_eventlog **ret, cvm_error *err);

/* Append one event with digests for some or all of the log's banks (a bank left out was not extended). */
int cvm_eventlog_append(cvm_eventlog *log, uint32_t index, uint32_t type,
                        const struct cvm_event_digest *digests, size_t ndigests,
                        const void *data, size_t data_len, cvm_error *err);

/* Serialise a TCG2/CCEL log (header included) into a malloc'ed buffer. */
int cvm_eventlog_write_tcg2(const cvm_eventlog *log, uint8_t **ret, size_t *ret_len, cvm_error *err);

/*
 * The cgroup an IMA event of the ima-cgpath template (its cg-path field) or
 * ima-dep-cgn (its cgn field) records: *ret points into the event's data,
 * *len bytes, no NUL.  -ENOENT for other events, -EBADMSG if malformed.
 */
int cvm_ima_event_cgroup(const struct cvm_event *ev, const char **ret, size_t *len);

/* The digest IMA extended for ev in bank alg (recorded, or computed from the template data; all-0xFF for a violation). */
int cvm_ima_event_digest(const struct cvm_event *ev, uint16_t alg, uint8_t *out, cvm_error *err);

#pragma GCC visibility pop
