/* SPDX-License-Identifier: Apache-2.0 */
/*
 * IMA runtime measurement lists.
 *
 * binary: u32 PCR, 20-byte SHA-1 template hash, u32 name length, name, then
 *   u32 template data length + data (for the legacy "ima" template: a raw
 *   20-byte digest and a u32-length file name, no overall length).
 * ascii: "PCR template-hash template-name fields...", one per line.  The
 *   template data is rebuilt from the fields for ima, ima-ng, ima-sig,
 *   ima-buf, ima-dep-cgn and ima-cgpath, so every bank can be replayed and
 *   every template hash checked.
 *
 * ima-dep-cgn (dep|cgn|d-ng|n-ng) and ima-cgpath (dep|cg-path|d-ng|n-ng) are
 * not upstream: they come from the linux-integrity RFC "ima: created new ima
 * template ima-cgpath for Kubernates' pods attestation" (Bravi, Sisinni,
 * 2022), which Intel's CCNP/CIMA kernels carry for container measurement.
 * dep is the executable paths of the caller's ancestors joined by ':', cgn
 * the name and cg-path the whole path of its cgroup (hierarchy 1; "-" when
 * there is none).  All three are strings as IMA writes them: a u32 length
 * counting the terminating NUL, spaces replaced by '_'.
 *
 * The template hash of a bank is H(template data) - except for the "ima"
 * template, whose name field is hashed NUL-padded to 256 bytes and without
 * length prefixes (kernel: ima_calc_field_array_hash).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>

#include "cvm/digest.h"
#include "cvm/encoding.h"
#include "ima.h"
#include "internal.h"

#define IMA_NAME_MAX 255           /* template names and the legacy name field */
#define IMA_LEGACY_NAME_PAD 256    /* IMA_EVENT_NAME_LEN_MAX + 1 */

bool ima_event_is_violation(const struct cvm_event *ev) {
        if (ev->content != CVM_CONTENT_IMA || ev->ndigests == 0)
                return false;
        for (uint32_t i = 0; i < ev->ndigests; i++)
                for (size_t j = 0; j < ev->digests[i].size; j++)
                        if (ev->digests[i].bytes[j])
                                return false;
        return true;
}

int ima_template_digest(const struct cvm_event *ev, uint16_t alg, uint8_t *out, cvm_error *err) {
        uint8_t buf[20 + IMA_LEGACY_NAME_PAD];
        size_t name_len;

        if (strcmp(ev->template_name, "ima") != 0)
                return cvm_digest(alg, ev->data, ev->data_len, out, err);
        if (ev->data_len < 20)
                return cvm_error_set(err, EBADMSG, "legacy ima event of %zu bytes, expected at least 20", ev->data_len);
        name_len = ev->data_len - 20;
        if (name_len > IMA_LEGACY_NAME_PAD)
                return cvm_digest(alg, ev->data, ev->data_len, out, err);
        memset(buf, 0, sizeof(buf));
        memcpy(buf, ev->data, ev->data_len);
        return cvm_digest(alg, buf, sizeof(buf), out, err);
}

static bool is_cg_template(const char *name, size_t len) {
        return (len == 11 && memcmp(name, "ima-dep-cgn", 11) == 0) || (len == 10 && memcmp(name, "ima-cgpath", 10) == 0);
}

int cvm_ima_event_cgroup(const struct cvm_event *ev, const char **ret, size_t *len) {
        struct reader r = { ev->data, ev->data_len, 0 };
        uint32_t n;

        if (ev->content != CVM_CONTENT_IMA || !ev->template_name || !is_cg_template(ev->template_name, strlen(ev->template_name)))
                return -ENOENT;
        /* Skip dep, then read cgn or cg-path: each a u32 length and that many bytes. */
        for (int field = 0; field < 2; field++) {
                if (!ev->data || !rd_has(&r, 4))
                        return -EBADMSG;
                n = rd_u32(&r);
                if (!rd_has(&r, n))
                        return -EBADMSG;
                *ret = (const char *) rd_bytes(&r, n);
        }
        *len = n && (*ret)[n - 1] == '\0' ? n - 1 : n;
        return memchr(*ret, '\0', *len) ? -EBADMSG : 0;
}

int cvm_ima_event_digest(const struct cvm_event *ev, uint16_t alg, uint8_t *out, cvm_error *err) {
        int size = cvm_alg_size(alg);

        if (size < 0)
                return cvm_error_set(err, EINVAL, "unknown algorithm 0x%04x", alg);
        if (ima_event_is_violation(ev)) {
                memset(out, 0xff, (size_t) size);
                return 0;
        }
        for (uint32_t i = 0; i < ev->ndigests; i++)
                if (ev->digests[i].alg == alg) {
                        memcpy(out, ev->digests[i].bytes, (size_t) size);
                        return 0;
                }
        if (!ev->data)
                return cvm_error_set(err, ENODATA, "an IMA %s event without template data has no %s digest",
                                     ev->template_name ? ev->template_name : "?", cvm_alg_name(alg));
        return ima_template_digest(ev, alg, out, err);
}

static int add_ima_event(cvm_eventlog *log, size_t offset, uint32_t pcr, uint16_t alg,
                         const uint8_t *hash, size_t hash_len, const char *name, size_t name_len,
                         const uint8_t *data, size_t data_len, cvm_error *err) {
        struct cvm_event_digest *d = evlog_alloc(log, sizeof(*d));
        struct cvm_event *ev;

        if (!d)
                return cvm_error_set(err, ENOMEM, "out of memory");
        d->alg = alg;
        d->size = (uint16_t) hash_len;
        d->bytes = evlog_memdup(log, hash, hash_len);
        ev = evlog_add_event(log);
        if (!ev || !d->bytes)
                return cvm_error_set(err, ENOMEM, "out of memory");
        ev->offset = offset;
        ev->index = pcr;
        ev->content = CVM_CONTENT_IMA;
        ev->digests = d;
        ev->ndigests = 1;
        ev->template_name = evlog_strndup(log, name, name_len);
        ev->data = data;
        ev->data_len = data_len;
        if (!ev->template_name)
                return cvm_error_set(err, ENOMEM, "out of memory");
        if (evlog_alg_size(log, alg) < 0 && log->nalgs < CVM_LOG_MAX_ALGS) {
                log->algs[log->nalgs].alg = alg;
                log->algs[log->nalgs++].size = (uint16_t) hash_len;
        }
        return 0;
}

int ima_binary_parse(cvm_eventlog *log, cvm_error *err) {
        struct reader r = { log->raw, log->raw_len, 0 };

        if (r.len == 0)
                return cvm_error_set(err, EBADMSG, "offset 0: empty IMA list");
        while (rd_left(&r) > 0) {
                size_t start = r.off;
                const uint8_t *hash, *data, *name;
                uint32_t pcr, name_len, data_len;
                int k;

                if (!rd_has(&r, 28))
                        goto truncated;
                pcr = rd_u32(&r);
                hash = rd_bytes(&r, 20);
                name_len = rd_u32(&r);
                if (name_len == 0 || name_len > IMA_NAME_MAX)
                        return cvm_error_set(err, EBADMSG, "offset %zu: template name length %u, expected 1 to %d",
                                             start + 24, name_len, IMA_NAME_MAX);
                if (!rd_has(&r, name_len))
                        goto truncated;
                name = rd_bytes(&r, name_len);
                if (name_len == 3 && memcmp(name, "ima", 3) == 0) {
                        /* Legacy: 20-byte digest, u32 length, name; stored as digest || name. */
                        uint8_t *buf;
                        uint32_t n;

                        if (!rd_has(&r, 24))
                                goto truncated;
                        data = rd_bytes(&r, 20);
                        n = rd_u32(&r);
                        if (n > IMA_NAME_MAX)
                                return cvm_error_set(err, EBADMSG, "offset %zu: ima file name length %u, expected at most %d",
                                                     r.off - 4, n, IMA_NAME_MAX);
                        if (!rd_has(&r, n))
                                goto truncated;
                        buf = evlog_alloc(log, 20 + (size_t) n);
                        if (!buf)
                                return cvm_error_set(err, ENOMEM, "out of memory");
                        memcpy(buf, data, 20);
                        memcpy(buf + 20, rd_bytes(&r, n), n);
                        data = buf;
                        data_len = 20 + n;
                } else {
                        if (!rd_has(&r, 4))
                                goto truncated;
                        data_len = rd_u32(&r);
                        if (!rd_has(&r, data_len))
                                goto truncated;
                        data = rd_bytes(&r, data_len);
                }
                k = add_ima_event(log, start, pcr, CVM_ALG_SHA1, hash, 20, (const char *) name, name_len,
                                  data, data_len, err);
                if (k < 0)
                        return k;
                continue;
truncated:
                log->truncated = true;
                evlog_warn(log, "offset %zu: truncated IMA record (event %zu)", start, log->nevents);
                break;
        }
        return 0;
}

/* Append a u32 length and n bytes to the growing template data at *p. */
static uint8_t *put_field(uint8_t *p, const void *v, size_t n) {
        put_le32(p, (uint32_t) n);
        if (n)
                memcpy(p + 4, v, n);
        return p + 4 + n;
}

/* "alg:hex" (or bare hex for sha1) into the d-ng field: "alg:\0" || digest. */
static int digest_field(const char *tok, size_t len, uint8_t *out, size_t *out_len, bool legacy) {
        const char *colon = memchr(tok, ':', len);
        char hex[2 * CVM_DIGEST_MAX + 1];
        size_t alg_len = colon ? (size_t) (colon - tok) : 0, hex_len = colon ? len - alg_len - 1 : len;
        int n;

        if (hex_len > 2 * CVM_DIGEST_MAX || alg_len > 16 || (legacy && colon))
                return -EINVAL;
        memcpy(hex, colon ? colon + 1 : tok, hex_len);
        hex[hex_len] = '\0';
        if (legacy) {
                n = cvm_unhex(hex, out, 20);
                if (n != 20)
                        return -EINVAL;
                *out_len = 20;
                return 0;
        }
        if (colon) {
                memcpy(out, tok, alg_len);
                out[alg_len] = ':';
                out[alg_len + 1] = '\0';
                alg_len += 2;
        }
        n = cvm_unhex(hex, out + alg_len, CVM_DIGEST_MAX);
        if (n <= 0)
                return -EINVAL;
        *out_len = alg_len + (size_t) n;
        return 0;
}

/* Decode n hex digits already checked with is_hex(). */
static void unhex_checked(const char *s, size_t n, uint8_t *out) {
        for (size_t i = 0; i < n / 2; i++) {
                char pair[3] = { s[2 * i], s[2 * i + 1], 0 };
                out[i] = (uint8_t) strtoul(pair, NULL, 16);
        }
}

static bool is_hex(const char *s, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (!isxdigit((unsigned char) s[i]))
                        return false;
        return n > 0 && n % 2 == 0;
}

/* Split the next space-separated token of [*p, end). */
static bool token(const char **p, const char *end, const char **tok, size_t *len) {
        while (*p < end && **p == ' ')
                (*p)++;
        if (*p == end)
                return false;
        *tok = *p;
        while (*p < end && **p != ' ')
                (*p)++;
        *len = (size_t) (*p - *tok);
        return true;
}

static int parse_ascii_line(cvm_eventlog *log, const char *line, const char *end, size_t lineno, cvm_error *err) {
        const char *p = line, *tok, *name, *dig, *path, *cgf[2] = { NULL, NULL };
        size_t tok_len, name_len, dig_len, path_len, extra_len = 0, data_len, hash_len, d_len, cgf_len[2] = { 0, 0 };
        uint8_t hash[CVM_DIGEST_MAX], d[CVM_DIGEST_MAX + 24], *data, *q;
        const char *extra = NULL;
        uint64_t pcr;
        uint16_t alg;

        if (!token(&p, end, &tok, &tok_len))
                return cvm_error_set(err, EBADMSG, "line %zu: expected a PCR number", lineno);
        /* The token is not NUL-terminated (the list's last line may have no newline): parse exactly its bytes. */
        if (cvm_parse_uint(tok, tok_len, 10, UINT32_MAX, &pcr) < 0)
                return cvm_error_set(err, EBADMSG, "line %zu: expected a PCR number, got \"%.*s\"", lineno,
                                     (int) (tok_len > 32 ? 32 : tok_len), tok);
        if (!token(&p, end, &tok, &tok_len) || !is_hex(tok, tok_len) || tok_len > 2 * CVM_DIGEST_MAX)
                return cvm_error_set(err, EBADMSG, "line %zu: expected a hex template hash", lineno);
        switch (tok_len) {
        case 40: alg = CVM_ALG_SHA1; break;
        case 64: alg = CVM_ALG_SHA256; break;
        case 96: alg = CVM_ALG_SHA384; break;
        case 128: alg = CVM_ALG_SHA512; break;
        default:
                return cvm_error_set(err, EBADMSG, "line %zu: template hash of %zu hex digits, expected 40, 64, 96 or 128",
                                     lineno, tok_len);
        }
        hash_len = tok_len / 2;
        unhex_checked(tok, tok_len, hash);
        if (!token(&p, end, &name, &name_len) || name_len > IMA_NAME_MAX)
                return cvm_error_set(err, EBADMSG, "line %zu: expected a template name", lineno);
        bool cg = is_cg_template(name, name_len);
        for (int i = 0; cg && i < 2; i++)
                if (!token(&p, end, &cgf[i], &cgf_len[i]) || cgf_len[i] > 4096)
                        return cvm_error_set(err, EBADMSG, "line %zu: expected the %s field of 1 to 4096 bytes", lineno,
                                             i == 0 ? "dep" : name_len == 10 ? "cg-path" : "cgn");
        if (!token(&p, end, &dig, &dig_len))
                return cvm_error_set(err, EBADMSG, "line %zu: expected a file digest", lineno);
        while (p < end && *p == ' ')
                p++;
        path = p;
        path_len = (size_t) (end - p);

        bool legacy = name_len == 3 && memcmp(name, "ima", 3) == 0;
        bool sig = name_len == 7 && memcmp(name, "ima-sig", 7) == 0;
        bool buf = name_len == 7 && memcmp(name, "ima-buf", 7) == 0;
        if (!legacy && !sig && !buf && !cg && !(name_len == 6 && memcmp(name, "ima-ng", 6) == 0)) {
                /* Unknown template: its fields cannot be rebuilt, only the recorded hash replays. */
                evlog_warn(log, "line %zu: template \"%.*s\" is replayed on its recorded bank only", lineno, (int) name_len, name);
                return add_ima_event(log, lineno, (uint32_t) pcr, alg, hash, hash_len, name, name_len, NULL, 0, err);
        }
        if (sig || buf) {
                /* The last token is the signature (optional) or the buffer's hex. */
                const char *last = memrchr(path, ' ', path_len);
                const char *cand = last ? last + 1 : path;
                size_t cand_len = (size_t) (end - cand);
                if ((last || buf) && is_hex(cand, cand_len)) {
                        extra = cand;
                        extra_len = cand_len;
                        path_len = last ? (size_t) (last - path) : 0;
                }
                if (buf && !extra)
                        return cvm_error_set(err, EBADMSG, "line %zu: ima-buf line without a hex buffer", lineno);
        }
        if (path_len == 0 || path_len > 4096)
                return cvm_error_set(err, EBADMSG, "line %zu: expected a file name of 1 to 4096 bytes", lineno);
        if (digest_field(dig, dig_len, d, &d_len, legacy) < 0)
                return cvm_error_set(err, EBADMSG, "line %zu: file digest \"%.*s\" is not %s", lineno, (int) dig_len, dig,
                                     legacy ? "40 hex digits" : "ALG:HEX");

        data_len = legacy ? 20 + path_len : 4 + d_len + 4 + path_len + 1 + (extra ? 4 + extra_len / 2 : sig ? 4 : 0);
        if (cg)
                data_len += 4 + cgf_len[0] + 1 + 4 + cgf_len[1] + 1;
        data = evlog_alloc(log, data_len);
        if (!data)
                return cvm_error_set(err, ENOMEM, "out of memory");
        if (legacy) {
                memcpy(data, d, 20);
                memcpy(data + 20, path, path_len);
        } else {
                q = data;
                for (int i = 0; cg && i < 2; i++) {
                        /* A string field counts its NUL. */
                        put_le32(q, (uint32_t) cgf_len[i] + 1);
                        memcpy(q + 4, cgf[i], cgf_len[i]);
                        q[4 + cgf_len[i]] = '\0';
                        q += 4 + cgf_len[i] + 1;
                }
                q = put_field(q, d, d_len);
                put_le32(q, (uint32_t) path_len + 1);
                memcpy(q + 4, path, path_len);   /* n-ng carries the terminating NUL */
                q += 4 + path_len + 1;
                if (extra) {
                        put_le32(q, (uint32_t) extra_len / 2);
                        unhex_checked(extra, extra_len, q + 4);
                } else if (sig)
                        put_le32(q, 0);
        }
        return add_ima_event(log, lineno, (uint32_t) pcr, alg, hash, hash_len, name, name_len, data, data_len, err);
}

int ima_ascii_parse(cvm_eventlog *log, cvm_error *err) {
        const char *p = (const char *) log->raw, *end = p + log->raw_len;
        size_t lineno = 0;

        if (log->raw_len == 0)
                return cvm_error_set(err, EBADMSG, "line 1: empty IMA list");
        if (memchr(p, '\0', log->raw_len))
                return cvm_error_set(err, EBADMSG, "offset %zu: NUL byte in an ascii IMA list",
                                     (size_t) ((const char *) memchr(p, '\0', log->raw_len) - p));
        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t) (end - p)), *eol = nl ? nl : end;
                int k;

                lineno++;
                if (eol > p && eol[-1] == '\r')
                        eol--;
                if (eol > p) {
                        k = parse_ascii_line(log, p, eol, lineno, err);
                        if (k < 0)
                                return k;
                }
                p = nl ? nl + 1 : end;
        }
        if (log->nevents == 0)
                return cvm_error_set(err, EBADMSG, "line 1: no measurements in the IMA list");
        return 0;
}
