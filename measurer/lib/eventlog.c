/* SPDX-License-Identifier: Apache-2.0 */
#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cvm/digest.h"
#include "internal.h"

static const struct {
        enum cvm_log_format fmt;
        const char *name;
} format_names[] = {
        { CVM_LOG_AUTO, "auto" },
        { CVM_LOG_TCG2, "tcg2" },
        { CVM_LOG_TCG12, "tcg12" },
        { CVM_LOG_CCEL, "ccel" },
        { CVM_LOG_IMA, "ima" },
        { CVM_LOG_IMA_ASCII, "ima-ascii" },
        { CVM_LOG_IMA_BINARY, "ima-binary" },
        { CVM_LOG_CEL_TLV, "cel-tlv" },
        { CVM_LOG_CEL_TLV, "cel" },
        { CVM_LOG_CEL_JSON, "cel-json" },
};

const char *cvm_log_format_name(enum cvm_log_format fmt) {
        for (size_t i = 0; i < sizeof(format_names) / sizeof(format_names[0]); i++)
                if (format_names[i].fmt == fmt)
                        return format_names[i].name;
        return "unknown";
}

int cvm_log_format_from_name(const char *name, enum cvm_log_format *ret) {
        for (size_t i = 0; i < sizeof(format_names) / sizeof(format_names[0]); i++)
                if (strcmp(format_names[i].name, name) == 0) {
                        *ret = format_names[i].fmt;
                        return 0;
                }
        return -EINVAL;
}

cvm_eventlog *evlog_new(enum cvm_log_format fmt, enum cvm_reg_space space, uint8_t *raw, size_t raw_len) {
        cvm_eventlog *log = calloc(1, sizeof(*log));

        if (!log)
                return NULL;
        log->format = fmt;
        log->space = space;
        log->raw = raw;
        log->raw_len = raw_len;
        log->startup_locality = -1;
        return log;
}

void cvm_eventlog_free(cvm_eventlog *log) {
        if (!log)
                return;
        for (struct arena_chunk *c = log->arena, *next; c; c = next) {
                next = c->next;
                free(c);
        }
        strv_free(log->warnings, log->nwarnings);
        free(log->events);
        free(log->raw);
        free(log);
}

void *evlog_alloc(cvm_eventlog *log, size_t size) {
        struct arena_chunk *c;
        size_t need = (size + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
        void *p;

        assert(log);
        c = log->arena;
        if (need < size)
                return NULL;
        if (!c || c->cap - c->used < need) {
                size_t cap = need > 64 * 1024 ? need : 64 * 1024;
                c = malloc(sizeof(*c) + cap);
                if (!c)
                        return NULL;
                c->used = 0;
                c->cap = cap;
                c->next = log->arena;
                log->arena = c;
        }
        p = (uint8_t *) c->data + c->used;
        c->used += need;
        memset(p, 0, size);
        return p;
}

void *evlog_memdup(cvm_eventlog *log, const void *p, size_t size) {
        void *q;

        assert(p || size == 0);
        q = evlog_alloc(log, size ? size : 1);
        if (q && size)
                memcpy(q, p, size);
        return q;
}

char *evlog_strndup(cvm_eventlog *log, const char *s, size_t n) {
        char *q;

        assert(s || n == 0);
        q = evlog_alloc(log, n + 1);
        if (q)
                memcpy(q, s, n);
        return q;
}

struct cvm_event *evlog_add_event(cvm_eventlog *log) {
        struct cvm_event *ev;

        assert(log);
        if (log->nevents == log->cap) {
                size_t cap = log->cap ? log->cap * 2 : 64;
                struct cvm_event *n = realloc(log->events, cap * sizeof(*n));
                if (!n)
                        return NULL;
                log->events = n;
                log->cap = cap;
        }
        ev = &log->events[log->nevents];
        memset(ev, 0, sizeof(*ev));
        ev->recnum = log->nevents++;
        return ev;
}

void evlog_warn(cvm_eventlog *log, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        strv_appendv(&log->warnings, &log->nwarnings, fmt, ap);
        va_end(ap);
}

void evlog_note_startup_locality(cvm_eventlog *log, const struct cvm_event *ev) {
        static const char sig[16] = "StartupLocality";   /* includes the NUL */
        char name[CVM_REG_NAME_MAX];

        if (ev->type != CVM_EV_NO_ACTION || ev->data_len < sizeof(sig) + 1 || memcmp(ev->data, sig, sizeof(sig)) != 0)
                return;
        if (log->space == CVM_SPACE_PCR && ev->index == 0)
                log->startup_locality = ev->data[sizeof(sig)];
        else
                evlog_warn(log, "event %llu: StartupLocality on %s is ignored", (unsigned long long) ev->recnum,
                         cvm_register_name(log->space, ev->index, name));
}

int evlog_alg_size(const cvm_eventlog *log, uint16_t alg) {
        for (size_t i = 0; i < log->nalgs; i++)
                if (log->algs[i].alg == alg)
                        return log->algs[i].size;
        return -1;
}

/* Parse raw, which the log takes over (freed on failure too): a loaded file is parsed where it was read, not copied. */
static int parse_owned(uint8_t *raw, size_t len, enum cvm_log_format fmt, cvm_eventlog **ret, cvm_error *err) {
        enum cvm_log_format detected;
        cvm_eventlog *log;
        int r;

        if (len > CVM_INPUT_MAX) {
                free(raw);
                return cvm_error_set(err, EFBIG, "input of %zu bytes is larger than the %zu MiB limit",
                                     len, CVM_INPUT_MAX >> 20);
        }
        r = cvm_eventlog_detect(raw, len, fmt, &detected, NULL, 0, err);
        if (r < 0) {
                free(raw);
                return r;
        }
        log = evlog_new(detected, detected == CVM_LOG_CCEL ? CVM_SPACE_CCMR : CVM_SPACE_PCR, raw, len);
        if (!log) {
                free(raw);
                return cvm_error_set(err, ENOMEM, "out of memory");
        }

        switch (detected) {
        case CVM_LOG_TCG2:
        case CVM_LOG_CCEL:
                r = tcg2_parse(log, err);
                break;
        case CVM_LOG_TCG12:
                r = tcg12_parse(log, err);
                break;
        case CVM_LOG_IMA_ASCII:
                r = ima_ascii_parse(log, err);
                break;
        case CVM_LOG_IMA_BINARY:
                r = ima_binary_parse(log, err);
                break;
        case CVM_LOG_CEL_TLV:
                r = cel_tlv_parse(log, err);
                break;
        case CVM_LOG_CEL_JSON:
                r = cel_json_parse(log, err);
                break;
        default:
                r = cvm_error_set(err, EINVAL, "no parser for format %s", cvm_log_format_name(detected));
        }
        if (r < 0) {
                cvm_eventlog_free(log);
                return r;
        }
        *ret = log;
        return 0;
}

int cvm_eventlog_parse(const uint8_t *buf, size_t len, enum cvm_log_format fmt,
                       cvm_eventlog **ret, cvm_error *err) {
        uint8_t *raw;

        if (len > CVM_INPUT_MAX)
                return cvm_error_set(err, EFBIG, "input of %zu bytes is larger than the %zu MiB limit",
                                     len, CVM_INPUT_MAX >> 20);
        raw = malloc(len ? len : 1);
        if (!raw)
                return cvm_error_set(err, ENOMEM, "out of memory");
        if (len)
                memcpy(raw, buf, len);
        return parse_owned(raw, len, fmt, ret, err);
}

int cvm_eventlog_load(const char *path, enum cvm_log_format fmt, cvm_eventlog **ret, cvm_error *err) {
        uint8_t *buf = NULL;
        size_t len;
        int r;

        r = read_file(path, CVM_INPUT_MAX, &buf, &len, err);
        if (r < 0)
                return r;
        r = parse_owned(buf, len, fmt, ret, err);
        if (r < 0)
                return cvm_error_prefix(err, "%s: ", path);
        return 0;
}

enum cvm_log_format cvm_eventlog_format(const cvm_eventlog *log) {
        return log->format;
}

enum cvm_reg_space cvm_eventlog_space(const cvm_eventlog *log) {
        return log->space;
}

size_t cvm_eventlog_count(const cvm_eventlog *log) {
        return log->nevents;
}

const struct cvm_event *cvm_eventlog_event(const cvm_eventlog *log, size_t i) {
        return i < log->nevents ? &log->events[i] : NULL;
}

size_t cvm_eventlog_algs(const cvm_eventlog *log, const struct cvm_log_alg **ret) {
        *ret = log->algs;
        return log->nalgs;
}

int cvm_eventlog_startup_locality(const cvm_eventlog *log) {
        return log->startup_locality >= 0 ? log->startup_locality : -ENOENT;
}

size_t cvm_eventlog_warnings(const cvm_eventlog *log, const char *const **ret) {
        *ret = (const char *const *) log->warnings;
        return log->nwarnings;
}

bool cvm_eventlog_truncated(const cvm_eventlog *log) {
        return log->truncated;
}

const struct cvm_event_digest *cvm_event_digest(const struct cvm_event *ev, uint16_t alg) {
        for (uint32_t i = 0; i < ev->ndigests; i++)
                if (ev->digests[i].alg == alg)
                        return &ev->digests[i];
        return NULL;
}

bool cvm_event_is_extended(const struct cvm_event *ev) {
        if (ev->header || ev->content == CVM_CONTENT_CEL_MGT)
                return false;
        return !(ev->content == CVM_CONTENT_PCCLIENT && ev->type == CVM_EV_NO_ACTION);
}

int cvm_eventlog_new_tcg2(enum cvm_reg_space space, const struct cvm_log_alg *algs, size_t nalgs,
                          cvm_eventlog **ret, cvm_error *err) {
        cvm_eventlog *log;

        if (nalgs == 0 || nalgs > CVM_LOG_MAX_ALGS)
                return cvm_error_set(err, EINVAL, "a TCG2 log needs 1 to %d banks, not %zu", CVM_LOG_MAX_ALGS, nalgs);
        for (size_t i = 0; i < nalgs; i++) {
                if (cvm_alg_size(algs[i].alg) != algs[i].size)
                        return cvm_error_set(err, EINVAL, "bank 0x%04x: digest size %u is not the algorithm's",
                                             algs[i].alg, algs[i].size);
                for (size_t j = 0; j < i; j++)
                        if (algs[j].alg == algs[i].alg)
                                return cvm_error_set(err, EINVAL, "bank %s listed twice", cvm_alg_name(algs[i].alg));
        }
        log = evlog_new(space == CVM_SPACE_CCMR ? CVM_LOG_CCEL : CVM_LOG_TCG2, space, NULL, 0);
        if (!log)
                return cvm_error_set(err, ENOMEM, "out of memory");
        memcpy(log->algs, algs, nalgs * sizeof(*algs));
        log->nalgs = nalgs;
        *ret = log;
        return 0;
}

int cvm_eventlog_append(cvm_eventlog *log, uint32_t index, uint32_t type,
                        const struct cvm_event_digest *digests, size_t ndigests,
                        const void *data, size_t data_len, cvm_error *err) {
        struct cvm_event_digest *d;
        struct cvm_event *ev;

        if (log->format != CVM_LOG_TCG2 && log->format != CVM_LOG_CCEL)
                return cvm_error_set(err, EINVAL, "events can only be appended to a TCG2 log");
        if (ndigests == 0 || ndigests > log->nalgs)
                return cvm_error_set(err, EINVAL, "event has %zu digests, expected 1 to the log's %zu banks", ndigests, log->nalgs);
        if (data_len > UINT32_MAX)
                return cvm_error_set(err, EFBIG, "event data of %zu bytes does not fit a TCG2 record", data_len);
        for (size_t i = 0; i < ndigests; i++) {
                if (evlog_alg_size(log, digests[i].alg) != digests[i].size)
                        return cvm_error_set(err, EINVAL, "digest %zu: bank 0x%04x of size %u is not one of the log's",
                                             i, digests[i].alg, digests[i].size);
                for (size_t j = 0; j < i; j++)
                        if (digests[j].alg == digests[i].alg)
                                return cvm_error_set(err, EINVAL, "digest for %s given twice", cvm_alg_name(digests[i].alg));
        }
        d = evlog_alloc(log, ndigests * sizeof(*d));
        if (!d)
                return cvm_error_set(err, ENOMEM, "out of memory");
        for (size_t i = 0; i < ndigests; i++) {
                d[i] = digests[i];
                d[i].bytes = evlog_memdup(log, digests[i].bytes, digests[i].size);
                if (!d[i].bytes)
                        return cvm_error_set(err, ENOMEM, "out of memory");
        }
        ev = evlog_add_event(log);
        if (!ev)
                return cvm_error_set(err, ENOMEM, "out of memory");
        ev->index = index;
        ev->type = type;
        ev->digests = d;
        ev->ndigests = (uint32_t) ndigests;
        ev->data = evlog_memdup(log, data, data_len);
        ev->data_len = data_len;
        ev->offset = SIZE_MAX;
        if (!ev->data) {
                log->nevents--;
                return cvm_error_set(err, ENOMEM, "out of memory");
        }
        evlog_note_startup_locality(log, ev);
        return 0;
}
