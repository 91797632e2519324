/* SPDX-License-Identifier: Apache-2.0 */
/*
 * TCG Canonical Event Log, TLV encoding (CEL 1.0): each record is a run of
 * TLVs {u8 type, u32 big-endian length, value}: recnum (0), then pcr (1) or
 * nv_index (2), digests (3, nested TLVs whose type is the TCG algorithm id),
 * then one content TLV: mgt (4), pcclient_std (5), ima_template (7), ima_tlv (8).
 */
#include <errno.h>

#include "cvm/digest.h"
#include "internal.h"

enum {
        CEL_RECNUM = 0,
        CEL_PCR = 1,
        CEL_NV_INDEX = 2,
        CEL_DIGESTS = 3,
        CEL_MGT = 4,
        CEL_PCCLIENT_STD = 5,
        CEL_IMA_TEMPLATE = 7,
        CEL_IMA_TLV = 8,
};

struct tlv {
        uint8_t type;
        uint32_t len;
        const uint8_t *value;
        size_t offset;
};

/* 1: a TLV, 0: clean end, <0: error. `base` makes offsets absolute. */
static int next_tlv(const uint8_t *buf, size_t len, size_t *off, size_t base, struct tlv *t, cvm_error *err) {
        if (*off == len)
                return 0;
        if (len - *off < 5)
                return cvm_error_set(err, EBADMSG, "offset %zu: truncated TLV header (%zu bytes left, expected 5)",
                                     base + *off, len - *off);
        t->type = buf[*off];
        t->len = be32(buf + *off + 1);
        t->offset = base + *off;
        if (len - *off - 5 < t->len)
                return cvm_error_set(err, EBADMSG, "offset %zu: TLV of type %u declares %u bytes, only %zu remain",
                                     t->offset, t->type, t->len, len - *off - 5);
        t->value = buf + *off + 5;
        *off += 5 + (size_t) t->len;
        return 1;
}

/* Big-endian unsigned of 1..8 bytes, as CEL encodes recnum, pcr and nv_index. */
static int tlv_uint(const struct tlv *t, uint64_t max, uint64_t *ret, cvm_error *err) {
        uint64_t v = 0;

        if (t->len == 0 || t->len > 8)
                return cvm_error_set(err, EBADMSG, "offset %zu: integer TLV of %u bytes, expected 1 to 8", t->offset, t->len);
        for (uint32_t i = 0; i < t->len; i++)
                v = v << 8 | t->value[i];
        if (v > max)
                return cvm_error_set(err, EBADMSG, "offset %zu: value %llu exceeds %llu", t->offset,
                                     (unsigned long long) v, (unsigned long long) max);
        *ret = v;
        return 0;
}

static int parse_digests(cvm_eventlog *log, struct cvm_event *ev, const struct tlv *t, cvm_error *err) {
        struct cvm_event_digest *d;
        struct tlv sub;
        size_t off = 0, n = 0;
        int k;

        while ((k = next_tlv(t->value, t->len, &off, t->offset + 5, &sub, err)) > 0)
                n++;
        if (k < 0)
                return k;
        if (n == 0 || n > CVM_LOG_MAX_ALGS)
                return cvm_error_set(err, EBADMSG, "offset %zu: %zu digests, expected 1 to %d", t->offset, n, CVM_LOG_MAX_ALGS);
        d = evlog_alloc(log, n * sizeof(*d));
        if (!d)
                return cvm_error_set(err, ENOMEM, "out of memory");
        off = 0;
        for (size_t i = 0; i < n; i++) {
                int size;

                next_tlv(t->value, t->len, &off, t->offset + 5, &sub, err);
                size = cvm_alg_size(sub.type);
                if (size < 0)
                        return cvm_error_set(err, EBADMSG, "offset %zu: digest of unknown algorithm 0x%04x", sub.offset, sub.type);
                if ((uint32_t) size != sub.len)
                        return cvm_error_set(err, EBADMSG, "offset %zu: %s digest of %u bytes, expected %d",
                                             sub.offset, cvm_alg_name(sub.type), sub.len, size);
                d[i].alg = sub.type;
                d[i].size = (uint16_t) size;
                d[i].bytes = sub.value;
                if (evlog_alg_size(log, sub.type) < 0 && log->nalgs < CVM_LOG_MAX_ALGS) {
                        log->algs[log->nalgs].alg = sub.type;
                        log->algs[log->nalgs++].size = (uint16_t) size;
                }
        }
        ev->digests = d;
        ev->ndigests = (uint32_t) n;
        return 0;
}

/* The nested {type 0: event type / template name, type 1: data} pair of pcclient_std and ima_template. */
static int parse_content(cvm_eventlog *log, struct cvm_event *ev, const struct tlv *t, cvm_error *err) {
        struct tlv first, second;
        size_t off = 0;
        int k;

        if ((k = next_tlv(t->value, t->len, &off, t->offset + 5, &first, err)) <= 0 ||
            (k = next_tlv(t->value, t->len, &off, t->offset + 5, &second, err)) <= 0)
                return k < 0 ? k : cvm_error_set(err, EBADMSG, "offset %zu: content needs two fields", t->offset);
        if (first.type != 0 || second.type != 1 || off != t->len)
                return cvm_error_set(err, EBADMSG, "offset %zu: content fields must be types 0 and 1 and fill the TLV", t->offset);
        if (t->type == CEL_PCCLIENT_STD) {
                uint64_t type;
                if (tlv_uint(&first, UINT32_MAX, &type, err) < 0)
                        return -EBADMSG;
                ev->content = CVM_CONTENT_PCCLIENT;
                ev->type = (uint32_t) type;
        } else {
                ev->content = CVM_CONTENT_IMA;
                ev->template_name = evlog_strndup(log, (const char *) first.value, first.len);
                if (!ev->template_name)
                        return cvm_error_set(err, ENOMEM, "out of memory");
        }
        ev->data = second.value;
        ev->data_len = second.len;
        return 0;
}

static int parse_record(cvm_eventlog *log, size_t *off, cvm_error *err) {
        struct tlv t;
        struct cvm_event *ev;
        uint64_t v;
        int k;

        ev = evlog_add_event(log);
        if (!ev)
                return cvm_error_set(err, ENOMEM, "out of memory");
        ev->offset = *off;
        if ((k = next_tlv(log->raw, log->raw_len, off, 0, &t, err)) < 0)
                return k;
        if (t.type != CEL_RECNUM)
                return cvm_error_set(err, EBADMSG, "offset %zu: record starts with TLV type %u, expected recnum (0)", t.offset, t.type);
        if (tlv_uint(&t, UINT64_MAX, &ev->recnum, err) < 0)
                return -EBADMSG;

        if ((k = next_tlv(log->raw, log->raw_len, off, 0, &t, err)) <= 0)
                return k < 0 ? k : cvm_error_set(err, EBADMSG, "offset %zu: record ends after recnum", *off);
        if (t.type != CEL_PCR && t.type != CEL_NV_INDEX)
                return cvm_error_set(err, EBADMSG, "offset %zu: TLV type %u, expected pcr (1) or nv_index (2)", t.offset, t.type);
        if (t.type == CEL_NV_INDEX)
                evlog_warn(log, "offset %zu: NV index records are listed but not replayed", t.offset);
        if (tlv_uint(&t, UINT32_MAX, &v, err) < 0)
                return -EBADMSG;
        ev->index = (uint32_t) v;

        if ((k = next_tlv(log->raw, log->raw_len, off, 0, &t, err)) <= 0)
                return k < 0 ? k : cvm_error_set(err, EBADMSG, "offset %zu: record ends before its digests", *off);
        if (t.type != CEL_DIGESTS)
                return cvm_error_set(err, EBADMSG, "offset %zu: TLV type %u, expected digests (3)", t.offset, t.type);
        if ((k = parse_digests(log, ev, &t, err)) < 0)
                return k;

        if ((k = next_tlv(log->raw, log->raw_len, off, 0, &t, err)) <= 0)
                return k < 0 ? k : cvm_error_set(err, EBADMSG, "offset %zu: record ends before its content", *off);
        switch (t.type) {
        case CEL_PCCLIENT_STD:
        case CEL_IMA_TEMPLATE:
                return parse_content(log, ev, &t, err);
        case CEL_MGT:
        case CEL_IMA_TLV:
                /* Kept as opaque content: mgt is never extended; ima_tlv is extended by its digests. */
                ev->content = t.type == CEL_MGT ? CVM_CONTENT_CEL_MGT : CVM_CONTENT_IMA;
                ev->template_name = t.type == CEL_IMA_TLV ? "ima-tlv" : NULL;
                ev->data = t.value;
                ev->data_len = t.len;
                return 0;
        default:
                return cvm_error_set(err, EBADMSG, "offset %zu: content TLV type %u is not one of 4, 5, 7, 8", t.offset, t.type);
        }
}

int cel_tlv_parse(cvm_eventlog *log, cvm_error *err) {
        size_t off = 0;

        if (log->raw_len == 0)
                return cvm_error_set(err, EBADMSG, "offset 0: empty CEL");
        while (off < log->raw_len) {
                int k = parse_record(log, &off, err);
                if (k < 0)
                        return k;
        }
        return 0;
}
