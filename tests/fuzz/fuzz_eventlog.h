/* SPDX-License-Identifier: Apache-2.0 */
/* One libFuzzer body for every event-log parser: parse as FORMAT, then exercise every consumer. */
#pragma once

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cvm/cvm.h"

/* The streamed dump must be what json-c prints for the tree, byte for byte (the CLI prints the stream). */
static inline void fuzz_stream_equals_tree(const cvm_eventlog *log, struct json_object *tree,
                                           int (*stream)(FILE *, const cvm_eventlog *, size_t, size_t)) {
        char *buf = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&buf, &len);

        if (!m || !tree)
                abort();
        if (stream(m, log, 0, 0) < 0 || fclose(m) != 0)
                abort();
        if (strcmp(buf, json_object_to_json_string_ext(tree, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                                                  JSON_C_TO_STRING_NOSLASHESCAPE)) != 0)
                abort();
        free(buf);
}

static inline int fuzz_eventlog(const uint8_t *data, size_t size, enum cvm_log_format fmt) {
        cvm_eventlog *log = NULL;
        cvm_replay *r = NULL;
        const uint16_t banks[] = { CVM_ALG_SHA1, CVM_ALG_SHA256 };
        struct json_object *o;
        uint8_t *out;
        size_t len;

        if (cvm_eventlog_parse(data, size, fmt, &log, NULL) < 0)
                return 0;
        /* Replay on the log's own banks and on extra ones (IMA computes them from templates). */
        if (cvm_replay_new(NULL, 0, &r, NULL) == 0) {
                cvm_replay_add_log(r, log, NULL);
                o = cvm_replay_registers_to_json(r);
                json_object_put(o);
                cvm_replay_free(r);
        }
        if (cvm_replay_new(banks, 2, &r, NULL) == 0) {
                cvm_replay_add_log(r, log, NULL);
                cvm_replay_free(r);
        }
        o = cvm_eventlog_to_json(log, 0, 0);
        fuzz_stream_equals_tree(log, o, cvm_eventlog_write_json);
        json_object_put(o);
        o = cvm_eventlog_to_cel_json(log, 0, 0);
        fuzz_stream_equals_tree(log, o, cvm_eventlog_write_cel_json);
        json_object_put(o);
        /* What parses as TCG2 must write back and parse again. */
        if (cvm_eventlog_write_tcg2(log, &out, &len, NULL) == 0) {
                cvm_eventlog *again = NULL;
                if (cvm_eventlog_parse(out, len, fmt, &again, NULL) < 0)
                        abort();
                cvm_eventlog_free(again);
                free(out);
        }
        cvm_eventlog_free(log);
        return 0;
}
