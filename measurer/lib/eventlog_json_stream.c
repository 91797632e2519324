/* SPDX-License-Identifier: Apache-2.0 */
/*
 * An event log's JSON and CEL-JSON views written as they are made, field for
 * field what cvm_eventlog_to_json and cvm_eventlog_to_cel_json build and the
 * CLI prints, with no tree in between (see json_stream.c for why).
 */
#include <errno.h>

#include <json-c/json.h>

#include "cvm/digest.h"
#include "cvm/encoding.h"
#include "cvm/json.h"
#include "eventlog_json.h"
#include "json_stream.h"

static void alg(struct json_stream *s, uint16_t id) {
        char buf[8];
        const char *name = cvm_alg_name(id);

        if (!name) {
                snprintf(buf, sizeof(buf), "0x%04x", id);
                name = buf;
        }
        js_cstring(s, name);
}

static void digests(struct json_stream *s, const struct cvm_event *ev, const char *alg_key) {
        js_open(s, '[');
        for (uint32_t i = 0; i < ev->ndigests; i++) {
                js_item(s);
                js_open(s, '{');
                js_key(s, alg_key);
                alg(s, ev->digests[i].alg);
                js_key(s, "digest");
                js_hex(s, ev->digests[i].bytes, ev->digests[i].size);
                js_close(s, '}');
        }
        js_close(s, ']');
}

/* recnum to type_name / template: what names the event. */
static void event_head(struct json_stream *s, const cvm_eventlog *log, const struct cvm_event *ev) {
        char name[CVM_REG_NAME_MAX];
        const char *tn;

        js_key(s, "recnum");
        js_uint(s, ev->recnum);
        js_key(s, "index");
        js_int(s, ev->index);
        js_key(s, "name");
        js_cstring(s, cvm_register_name(log->space, ev->index, name));
        if (ev->content == CVM_CONTENT_PCCLIENT) {
                js_key(s, "type");
                js_int(s, ev->type);
                js_key(s, "type_name");
                if ((tn = cvm_event_type_name(ev->type)))
                        js_cstring(s, tn);
                else
                        js_null(s);
        } else if (ev->content == CVM_CONTENT_IMA) {
                js_key(s, "template");
                js_cstring(s, ev->template_name ? ev->template_name : "");
        } else {
                js_key(s, "type_name");
                js_cstring(s, "CEL_MGT");
        }
}

static int event(struct json_stream *s, const cvm_eventlog *log, const struct cvm_event *ev) {
        _cleanup_free_ char *b64 = cvm_base64_alloc(ev->data ? ev->data : (const uint8_t *) "", ev->data_len);
        struct json_object *details;
        int m, r = 0;

        if (!b64)
                return -ENOMEM;
        js_open(s, '{');
        event_head(s, log, ev);
        js_key(s, "digests");
        digests(s, ev, "alg");
        js_key(s, "data");
        js_cstring(s, b64);
        js_key(s, "data_size");
        js_uint(s, ev->data_len);
        if (ev->offset != SIZE_MAX) {
                js_key(s, log->format == CVM_LOG_IMA_ASCII ? "line" : "offset");
                js_uint(s, ev->offset);
        }
        if ((m = cvm_event_digest_matches_data(ev)) >= 0) {
                js_key(s, "digest_matches_data");
                js_bool(s, m);
        }
        if ((details = cvm_event_details_to_json(log, ev))) {
                js_key(s, "details");
                r = js_value(s, details);
                json_object_put(details);
        }
        js_close(s, '}');
        return r;
}

int cvm_eventlog_write_json(FILE *f, const cvm_eventlog *log, size_t start, size_t count) {
        _cleanup_free_ struct json_stream *s = js_new(f);
        size_t end = eventlog_range_end(log, start, count);
        int r;

        if (!s)
                return -ENOMEM;
        js_open(s, '[');
        for (size_t i = start; i < end; i++) {
                js_item(s);
                if ((r = event(s, log, &log->events[i])) < 0)
                        return r;
        }
        js_close(s, ']');
        return js_flush(s);
}

static void cel_content(struct json_stream *s, const struct cvm_event *ev) {
        const uint8_t *data = ev->data ? ev->data : (const uint8_t *) "";
        const char *tn;

        js_key(s, "content_type");
        js_cstring(s, ev->content == CVM_CONTENT_IMA ? "ima_template" : ev->content == CVM_CONTENT_PCCLIENT ? "pcclient_std" : "cel");
        js_key(s, "content");
        js_open(s, '{');
        if (ev->content == CVM_CONTENT_IMA) {
                js_key(s, "template_name");
                js_cstring(s, ev->template_name ? ev->template_name : "");
                js_key(s, "template_data");
        } else if (ev->content == CVM_CONTENT_PCCLIENT) {
                js_key(s, "event_type");
                if ((tn = cvm_event_type_name(ev->type)))
                        js_cstring(s, tn);
                else
                        js_int(s, ev->type);
                js_key(s, "event_data");
        } else
                js_key(s, "data");
        js_hex(s, data, ev->data_len);
        js_close(s, '}');
}

int cvm_eventlog_write_cel_json(FILE *f, const cvm_eventlog *log, size_t start, size_t count) {
        _cleanup_free_ uint64_t *rec = eventlog_register_recnums(log);
        _cleanup_free_ struct json_stream *s = js_new(f);
        size_t end = eventlog_range_end(log, start, count);

        if (!rec || !s)
                return -ENOMEM;
        js_open(s, '[');
        for (size_t i = start; i < end; i++) {
                const struct cvm_event *ev = &log->events[i];

                js_item(s);
                js_open(s, '{');
                js_key(s, "recnum");
                js_uint(s, rec[i]);
                js_key(s, log->space == CVM_SPACE_CCMR ? "cc_mr_index" : "pcr");
                js_int(s, ev->index);
                js_key(s, "digests");
                digests(s, ev, "hashAlg");
                cel_content(s, ev);
                js_close(s, '}');
        }
        js_close(s, ']');
        return js_flush(s);
}
