/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>

#include <json-c/json.h>

#include "cvm/digest.h"
#include "cvm/encoding.h"
#include "cvm/json.h"
#include "decode.h"
#include "eventlog_json.h"
#include "ima.h"
#include "internal.h"

static struct json_object *hex_string(const uint8_t *p, size_t n) {
        char *s = cvm_hex_alloc(p, n);
        struct json_object *o = s ? json_object_new_string(s) : NULL;
        free(s);
        return o;
}

static struct json_object *alg_string(uint16_t alg) {
        char id[8];
        const char *name = cvm_alg_name(alg);
        if (!name) {
                snprintf(id, sizeof(id), "0x%04x", alg);
                name = id;
        }
        return json_object_new_string(name);
}

static struct json_object *digests_json(const struct cvm_event *ev, const char *alg_key) {
        struct json_object *a = json_object_new_array();

        for (uint32_t i = 0; a && i < ev->ndigests; i++) {
                struct json_object *d = json_object_new_object();
                json_object_object_add(d, alg_key, alg_string(ev->digests[i].alg));
                json_object_object_add(d, "digest", hex_string(ev->digests[i].bytes, ev->digests[i].size));
                json_object_array_add(a, d);
        }
        return a;
}

/*
 * Only meaningful for event types whose digest is defined over their data
 * (IMA: over the template); -1 when it does not apply or cannot be computed.
 */
int cvm_event_digest_matches_data(const struct cvm_event *ev) {
        uint8_t out[CVM_DIGEST_MAX];
        bool any = false;

        if (!cvm_event_is_extended(ev) || !ev->data)
                return -1;
        if (ev->content == CVM_CONTENT_PCCLIENT) {
                switch (ev->type) {
                case 0x04: case 0x05: case 0x06: case 0x0D:
                case 0x80000001: case 0x80000007: case 0x800000E0:
                        break;
                default:
                        return -1;
                }
        } else if (!ev->template_name || strcmp(ev->template_name, "ima-tlv") == 0)
                return -1;
        else if (ima_event_is_violation(ev))
                return -1;      /* a violation records an all-zero template hash on purpose */
        for (uint32_t i = 0; i < ev->ndigests; i++) {
                const struct cvm_event_digest *d = &ev->digests[i];
                int k;
                if (!cvm_alg_supported(d->alg))
                        continue;
                k = ev->content == CVM_CONTENT_IMA ? ima_template_digest(ev, d->alg, out, NULL)
                                                   : cvm_digest(d->alg, ev->data, ev->data_len, out, NULL);
                if (k < 0)
                        return -1;
                if (memcmp(out, d->bytes, d->size) != 0)
                        return 0;
                any = true;
        }
        return any ? 1 : -1;
}

struct json_object *cvm_event_to_json(const cvm_eventlog *log, const struct cvm_event *ev) {
        struct json_object *o = json_object_new_object(), *details;
        char name[CVM_REG_NAME_MAX];
        const char *tn;
        char *b64;
        int m;

        if (!o)
                return NULL;
        json_object_object_add(o, "recnum", json_object_new_uint64(ev->recnum));
        json_object_object_add(o, "index", json_object_new_int64(ev->index));
        json_object_object_add(o, "name", json_object_new_string(cvm_register_name(log->space, ev->index, name)));
        if (ev->content == CVM_CONTENT_PCCLIENT) {
                json_object_object_add(o, "type", json_object_new_int64(ev->type));
                tn = cvm_event_type_name(ev->type);
                json_object_object_add(o, "type_name", tn ? json_object_new_string(tn) : NULL);
        } else if (ev->content == CVM_CONTENT_IMA)
                json_object_object_add(o, "template", json_object_new_string(ev->template_name ? ev->template_name : ""));
        else
                json_object_object_add(o, "type_name", json_object_new_string("CEL_MGT"));
        json_object_object_add(o, "digests", digests_json(ev, "alg"));
        b64 = cvm_base64_alloc(ev->data ? ev->data : (const uint8_t *) "", ev->data_len);
        json_object_object_add(o, "data", b64 ? json_object_new_string(b64) : NULL);
        free(b64);
        json_object_object_add(o, "data_size", json_object_new_uint64(ev->data_len));
        if (ev->offset != SIZE_MAX)
                json_object_object_add(o, log->format == CVM_LOG_IMA_ASCII ? "line" : "offset",
                                       json_object_new_uint64(ev->offset));
        m = cvm_event_digest_matches_data(ev);
        if (m >= 0)
                json_object_object_add(o, "digest_matches_data", json_object_new_boolean(m));
        details = event_details(log, ev);
        if (details)
                json_object_object_add(o, "details", details);
        return o;
}

struct json_object *cvm_event_details_to_json(const cvm_eventlog *log, const struct cvm_event *ev) {
        return event_details(log, ev);
}

size_t eventlog_range_end(const cvm_eventlog *log, size_t start, size_t count) {
        if (start >= log->nevents)
                return start;
        return count == 0 || count > log->nevents - start ? log->nevents : start + count;
}

struct json_object *cvm_eventlog_to_json(const cvm_eventlog *log, size_t start, size_t count) {
        struct json_object *a = json_object_new_array();
        size_t end = eventlog_range_end(log, start, count);

        for (size_t i = start; a && i < end; i++)
                json_object_array_add(a, cvm_event_to_json(log, &log->events[i]));
        return a;
}

/* Content per CEL content_type: the event type by name (a number when it has none) and the data in hex, as FAPI writes. */
static struct json_object *cel_content(const struct cvm_event *ev, const char **content_type) {
        struct json_object *c = json_object_new_object();
        const char *tn;

        if (!c)
                return NULL;
        if (ev->content == CVM_CONTENT_IMA) {
                *content_type = "ima_template";
                json_object_object_add(c, "template_name", json_object_new_string(ev->template_name ? ev->template_name : ""));
                json_object_object_add(c, "template_data", hex_string(ev->data ? ev->data : (const uint8_t *) "", ev->data_len));
        } else if (ev->content == CVM_CONTENT_PCCLIENT) {
                *content_type = "pcclient_std";
                tn = cvm_event_type_name(ev->type);
                json_object_object_add(c, "event_type", tn ? json_object_new_string(tn) : json_object_new_int64(ev->type));
                json_object_object_add(c, "event_data", hex_string(ev->data ? ev->data : (const uint8_t *) "", ev->data_len));
        } else {
                *content_type = "cel";
                json_object_object_add(c, "data", hex_string(ev->data ? ev->data : (const uint8_t *) "", ev->data_len));
        }
        return c;
}

struct reg_pos {
        uint32_t index;
        size_t pos;
};

static int by_register(const void *a, const void *b) {
        const struct reg_pos *x = a, *y = b;

        if (x->index != y->index)
                return x->index < y->index ? -1 : 1;
        return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/*
 * Each event's number among its register's events, as FAPI numbers CEL
 * records (recnum_tab[pcr]).  Sorted rather than counted in a table: a CEL-TLV
 * log may use any NV index.  NULL on allocation failure.
 */
uint64_t *eventlog_register_recnums(const cvm_eventlog *log) {
        _cleanup_free_ struct reg_pos *p = malloc((log->nevents ? log->nevents : 1) * sizeof(*p));
        uint64_t *rec = malloc((log->nevents ? log->nevents : 1) * sizeof(*rec));

        if (!p || !rec) {
                free(rec);
                return NULL;
        }
        for (size_t i = 0; i < log->nevents; i++)
                p[i] = (struct reg_pos) { log->events[i].index, i };
        qsort(p, log->nevents, sizeof(*p), by_register);
        for (size_t i = 0, k = 0; i < log->nevents; i++) {
                k = i > 0 && p[i].index == p[i - 1].index ? k + 1 : 0;
                rec[p[i].pos] = k;
        }
        return rec;
}

/*
 * A CC log's index is a CC MR index (1 = RTMR0...), not a PCR: it goes in
 * "cc_mr_index" so no reader takes it for one.  The PCR the firmware meant is
 * not recorded in a CC log (PCR1 and PCR7 both map to RTMR0), so "pcr" is omitted.
 */
struct json_object *cvm_eventlog_to_cel_json(const cvm_eventlog *log, size_t start, size_t count) {
        _cleanup_free_ uint64_t *rec = eventlog_register_recnums(log);
        struct json_object *a = rec ? json_object_new_array() : NULL;
        size_t end = eventlog_range_end(log, start, count);

        for (size_t i = start; a && i < end; i++) {
                const struct cvm_event *ev = &log->events[i];
                struct json_object *o = json_object_new_object(), *c;
                const char *content_type = NULL;

                json_object_object_add(o, "recnum", json_object_new_uint64(rec[i]));
                json_object_object_add(o, log->space == CVM_SPACE_CCMR ? "cc_mr_index" : "pcr", json_object_new_int64(ev->index));
                json_object_object_add(o, "digests", digests_json(ev, "hashAlg"));
                c = cel_content(ev, &content_type);
                json_object_object_add(o, "content_type", content_type ? json_object_new_string(content_type) : NULL);
                json_object_object_add(o, "content", c);
                json_object_array_add(a, o);
        }
        return a;
}

struct json_object *cvm_register_to_json(const struct cvm_register_value *reg) {
        struct json_object *o = json_object_new_object();
        char name[CVM_REG_NAME_MAX];

        if (!o)
                return NULL;
        json_object_object_add(o, "index", json_object_new_int64(reg->index));
        json_object_object_add(o, "name", json_object_new_string(cvm_register_name(reg->space, reg->index, name)));
        json_object_object_add(o, "alg", alg_string(reg->alg));
        json_object_object_add(o, "digest", hex_string(reg->digest, reg->size));
        return o;
}

struct json_object *cvm_replay_registers_to_json(const cvm_replay *r) {
        const struct cvm_register_value *regs;
        size_t n = cvm_replay_registers(r, &regs);
        struct json_object *a = json_object_new_array();

        for (size_t i = 0; a && i < n; i++)
                json_object_array_add(a, cvm_register_to_json(&regs[i]));
        return a;
}
