/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "cvm/replay.h"
#include "ima.h"
#include "internal.h"

struct cvm_replay {
        bool have_space;
        enum cvm_reg_space space;
        uint16_t banks[CVM_LOG_MAX_ALGS];   /* requested; nbanks 0 = each log's own */
        size_t nbanks;
        struct cvm_register_value *regs;    /* sorted by (index, alg) */
        size_t nregs, cap;
        size_t nevents;
        char **warnings;
        size_t nwarnings;
};

int cvm_replay_new(const uint16_t *banks, size_t nbanks, cvm_replay **ret, cvm_error *err) {
        cvm_replay *r;

        if (nbanks > CVM_LOG_MAX_ALGS)
                return cvm_error_set(err, EINVAL, "at most %d banks, not %zu", CVM_LOG_MAX_ALGS, nbanks);
        for (size_t i = 0; i < nbanks; i++)
                if (cvm_alg_size(banks[i]) < 0)
                        return cvm_error_set(err, EINVAL, "bank 0x%04x is not a known algorithm", banks[i]);
        r = calloc(1, sizeof(*r));
        if (!r)
                return cvm_error_set(err, ENOMEM, "out of memory");
        if (nbanks)
                memcpy(r->banks, banks, nbanks * sizeof(*banks));
        r->nbanks = nbanks;
        *ret = r;
        return 0;
}

void cvm_replay_free(cvm_replay *r) {
        if (!r)
                return;
        strv_free(r->warnings, r->nwarnings);
        free(r->regs);
        free(r);
}

static void replay_warn(cvm_replay *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void replay_warn(cvm_replay *r, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        strv_appendv(&r->warnings, &r->nwarnings, fmt, ap);
        va_end(ap);
}

static int cmp_key(uint32_t index, uint16_t alg, const struct cvm_register_value *v) {
        if (index != v->index)
                return index < v->index ? -1 : 1;
        return alg < v->alg ? -1 : alg > v->alg;
}

/* Binary search; *pos is where (index, alg) is or would be inserted. */
static struct cvm_register_value *lookup(const cvm_replay *r, uint32_t index, uint16_t alg, size_t *pos) {
        size_t lo = 0, hi = r->nregs;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                int c = cmp_key(index, alg, &r->regs[mid]);
                if (c == 0) {
                        if (pos)
                                *pos = mid;
                        return &r->regs[mid];
                }
                if (c < 0)
                        hi = mid;
                else
                        lo = mid + 1;
        }
        if (pos)
                *pos = lo;
        return NULL;
}

static struct cvm_register_value *get_register(cvm_replay *r, const cvm_eventlog *log, uint32_t index, uint16_t alg) {
        struct cvm_register_value *v;
        size_t pos;
        int locality;

        v = lookup(r, index, alg, &pos);
        if (v)
                return v;
        if (r->nregs == r->cap) {
                size_t cap = r->cap ? r->cap * 2 : 32;
                struct cvm_register_value *n = realloc(r->regs, cap * sizeof(*n));
                if (!n)
                        return NULL;
                r->regs = n;
                r->cap = cap;
        }
        memmove(&r->regs[pos + 1], &r->regs[pos], (r->nregs - pos) * sizeof(*r->regs));
        r->nregs++;
        v = &r->regs[pos];
        memset(v, 0, sizeof(*v));
        v->space = r->space;
        v->index = index;
        v->alg = alg;
        v->size = (uint16_t) cvm_alg_size(alg);
        memset(v->digest, cvm_register_reset_byte(r->space, index), v->size);
        /* PFP 1.05 section 10.4.5.3: PCR0 starts at the locality TPM2_Startup ran in. */
        locality = cvm_eventlog_startup_locality(log);
        if (r->space == CVM_SPACE_PCR && index == 0 && locality >= 0)
                v->digest[v->size - 1] = (uint8_t) locality;
        return v;
}

/* The digest to extend for ev in bank alg: 1 found, 0 none in this bank, <0 error. */
static int event_bank_digest(const struct cvm_event *ev, uint16_t alg, uint8_t *out, cvm_error *err) {
        const struct cvm_event_digest *d = cvm_event_digest(ev, alg);
        int size = cvm_alg_size(alg), k;

        if (ev->content == CVM_CONTENT_IMA) {
                if (ima_event_is_violation(ev)) {
                        memset(out, 0xff, (size_t) size);
                        return 1;
                }
                if (!d) {
                        if (!ev->data || !ev->template_name || strcmp(ev->template_name, "ima-tlv") == 0)
                                return 0;
                        k = ima_template_digest(ev, alg, out, err);
                        return k < 0 ? k : 1;
                }
        }
        if (!d)
                return 0;
        memcpy(out, d->bytes, (size_t) size);
        return 1;
}

int cvm_replay_add_log(cvm_replay *r, const cvm_eventlog *log, cvm_error *err) {
        uint16_t banks[CVM_LOG_MAX_ALGS];
        size_t nbanks = 0;
        char name[CVM_REG_NAME_MAX];

        if (r->have_space && r->space != log->space)
                return cvm_error_set(err, EXDEV, "cannot replay a %s log together with a %s log: register spaces differ",
                                     cvm_reg_space_name(log->space), cvm_reg_space_name(r->space));
        r->have_space = true;
        r->space = log->space;

        for (size_t i = 0; i < (r->nbanks ? r->nbanks : log->nalgs); i++) {
                uint16_t alg = r->nbanks ? r->banks[i] : log->algs[i].alg;
                if (cvm_alg_size(alg) < 0 || !cvm_alg_supported(alg)) {
                        replay_warn(r, "bank 0x%04x cannot be computed here and is not replayed", alg);
                        continue;
                }
                if (log->format != CVM_LOG_IMA_ASCII && log->format != CVM_LOG_IMA_BINARY &&
                    evlog_alg_size(log, alg) < 0) {
                        replay_warn(r, "the %s log has no %s bank", cvm_log_format_name(log->format), cvm_alg_name(alg));
                        continue;
                }
                banks[nbanks++] = alg;
        }

        for (size_t e = 0; e < log->nevents; e++) {
                const struct cvm_event *ev = &log->events[e];

                if (!cvm_event_is_extended(ev))
                        continue;
                for (size_t b = 0; b < nbanks; b++) {
                        uint8_t digest[CVM_DIGEST_MAX];
                        struct cvm_register_value *v;
                        int k = event_bank_digest(ev, banks[b], digest, err);

                        if (k < 0)
                                return cvm_error_prefix(err, "event %zu: ", e);
                        if (k == 0) {
                                replay_warn(r, "event %zu on %s has no %s digest; that bank is not extended by it",
                                            e, cvm_register_name(log->space, ev->index, name), cvm_alg_name(banks[b]));
                                continue;
                        }
                        v = get_register(r, log, ev->index, banks[b]);
                        if (!v)
                                return cvm_error_set(err, ENOMEM, "out of memory");
                        k = cvm_extend(banks[b], v->digest, digest, err);
                        if (k < 0)
                                return k;
                        v->nextends++;
                        v->last = ev;
                        v->last_log = log;
                }
                r->nevents++;
        }
        return 0;
}

size_t cvm_replay_registers(const cvm_replay *r, const struct cvm_register_value **ret) {
        *ret = r->regs;
        return r->nregs;
}

const struct cvm_register_value *cvm_replay_find(const cvm_replay *r, uint32_t index, uint16_t alg) {
        return lookup(r, index, alg, NULL);
}

size_t cvm_replay_events(const cvm_replay *r) {
        return r->nevents;
}

size_t cvm_replay_warnings(const cvm_replay *r, const char *const **ret) {
        *ret = (const char *const *) r->warnings;
        return r->nwarnings;
}

bool cvm_replay_computes(const cvm_replay *r, uint16_t alg) {
        if (r->nbanks == 0)
                return true;
        for (size_t i = 0; i < r->nbanks; i++)
                if (r->banks[i] == alg)
                        return true;
        return false;
}
