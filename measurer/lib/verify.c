/* SPDX-License-Identifier: Apache-2.0 */
/* Verify a boot's runtime events and registers against a cvm-rewrite manifest (cvm/verify.h). */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cvm/encoding.h"
#include "cvm/replay.h"
#include "cvm/verify.h"
#include "internal.h"

/* Largest manifest read: reference values of a large tree are a few MiB. */
#define MANIFEST_MAX (256u << 20)

struct ref_event {
        uint32_t index;
        char *kind, *subject;
        char digest[2 * CVM_DIGEST_MAX + 1];
};

struct cvm_reference {
        enum cvm_reg_space space;
        uint16_t alg;
        struct ref_event *events;
        size_t nevents;
        uint32_t *regs;                          /* indices, sorted */
        char (*reg_digest)[2 * CVM_DIGEST_MAX + 1];
        size_t nregs;
};

void cvm_reference_free(cvm_reference *ref) {
        if (!ref)
                return;
        for (size_t i = 0; i < ref->nevents; i++) {
                free(ref->events[i].kind);
                free(ref->events[i].subject);
        }
        free(ref->events);
        free(ref->regs);
        free(ref->reg_digest);
        free(ref);
}

uint16_t cvm_reference_alg(const cvm_reference *ref) {
        return ref->alg;
}

size_t cvm_reference_registers(const cvm_reference *ref, const uint32_t **ret) {
        *ret = ref->regs;
        return ref->nregs;
}

/*
 * An event's kind and subject from its data (the measurer's one-line JSON):
 * the path, else the string value, else the kind.  0 if it is not the
 * measurer's ({"cvm":1,...}), 1 if it is.
 */
static int describe(const char *data, size_t len, char **kind, char **subject) {
        struct json_tokener *tok = json_tokener_new();
        struct json_object *j = tok ? json_tokener_parse_ex(tok, data, (int) len) : NULL, *v;
        const char *k = NULL, *s = NULL;
        int r = 0;

        if (j && json_object_is_type(j, json_type_object) && json_object_object_get_ex(j, "cvm", &v) &&
            json_object_get_int(v) == 1 && json_object_object_get_ex(j, "kind", &v) &&
            (k = json_object_get_string(v))) {
                /* One event each, whose path says where it was read from (the build host's or the guest's): the kind names it. */
                bool single = strcmp(k, "policy") == 0 || strcmp(k, "cmdline") == 0 || strcmp(k, "separator") == 0 ||
                              strcmp(k, "late") == 0;
                if (!single && (json_object_object_get_ex(j, "path", &v) || json_object_object_get_ex(j, "value", &v)))
                        s = json_object_get_string(v);
                *kind = strdup(k);
                *subject = strdup(s ? s : k);
                r = *kind && *subject ? 1 : -ENOMEM;
        }
        json_object_put(j);
        if (tok)
                json_tokener_free(tok);
        return tok ? r : -ENOMEM;
}

static int parse_events(cvm_reference *ref, struct json_object *events, const char *file, cvm_error *err) {
        const char *alg = cvm_alg_name(ref->alg);
        size_t n = json_object_array_length(events);

        if (!(ref->events = calloc(n ? n : 1, sizeof(*ref->events))))
                return cvm_error_set(err, ENOMEM, "out of memory");
        for (size_t i = 0; i < n; i++) {
                struct json_object *e = json_object_array_get_idx(events, i), *index, *data, *digest;
                struct ref_event *re = &ref->events[ref->nevents];
                const char *d, *hex;
                int r;

                if (!json_object_object_get_ex(e, "index", &index) || !json_object_object_get_ex(e, "data", &data) ||
                    !json_object_object_get_ex(e, alg, &digest) || !(d = json_object_get_string(data)) ||
                    !(hex = json_object_get_string(digest)) || strlen(hex) != 2u * cvm_alg_size(ref->alg) ||
                    strspn(hex, "0123456789abcdef") != strlen(hex))
                        return cvm_error_set(err, EINVAL, "%s: reference event %zu: expected index, data and a %s digest of %u bytes in hex",
                                             file, i, alg, cvm_alg_size(ref->alg));
                if ((r = describe(d, strlen(d), &re->kind, &re->subject)) <= 0)
                        return cvm_error_set(err, r < 0 ? -r : EINVAL, "%s: reference event %zu: data is not a measurer event",
                                             file, i);
                re->index = (uint32_t) json_object_get_int64(index);
                memcpy(re->digest, hex, strlen(hex) + 1);
                ref->nevents++;
        }
        return 0;
}

static int parse_registers(cvm_reference *ref, struct json_object *regs, const char *file, cvm_error *err) {
        size_t n = json_object_array_length(regs);

        if (!(ref->regs = calloc(n ? n : 1, sizeof(*ref->regs))) ||
            !(ref->reg_digest = calloc(n ? n : 1, sizeof(*ref->reg_digest))))
                return cvm_error_set(err, ENOMEM, "out of memory");
        for (size_t i = 0; i < n; i++) {
                struct json_object *r = json_object_array_get_idx(regs, i), *index, *alg, *digest;
                const char *hex;

                if (!json_object_object_get_ex(r, "index", &index) || !json_object_object_get_ex(r, "alg", &alg) ||
                    !json_object_object_get_ex(r, "digest", &digest) || !(hex = json_object_get_string(digest)))
                        return cvm_error_set(err, EINVAL, "%s: reference register %zu: expected index, alg and digest", file, i);
                if (strcmp(json_object_get_string(alg), cvm_alg_name(ref->alg)) != 0)
                        continue;
                if (strlen(hex) != 2u * cvm_alg_size(ref->alg))
                        return cvm_error_set(err, EINVAL, "%s: reference register %zu: a %s digest is %u bytes", file, i,
                                             cvm_alg_name(ref->alg), cvm_alg_size(ref->alg));
                ref->regs[ref->nregs] = (uint32_t) json_object_get_int64(index);
                memcpy(ref->reg_digest[ref->nregs], hex, strlen(hex) + 1);
                ref->nregs++;
        }
        return 0;
}

int cvm_reference_parse(const uint8_t *buf, size_t len, const char *name, enum cvm_reg_space space, cvm_reference **ret,
                        cvm_error *err) {
        struct json_tokener *tok;
        struct json_object *top = NULL, *rv, *measurer, *sp, *events, *regs;
        cvm_reference *ref = NULL;
        int r = 0;

        if (len > MANIFEST_MAX)
                return cvm_error_set(err, EFBIG, "%s: larger than %u bytes", name, MANIFEST_MAX);
        if (!(tok = json_tokener_new()))
                return cvm_error_set(err, ENOMEM, "out of memory");
        top = json_tokener_parse_ex(tok, (const char *) buf, (int) len);
        if (!top || json_tokener_get_parse_end(tok) != len)
                r = cvm_error_set(err, EINVAL, "%s: not JSON (offset %zu: %s)", name, json_tokener_get_parse_end(tok),
                                  top ? "trailing bytes" : json_tokener_error_desc(json_tokener_get_error(tok)));
        json_tokener_free(tok);
        if (r < 0)
                goto out;
        if (!json_object_is_type(top, json_type_object) || !json_object_object_get_ex(top, "reference_values", &rv)) {
                r = cvm_error_set(err, EINVAL, "%s: no reference_values: not a cvm-rewrite manifest", name);
                goto out;
        }
        if (!json_object_object_get_ex(rv, "measurer", &measurer) || !json_object_get_boolean(measurer)) {
                r = cvm_error_set(err, EINVAL, "%s: the image has no measurer policy, so the manifest predicts no events", name);
                goto out;
        }
        if (!json_object_object_get_ex(rv, space == CVM_SPACE_CCMR ? "tdx" : "tpm", &sp) ||
            !json_object_object_get_ex(sp, "events", &events) || !json_object_is_type(events, json_type_array) ||
            !json_object_object_get_ex(sp, "registers", &regs) || !json_object_is_type(regs, json_type_array)) {
                r = cvm_error_set(err, EINVAL, "%s: reference_values.%s: expected events and registers arrays", name,
                                  space == CVM_SPACE_CCMR ? "tdx" : "tpm");
                goto out;
        }
        if (!(ref = calloc(1, sizeof(*ref)))) {
                r = cvm_error_set(err, ENOMEM, "out of memory");
                goto out;
        }
        ref->space = space;
        ref->alg = space == CVM_SPACE_CCMR ? CVM_ALG_SHA384 : CVM_ALG_SHA256;
        if ((r = parse_events(ref, events, name, err)) < 0 || (r = parse_registers(ref, regs, name, err)) < 0)
                goto out;
        *ret = ref;
        ref = NULL;
out:
        cvm_reference_free(ref);
        json_object_put(top);
        return r;
}

int cvm_reference_load(const char *path, enum cvm_reg_space space, cvm_reference **ret, cvm_error *err) {
        uint8_t *buf = NULL;
        size_t len;
        int r;

        if ((r = read_file(path, MANIFEST_MAX, &buf, &len, err)) < 0)
                return r;
        r = cvm_reference_parse(buf, len, path, space, ret, err);
        free(buf);
        return r;
}

static int add_finding(struct cvm_verify_result *res, enum cvm_finding_kind kind, uint32_t index, const char *subject,
                       const char *expected_kind, const char *got_kind, const char *expected, const char *got,
                       cvm_error *err) {
        struct cvm_finding *n = realloc(res->findings, (res->nfindings + 1) * sizeof(*n)), *f;

        if (!n)
                return cvm_error_set(err, ENOMEM, "out of memory");
        res->findings = n;
        f = memset(&n[res->nfindings], 0, sizeof(*f));
        f->kind = kind;
        f->index = index;
        f->subject = subject ? strdup(subject) : NULL;
        f->expected_kind = expected_kind ? strdup(expected_kind) : NULL;
        f->got_kind = got_kind ? strdup(got_kind) : NULL;
        snprintf(f->expected, sizeof(f->expected), "%s", expected ? expected : "");
        snprintf(f->got, sizeof(f->got), "%s", got ? got : "");
        res->nfindings++;
        if ((subject && !f->subject) || (expected_kind && !f->expected_kind) || (got_kind && !f->got_kind))
                return cvm_error_set(err, ENOMEM, "out of memory");
        return 0;
}

/* A register finding: expected and got values, and what the live or replayed value was compared against. */
static int add_register_finding(struct cvm_verify_result *res, uint32_t index, const char *expected, const char *got,
                                const char *basis, cvm_error *err) {
        int r = add_finding(res, CVM_FINDING_REGISTER, index, NULL, NULL, NULL, expected, got, err);

        if (r == 0)
                res->findings[res->nfindings - 1].basis = basis;
        return r;
}

struct log_event {
        const struct cvm_event *ev;
        char *kind, *subject;
        char digest[2 * CVM_DIGEST_MAX + 1];
        bool used;
};

static void log_events_free(struct log_event *le, size_t n) {
        for (size_t i = 0; le && i < n; i++) {
                free(le[i].kind);
                free(le[i].subject);
        }
        free(le);
}

/* The measurer's events of log, described; the other writers' are counted. */
static int collect(const cvm_reference *ref, const cvm_eventlog *log, struct log_event **ret, size_t *n,
                   size_t *others, cvm_error *err) {
        size_t count = cvm_eventlog_count(log);
        struct log_event *le = calloc(count ? count : 1, sizeof(*le));
        int r;

        if (!le)
                return cvm_error_set(err, ENOMEM, "out of memory");
        *n = *others = 0;
        for (size_t i = 0; i < count; i++) {
                const struct cvm_event *ev = cvm_eventlog_event(log, i);
                const struct cvm_event_digest *d;
                struct log_event *e = &le[*n];

                if (ev->header || !cvm_event_is_extended(ev))
                        continue;
                if ((r = describe((const char *) ev->data, ev->data_len, &e->kind, &e->subject)) < 0) {
                        log_events_free(le, *n);
                        return cvm_error_set(err, -r, "out of memory");
                }
                if (r == 0) {
                        (*others)++;
                        continue;
                }
                e->ev = ev;
                if ((d = cvm_event_digest(ev, ref->alg)))
                        cvm_hex(d->bytes, d->size, e->digest);
                (*n)++;
        }
        *ret = le;
        return 0;
}

static struct log_event *find_event(struct log_event *le, size_t n, uint32_t index, const char *subject) {
        for (size_t i = 0; i < n; i++)
                if (!le[i].used && le[i].ev->index == index && strcmp(le[i].subject, subject) == 0)
                        return &le[i];
        return NULL;
}

/* Registers: the replay of the measurer's events alone, against the manifest's. */
static int compare_registers(const cvm_reference *ref, const struct log_event *le, size_t n, const cvm_eventlog *log,
                             struct cvm_verify_result *res, cvm_error *err) {
        const struct cvm_log_alg alg = { ref->alg, (uint16_t) cvm_alg_size(ref->alg) };
        cvm_eventlog *mine = NULL;
        cvm_replay *rp = NULL;
        int r;

        if ((r = cvm_eventlog_new_tcg2(cvm_eventlog_space(log), &alg, 1, &mine, err)) < 0)
                return r;
        for (size_t i = 0; i < n && r == 0; i++) {
                const struct cvm_event_digest *d = cvm_event_digest(le[i].ev, ref->alg);
                if (d)
                        r = cvm_eventlog_append(mine, le[i].ev->index, le[i].ev->type, d, 1, le[i].ev->data,
                                                le[i].ev->data_len, err);
        }
        if (r == 0 && (r = cvm_replay_new(&ref->alg, 1, &rp, err)) == 0 && (r = cvm_replay_add_log(rp, mine, err)) == 0)
                for (size_t i = 0; i < ref->nregs && r == 0; i++) {
                        const struct cvm_register_value *v = cvm_replay_find(rp, ref->regs[i], ref->alg);
                        char got[2 * CVM_DIGEST_MAX + 1] = "";
                        if (v)
                                cvm_hex(v->digest, v->size, got);
                        res->registers_checked++;
                        if (strcmp(got, ref->reg_digest[i]) != 0)
                                r = add_register_finding(res, ref->regs[i], ref->reg_digest[i], got, "log", err);
                }
        cvm_replay_free(rp);
        cvm_eventlog_free(mine);
        return r;
}

int cvm_verify_log(const cvm_reference *ref, const cvm_eventlog *log, struct cvm_verify_result *res, cvm_error *err) {
        struct log_event *le = NULL;
        size_t n = 0;
        int r;

        if (cvm_eventlog_space(log) != ref->space)
                return cvm_error_set(err, EXDEV, "the log records %s registers, the reference %s ones",
                                     cvm_eventlog_space(log) == CVM_SPACE_CCMR ? "TDX" : "TPM",
                                     ref->space == CVM_SPACE_CCMR ? "TDX" : "TPM");
        if ((r = collect(ref, log, &le, &n, &res->other_events, err)) < 0)
                return r;
        res->expected_events = ref->nevents;
        for (size_t i = 0; i < ref->nevents && r == 0; i++) {
                const struct ref_event *re = &ref->events[i];
                struct log_event *e = find_event(le, n, re->index, re->subject);
                if (!e) {
                        r = add_finding(res, CVM_FINDING_MISSING, re->index, re->subject, re->kind, NULL, re->digest, NULL, err);
                        continue;
                }
                e->used = true;
                if (strcmp(e->kind, re->kind) == 0 && strcmp(e->digest, re->digest) == 0)
                        res->matched_events++;
                else
                        r = add_finding(res, CVM_FINDING_CHANGED, re->index, re->subject, re->kind, e->kind, re->digest,
                                        e->digest, err);
        }
        for (size_t i = 0; i < n && r == 0; i++)
                if (!le[i].used)
                        r = add_finding(res, CVM_FINDING_EXTRA, le[i].ev->index, le[i].subject, NULL, le[i].kind, NULL,
                                        le[i].digest, err);
        if (r == 0)
                r = compare_registers(ref, le, n, log, res, err);
        log_events_free(le, n);
        return r;
}

int cvm_verify_register(const cvm_reference *ref, uint32_t index, const uint8_t *live, size_t live_len,
                        const uint8_t *logs_replay, size_t logs_len, struct cvm_verify_result *res, cvm_error *err) {
        char got[2 * CVM_DIGEST_MAX + 1], want[2 * CVM_DIGEST_MAX + 1];
        const char *expected = NULL;

        if (live_len != (size_t) cvm_alg_size(ref->alg) || (logs_replay && logs_len != live_len))
                return cvm_error_set(err, EINVAL, "register %u: a %s value is %u bytes, not %zu", index,
                                     cvm_alg_name(ref->alg), cvm_alg_size(ref->alg), live_len);
        for (size_t i = 0; i < ref->nregs; i++)
                if (ref->regs[i] == index)
                        expected = ref->reg_digest[i];
        if (!expected)
                return cvm_error_set(err, ENOENT, "register %u: the reference does not predict it", index);
        if (logs_replay)
                expected = cvm_hex(logs_replay, logs_len, want);
        cvm_hex(live, live_len, got);
        res->registers_checked++;
        if (strcmp(got, expected) == 0)
                return 0;
        return add_register_finding(res, index, expected, got, logs_replay ? "live-vs-logs" : "live", err);
}

void cvm_verify_result_clear(struct cvm_verify_result *res) {
        for (size_t i = 0; i < res->nfindings; i++) {
                free(res->findings[i].subject);
                free(res->findings[i].expected_kind);
                free(res->findings[i].got_kind);
        }
        free(res->findings);
        memset(res, 0, sizeof(*res));
}
