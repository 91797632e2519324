/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* libcvm exports what its public headers declare, and nothing else (libcvm.sym). */
#pragma GCC visibility push(default)

#include "cvm/eventlog.h"
#include "cvm/quote.h"
#include "cvm/replay.h"
#include "cvm/report.h"

/*
 * JSON views (json-c objects; the caller owns the reference and releases it
 * with json_object_put).  Digests are lower-case hex, event data base64.
 * NULL means out of memory.
 */

#include <stdio.h>

struct json_object;

/* {"recnum","index","name","type","type_name","digests":[{"alg","digest"}],"data","details",...} */
struct json_object *cvm_event_to_json(const cvm_eventlog *log, const struct cvm_event *ev);

/* An array of cvm_event_to_json for events [start, start+count) (count 0 = to the end). */
struct json_object *cvm_eventlog_to_json(const cvm_eventlog *log, size_t start, size_t count);

/* TCG Canonical Event Log, JSON encoding as tpm2-tss FAPI writes it: [{"recnum" (per register), "pcr"|"cc_mr_index",
 * "digests", "content_type", "content"}]; NULL on allocation failure. */
struct json_object *cvm_eventlog_to_cel_json(const cvm_eventlog *log, size_t start, size_t count);

/*
 * The same arrays written to f as they are made, byte for byte what json-c
 * prints for the trees with JSON_C_TO_STRING_PRETTY | SPACED | NOSLASHESCAPE
 * (no newline after); for logs too large to hold as a tree.  -ENOMEM, -EIO.
 */
int cvm_eventlog_write_json(FILE *f, const cvm_eventlog *log, size_t start, size_t count);
int cvm_eventlog_write_cel_json(FILE *f, const cvm_eventlog *log, size_t start, size_t count);

/* The decoded event data (cvm_event_to_json's "details"); NULL if there is none or on allocation failure. */
struct json_object *cvm_event_details_to_json(const cvm_eventlog *log, const struct cvm_event *ev);

/* {"index","name","alg","digest"} for one register. */
struct json_object *cvm_register_to_json(const struct cvm_register_value *reg);

/* [{"index","name","alg","digest"}...] for every register of a replay. */
struct json_object *cvm_replay_registers_to_json(const cvm_replay *r);

/* {"type","version",...,"mrtd","rtmr":[4],"report_data"} (TDX) or the TPMS_ATTEST fields (TPM2). */
struct json_object *cvm_quote_to_json(const struct cvm_quote *q);

/* {"type","source","report_data","quote" (hex), tpm2: "signature","ak_public","ak_pem","pcrs"; "parsed"}. */
struct json_object *cvm_report_to_json(const struct cvm_report *rep);

#pragma GCC visibility pop
