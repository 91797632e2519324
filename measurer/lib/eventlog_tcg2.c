/* SPDX-License-Identifier: Apache-2.0 */
/*
 * TCG PC Client crypto-agile log (PFP 1.05+ section 10.2): a SHA-1 shaped
 * TCG_PCR_EVENT carrying the Spec ID Event03, then TCG_PCR_EVENT2 records
 * whose digests have the sizes the Spec ID event declares.  The TDX CCEL
 * log area is the same format with CC MR indices.
 */
#include <errno.h>
#include <stdio.h>

#include "cvm/digest.h"
#include "internal.h"

static const char spec_id_sig[16] = "Spec ID Event03";   /* includes the NUL */

#define HEADER_FIXED 32          /* index, type, SHA-1 digest, event size */
#define SPEC_ID_FIXED 28         /* signature .. numberOfAlgorithms */
/* No real digest is larger than SHA-512; a declared size beyond this is hostile. */
#define UNKNOWN_ALG_MAX_SIZE 512

bool tcg2_has_spec_id(const uint8_t *buf, size_t len) {
        return len >= HEADER_FIXED + sizeof(spec_id_sig) &&
               le32(buf + 4) == CVM_EV_NO_ACTION &&
               le32(buf + 28) >= sizeof(spec_id_sig) &&
               memcmp(buf + HEADER_FIXED, spec_id_sig, sizeof(spec_id_sig)) == 0;
}

static int parse_spec_id(cvm_eventlog *log, const uint8_t *data, size_t len, size_t off, cvm_error *err) {
        struct reader r = { data, len, 0 };
        uint32_t nalgs;
        uint8_t vendor;

        if (!rd_has(&r, SPEC_ID_FIXED))
                return cvm_error_set(err, EBADMSG, "offset %zu: Spec ID event of %zu bytes, expected at least %d",
                                     off, len, SPEC_ID_FIXED);
        r.off = 24;
        nalgs = rd_u32(&r);
        if (nalgs == 0 || nalgs > CVM_LOG_MAX_ALGS)
                return cvm_error_set(err, EBADMSG, "offset %zu: Spec ID event declares %u algorithms, expected 1 to %d",
                                     off + 24, nalgs, CVM_LOG_MAX_ALGS);
        if (!rd_has(&r, 4 * (size_t) nalgs))
                return cvm_error_set(err, EBADMSG, "offset %zu: Spec ID event is too short for its %u algorithms",
                                     off + 28, nalgs);
        for (uint32_t i = 0; i < nalgs; i++) {
                size_t at = off + r.off;
                uint16_t alg = rd_u16(&r), size = rd_u16(&r);
                int known = cvm_alg_size(alg);

                if (known >= 0 && known != size)
                        return cvm_error_set(err, EBADMSG, "offset %zu: Spec ID declares %s with digest size %u, expected %d",
                                             at, cvm_alg_name(alg), size, known);
                if (size == 0 || size > UNKNOWN_ALG_MAX_SIZE)
                        return cvm_error_set(err, EBADMSG, "offset %zu: Spec ID declares algorithm 0x%04x with digest size %u, expected 1 to %d",
                                             at, alg, size, UNKNOWN_ALG_MAX_SIZE);
                if (evlog_alg_size(log, alg) >= 0)
                        return cvm_error_set(err, EBADMSG, "offset %zu: Spec ID declares algorithm 0x%04x twice", at, alg);
                log->algs[log->nalgs].alg = alg;
                log->algs[log->nalgs].size = size;
                log->nalgs++;
        }
        if (!rd_has(&r, 1)) {
                evlog_warn(log, "offset %zu: Spec ID event has no vendorInfoSize byte", off + r.off);
                return 0;
        }
        vendor = rd_u8(&r);
        if (!rd_has(&r, vendor))
                evlog_warn(log, "offset %zu: Spec ID vendorInfoSize %u runs past the event's %zu bytes", off + r.off - 1,
                         vendor, len);
        return 0;
}

static int parse_header(cvm_eventlog *log, struct reader *r, cvm_error *err) {
        struct cvm_event_digest *d;
        struct cvm_event *ev;
        uint32_t size;
        int k;

        if (!tcg2_has_spec_id(r->buf, r->len))
                return cvm_error_set(err, EBADMSG, "offset 0: expected a TCG_PCR_EVENT header carrying \"Spec ID Event03\"");
        ev = evlog_add_event(log);
        d = evlog_alloc(log, sizeof(*d));
        if (!ev || !d)
                return cvm_error_set(err, ENOMEM, "out of memory");
        ev->header = true;
        ev->offset = 0;
        ev->index = rd_u32(r);
        ev->type = rd_u32(r);
        d->alg = CVM_ALG_SHA1;
        d->size = 20;
        d->bytes = rd_bytes(r, 20);
        ev->digests = d;
        ev->ndigests = 1;
        size = rd_u32(r);
        if (!rd_has(r, size))
                return cvm_error_set(err, EBADMSG, "offset 28: Spec ID event size %u runs past the end of the %zu-byte input",
                                     size, r->len);
        ev->data = rd_bytes(r, size);
        ev->data_len = size;
        k = parse_spec_id(log, ev->data, size, HEADER_FIXED, err);
        if (k < 0)
                return k;
        if (log->format == CVM_LOG_CCEL && ev->index > 1)
                evlog_warn(log, "offset 0: Spec ID header on CC MR index %u, expected 0 or 1", ev->index);
        return 0;
}

static bool all_bytes(const uint8_t *p, size_t n, uint8_t v) {
        for (size_t i = 0; i < n; i++)
                if (p[i] != v)
                        return false;
        return true;
}

static void note_oddities(cvm_eventlog *log, const struct cvm_event *ev, uint64_t *separators) {
        char name[CVM_REG_NAME_MAX];

        if (ev->type == CVM_EV_NO_ACTION) {
                evlog_note_startup_locality(log, ev);
                return;
        }
        if (log->space == CVM_SPACE_CCMR ? ev->index >= CVM_CCMR_MAX : ev->index >= CVM_PCR_MAX)
                evlog_warn(log, "event %llu (offset %zu): register index %u is out of range for %s",
                         (unsigned long long) ev->recnum, ev->offset, ev->index, cvm_reg_space_name(log->space));
        if (ev->type == CVM_EV_SEPARATOR && ev->index < 64) {
                if (*separators & (UINT64_C(1) << ev->index))
                        evlog_warn(log, "event %llu (offset %zu): second EV_SEPARATOR on %s (replayed as recorded)",
                                 (unsigned long long) ev->recnum, ev->offset,
                                 cvm_register_name(log->space, ev->index, name));
                *separators |= UINT64_C(1) << ev->index;
        }
}

/* Parse one TCG_PCR_EVENT2 at r->off.  1: parsed, 0: end of log, <0: error. */
static int parse_record(cvm_eventlog *log, struct reader *r, cvm_error *err) {
        size_t start = r->off;
        struct cvm_event_digest *d;
        struct cvm_event *ev;
        uint32_t index, type, count, size;

        if (!rd_has(r, 12)) {
                /* A short 0xFF tail is CCEL padding; a short zero tail may be the start of a PCR0 record. */
                if (all_bytes(r->buf + start, rd_left(r), 0xff))
                        return 0;
                log->truncated = true;
                evlog_warn(log, "offset %zu: truncated record: %zu bytes left, expected at least 12", start, rd_left(r));
                return 0;
        }
        index = rd_u32(r);
        type = rd_u32(r);
        count = rd_u32(r);
        /* Unused CCEL space is 0xFF; zeroed space is not a valid record (no digests) either. */
        if ((index == UINT32_MAX && type == UINT32_MAX) || (index == 0 && type == 0 && count == 0)) {
                uint8_t fill = index == 0 ? 0 : 0xff;
                if (!all_bytes(r->buf + start, r->len - start, fill))
                        evlog_warn(log, "offset %zu: log ends at 0x%02x padding, but non-padding bytes follow", start, fill);
                return 0;
        }
        if (count == 0 || count > log->nalgs)
                return cvm_error_set(err, EBADMSG, "offset %zu: event %zu has digest count %u, expected 1 to %zu (the Spec ID banks)",
                                     start + 8, log->nevents, count, log->nalgs);
        d = evlog_alloc(log, count * sizeof(*d));
        if (!d)
                return cvm_error_set(err, ENOMEM, "out of memory");
        for (uint32_t i = 0; i < count; i++) {
                size_t at = r->off;
                int s;

                if (!rd_has(r, 2))
                        goto truncated;
                d[i].alg = rd_u16(r);
                s = evlog_alg_size(log, d[i].alg);
                if (s < 0)
                        return cvm_error_set(err, EBADMSG, "offset %zu: event %zu has a digest of algorithm 0x%04x, which the Spec ID event does not declare",
                                             at, log->nevents, d[i].alg);
                for (uint32_t j = 0; j < i; j++)
                        if (d[j].alg == d[i].alg)
                                return cvm_error_set(err, EBADMSG, "offset %zu: event %zu has two digests of algorithm 0x%04x",
                                                     at, log->nevents, d[i].alg);
                if (!rd_has(r, (size_t) s))
                        goto truncated;
                d[i].size = (uint16_t) s;
                d[i].bytes = rd_bytes(r, (size_t) s);
        }
        if (!rd_has(r, 4))
                goto truncated;
        size = rd_u32(r);
        if (!rd_has(r, size)) {
                log->truncated = true;
                evlog_warn(log, "offset %zu: event %zu declares %u bytes of event data, only %zu remain",
                         r->off - 4, log->nevents, size, rd_left(r));
                return 0;
        }
        ev = evlog_add_event(log);
        if (!ev)
                return cvm_error_set(err, ENOMEM, "out of memory");
        ev->offset = start;
        ev->index = index;
        ev->type = type;
        ev->digests = d;
        ev->ndigests = count;
        ev->data = rd_bytes(r, size);
        ev->data_len = size;
        return 1;

truncated:
        log->truncated = true;
        evlog_warn(log, "offset %zu: truncated record (event %zu ends inside its digests)", start, log->nevents);
        return 0;
}

int tcg2_parse(cvm_eventlog *log, cvm_error *err) {
        struct reader r = { log->raw, log->raw_len, 0 };
        uint64_t separators = 0;
        int k;

        k = parse_header(log, &r, err);
        if (k < 0)
                return k;
        while (rd_left(&r) > 0) {
                k = parse_record(log, &r, err);
                if (k < 0)
                        return k;
                if (k == 0)
                        break;
                note_oddities(log, &log->events[log->nevents - 1], &separators);
        }
        return 0;
}

static size_t record_size(const cvm_eventlog *log, const struct cvm_event *ev) {
        size_t n = 12 + 4 + ev->data_len;
        (void) log;
        for (uint32_t i = 0; i < ev->ndigests; i++)
                n += 2 + ev->digests[i].size;
        return n;
}

int cvm_eventlog_write_tcg2(const cvm_eventlog *log, uint8_t **ret, size_t *ret_len, cvm_error *err) {
        size_t spec_len = SPEC_ID_FIXED + 4 * log->nalgs + 1, total = HEADER_FIXED + spec_len, off = 0;
        uint8_t *buf, *p;

        if (log->format != CVM_LOG_TCG2 && log->format != CVM_LOG_CCEL)
                return cvm_error_set(err, EINVAL, "only TCG2 and CCEL logs can be written as TCG2");
        for (size_t i = 0; i < log->nevents; i++)
                if (!log->events[i].header)
                        total += record_size(log, &log->events[i]);
        buf = calloc(1, total);
        if (!buf)
                return cvm_error_set(err, ENOMEM, "out of memory");

        /* Header: the CCEL convention puts it on CC MR index 1 (RTMR0); TPM logs on PCR0. */
        put_le32(buf, log->space == CVM_SPACE_CCMR ? 1 : 0);
        put_le32(buf + 4, CVM_EV_NO_ACTION);
        put_le32(buf + 28, (uint32_t) spec_len);
        p = buf + HEADER_FIXED;
        memcpy(p, spec_id_sig, sizeof(spec_id_sig));
        p[21] = 2;              /* specVersionMajor */
        p[23] = 2;              /* uintnSize: UINT64 */
        put_le32(p + 24, (uint32_t) log->nalgs);
        for (size_t i = 0; i < log->nalgs; i++) {
                put_le16(p + 28 + 4 * i, log->algs[i].alg);
                put_le16(p + 30 + 4 * i, log->algs[i].size);
        }
        off = HEADER_FIXED + spec_len;   /* vendorInfoSize stays 0 */

        for (size_t i = 0; i < log->nevents; i++) {
                const struct cvm_event *ev = &log->events[i];
                if (ev->header)
                        continue;
                put_le32(buf + off, ev->index);
                put_le32(buf + off + 4, ev->type);
                put_le32(buf + off + 8, ev->ndigests);
                off += 12;
                for (uint32_t j = 0; j < ev->ndigests; j++) {
                        put_le16(buf + off, ev->digests[j].alg);
                        memcpy(buf + off + 2, ev->digests[j].bytes, ev->digests[j].size);
                        off += 2 + (size_t) ev->digests[j].size;
                }
                put_le32(buf + off, (uint32_t) ev->data_len);
                if (ev->data_len)
                        memcpy(buf + off + 4, ev->data, ev->data_len);
                off += 4 + ev->data_len;
        }
        *ret = buf;
        *ret_len = total;
        return 0;
}
