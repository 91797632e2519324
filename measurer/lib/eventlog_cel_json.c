/* SPDX-License-Identifier: Apache-2.0 */
/*
 * TCG Canonical Event Log, JSON encoding, as tpm2-tss's FAPI writes it and
 * cvm_eventlog_to_cel_json writes it: an array of records
 *   {recnum (per register), pcr | cc_mr_index, digests: [{hashAlg, digest}],
 *    content_type: pcclient_std | ima_template | cel, content: {...}}
 * with hex digests and data.  json-c does the tokenising (depth-limited);
 * every field is then checked here and an error names its JSON path.
 */
#include <errno.h>

#include <json-c/json.h>

#include "cvm/digest.h"
#include "cvm/encoding.h"
#include "internal.h"

/* Nesting of a CEL-JSON log is 4 (array, record, digests, digest); refuse deeper junk early. */
#define CEL_JSON_DEPTH 8

static inline void json_putp(struct json_object **p) {
        json_object_put(*p);
}

static inline void tokener_freep(struct json_tokener **p) {
        if (*p)
                json_tokener_free(*p);
}

static struct json_object *member(struct json_object *o, const char *key, enum json_type type) {
        struct json_object *v;

        if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, type))
                return NULL;
        return v;
}

static int need(struct json_object *o, const char *key, enum json_type type, const char *path, const char *what,
                struct json_object **ret, cvm_error *err) {
        *ret = member(o, key, type);
        if (!*ret)
                return cvm_error_set(err, EBADMSG, "%s.%s: missing or not %s", path, key, what);
        return 0;
}

/* A non-negative JSON integer no larger than max. */
static int need_uint(struct json_object *o, const char *key, uint64_t max, const char *path, uint64_t *ret,
                     cvm_error *err) {
        struct json_object *v;
        int64_t n;

        if (need(o, key, json_type_int, path, "an integer", &v, err) < 0)
                return -EBADMSG;
        n = json_object_get_int64(v);
        if (n < 0 || (uint64_t) n > max)
                return cvm_error_set(err, EBADMSG, "%s.%s: %lld is out of range 0..%llu", path, key, (long long) n,
                                     (unsigned long long) max);
        *ret = (uint64_t) n;
        return 0;
}

/* Hex string into log-owned memory; exactly `want` bytes unless want is SIZE_MAX. */
static int hex_field(cvm_eventlog *log, struct json_object *s, size_t want, const char *path, const uint8_t **data,
                     size_t *len, cvm_error *err) {
        const char *hex = json_object_get_string(s);
        size_t n = (size_t) json_object_get_string_len(s);
        uint8_t *buf;
        int k;

        if (n % 2 != 0 || (want != SIZE_MAX && n != 2 * want))
                return cvm_error_set(err, EBADMSG, "%s: %zu hex digits, expected %s%zu", path, n,
                                     want == SIZE_MAX ? "an even number, not " : "", want == SIZE_MAX ? n : 2 * want);
        buf = evlog_alloc(log, n / 2 + 1);
        if (!buf)
                return cvm_error_set(err, ENOMEM, "out of memory");
        k = n ? cvm_unhex(hex, buf, n / 2) : 0;
        if (k < 0 || (size_t) k != n / 2)    /* a "0x" prefix decodes short: refused too */
                return cvm_error_set(err, EBADMSG, "%s: not a hex string", path);
        *data = buf;
        *len = n / 2;
        return 0;
}

static int parse_digest(cvm_eventlog *log, struct json_object *o, const char *path, struct cvm_event_digest *d,
                        cvm_error *err) {
        struct json_object *alg, *hex;
        char sub[96];
        size_t len;
        int size;

        if (!json_object_is_type(o, json_type_object))
                return cvm_error_set(err, EBADMSG, "%s: expected an object {hashAlg, digest}", path);
        if (need(o, "hashAlg", json_type_string, path, "a string", &alg, err) < 0 ||
            need(o, "digest", json_type_string, path, "a string", &hex, err) < 0)
                return -EBADMSG;
        if (cvm_alg_from_name(json_object_get_string(alg), &d->alg) < 0)
                return cvm_error_set(err, EBADMSG, "%s.hashAlg: unknown algorithm \"%s\"", path, json_object_get_string(alg));
        size = cvm_alg_size(d->alg);
        snprintf(sub, sizeof(sub), "%s.digest", path);
        if (hex_field(log, hex, (size_t) size, sub, &d->bytes, &len, err) < 0)
                return -EBADMSG;
        d->size = (uint16_t) size;
        return 0;
}

static int parse_digests(cvm_eventlog *log, struct json_object *rec, const char *path, struct cvm_event *ev,
                         cvm_error *err) {
        struct cvm_event_digest *d;
        struct json_object *a;
        size_t n;

        if (need(rec, "digests", json_type_array, path, "an array", &a, err) < 0)
                return -EBADMSG;
        n = json_object_array_length(a);
        if (n == 0 || n > CVM_LOG_MAX_ALGS)
                return cvm_error_set(err, EBADMSG, "%s.digests: %zu digests, expected 1 to %d", path, n, CVM_LOG_MAX_ALGS);
        d = evlog_alloc(log, n * sizeof(*d));
        if (!d)
                return cvm_error_set(err, ENOMEM, "out of memory");
        for (size_t i = 0; i < n; i++) {
                char sub[80];

                snprintf(sub, sizeof(sub), "%s.digests[%zu]", path, i);
                if (parse_digest(log, json_object_array_get_idx(a, i), sub, &d[i], err) < 0)
                        return -EBADMSG;
        }
        ev->digests = d;
        ev->ndigests = (uint32_t) n;
        return 0;
}

/* event_type by name (FAPI, this writer) or as a number (types without a name). */
static int parse_event_type(struct json_object *c, const char *path, uint32_t *ret, cvm_error *err) {
        struct json_object *v;

        if ((v = member(c, "event_type", json_type_string))) {
                if (cvm_event_type_from_name(json_object_get_string(v), ret) < 0)
                        return cvm_error_set(err, EBADMSG, "%s.content.event_type: unknown event type \"%s\"", path,
                                             json_object_get_string(v));
                return 0;
        }
        if ((v = member(c, "event_type", json_type_int))) {
                int64_t n = json_object_get_int64(v);
                if (n < 0 || n > UINT32_MAX)
                        return cvm_error_set(err, EBADMSG, "%s.content.event_type: %lld is out of range", path, (long long) n);
                *ret = (uint32_t) n;
                return 0;
        }
        return cvm_error_set(err, EBADMSG, "%s.content.event_type: missing, or neither a name nor a number", path);
}

/* content_type selects which content members hold the type (or template name) and the data. */
static int parse_content(cvm_eventlog *log, struct json_object *rec, const char *path, struct cvm_event *ev,
                         cvm_error *err) {
        struct json_object *ct, *c, *data, *tn;
        const char *type, *data_key;
        char sub[96];

        if (need(rec, "content_type", json_type_string, path, "a string", &ct, err) < 0 ||
            need(rec, "content", json_type_object, path, "an object", &c, err) < 0)
                return -EBADMSG;
        type = json_object_get_string(ct);
        if (strcmp(type, "pcclient_std") == 0) {
                ev->content = CVM_CONTENT_PCCLIENT;
                data_key = "event_data";
                if (parse_event_type(c, path, &ev->type, err) < 0)
                        return -EBADMSG;
        } else if (strcmp(type, "ima_template") == 0) {
                ev->content = CVM_CONTENT_IMA;
                data_key = member(c, "template_value", json_type_string) ? "template_value" : "template_data";
                snprintf(sub, sizeof(sub), "%s.content", path);
                if (need(c, "template_name", json_type_string, sub, "a string", &tn, err) < 0)
                        return -EBADMSG;
                ev->template_name = evlog_strndup(log, json_object_get_string(tn), (size_t) json_object_get_string_len(tn));
                if (!ev->template_name)
                        return cvm_error_set(err, ENOMEM, "out of memory");
        } else if (strcmp(type, "cel") == 0) {
                ev->content = CVM_CONTENT_CEL_MGT;
                data_key = "data";
        } else
                return cvm_error_set(err, EBADMSG, "%s.content_type: \"%s\", expected pcclient_std, ima_template or cel",
                                     path, type);
        snprintf(sub, sizeof(sub), "%s.content", path);
        if (need(c, data_key, json_type_string, sub, "a hex string", &data, err) < 0)
                return -EBADMSG;
        snprintf(sub, sizeof(sub), "%s.content.%s", path, data_key);
        return hex_field(log, data, SIZE_MAX, sub, &ev->data, &ev->data_len, err);
}

/* The register: "pcr" (TCG) or "cc_mr_index" (a CC measurement register: the whole log is then in that space). */
static int parse_index(cvm_eventlog *log, struct json_object *rec, const char *path, struct cvm_event *ev,
                       cvm_error *err) {
        bool cc = member(rec, "cc_mr_index", json_type_int) != NULL;
        enum cvm_reg_space space = cc ? CVM_SPACE_CCMR : CVM_SPACE_PCR;
        uint64_t v;

        if (log->nevents > 1 && space != log->space)
                return cvm_error_set(err, EBADMSG, "%s: mixes pcr and cc_mr_index records", path);
        log->space = space;
        if (need_uint(rec, cc ? "cc_mr_index" : "pcr", cc ? CVM_CCMR_MAX - 1 : CVM_PCR_MAX - 1, path, &v, err) < 0)
                return -EBADMSG;
        ev->index = (uint32_t) v;
        return 0;
}

/*
 * The log's banks are those its extended events record: a TCG2 log's SHA-1-shaped
 * Spec ID record (EV_NO_ACTION) would otherwise add a SHA-1 bank no event extends.
 */
static void note_banks(cvm_eventlog *log, const struct cvm_event *ev) {
        if (!cvm_event_is_extended(ev))
                return;
        for (uint32_t i = 0; i < ev->ndigests; i++)
                if (evlog_alg_size(log, ev->digests[i].alg) < 0 && log->nalgs < CVM_LOG_MAX_ALGS) {
                        log->algs[log->nalgs].alg = ev->digests[i].alg;
                        log->algs[log->nalgs++].size = ev->digests[i].size;
                }
}

static int parse_record(cvm_eventlog *log, struct json_object *rec, size_t i, cvm_error *err) {
        struct cvm_event *ev;
        uint64_t recnum;
        char path[32];

        snprintf(path, sizeof(path), "[%zu]", i);
        if (!json_object_is_type(rec, json_type_object))
                return cvm_error_set(err, EBADMSG, "%s: expected a record object", path);
        ev = evlog_add_event(log);
        if (!ev)
                return cvm_error_set(err, ENOMEM, "out of memory");
        ev->offset = i;
        /* recnum counts per register (FAPI): checked, while ev->recnum stays the position, which messages name. */
        if (need_uint(rec, "recnum", INT64_MAX, path, &recnum, err) < 0 ||
            parse_index(log, rec, path, ev, err) < 0 || parse_digests(log, rec, path, ev, err) < 0 ||
            parse_content(log, rec, path, ev, err) < 0)
                return -EBADMSG;
        if (ev->content == CVM_CONTENT_PCCLIENT)
                evlog_note_startup_locality(log, ev);
        note_banks(log, ev);
        return 0;
}

static int tokenise(const cvm_eventlog *log, struct json_object **ret, cvm_error *err) {
        _cleanup_(tokener_freep) struct json_tokener *tok = json_tokener_new_ex(CEL_JSON_DEPTH);
        struct json_object *o;
        size_t end;

        if (!tok)
                return cvm_error_set(err, ENOMEM, "out of memory");
        if (log->raw_len > INT32_MAX)
                return cvm_error_set(err, EFBIG, "offset 0: CEL-JSON larger than 2 GiB");
        o = json_tokener_parse_ex(tok, (const char *) log->raw, (int) log->raw_len);
        end = json_tokener_get_parse_end(tok);
        if (!o) {
                enum json_tokener_error e = json_tokener_get_error(tok);
                return cvm_error_set(err, EBADMSG, "offset %zu: not JSON: %s", end,
                                     e == json_tokener_continue ? "unexpected end of input" : json_tokener_error_desc(e));
        }
        while (end < log->raw_len && strchr(" \t\r\n", log->raw[end]) && log->raw[end])
                end++;
        if (end != log->raw_len) {
                json_object_put(o);
                return cvm_error_set(err, EBADMSG, "offset %zu: data after the JSON array", end);
        }
        *ret = o;
        return 0;
}

int cel_json_parse(cvm_eventlog *log, cvm_error *err) {
        _cleanup_(json_putp) struct json_object *root = NULL;
        size_t n;
        int k;

        if ((k = tokenise(log, &root, err)) < 0)
                return k;
        if (!json_object_is_type(root, json_type_array))
                return cvm_error_set(err, EBADMSG, "$: expected an array of CEL records");
        n = json_object_array_length(root);
        if (n == 0)
                return cvm_error_set(err, EBADMSG, "$: empty CEL-JSON array");
        for (size_t i = 0; i < n; i++)
                if (parse_record(log, json_object_array_get_idx(root, i), i, err) < 0)
                        return -EBADMSG;
        return 0;
}
