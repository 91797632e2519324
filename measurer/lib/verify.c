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

/*
 * Schema checks: every field the verifier reads is checked for its JSON type
 * and range before it is used (json-c would coerce null, "three" or 1e300 into
 * something), and a bad one is named by its JSON path.
 */
static int bad_field(cvm_error *err, const char *file, const char *path, const char *key, const char *want, bool present,
                     struct json_object *got) {
        return cvm_error_set(err, EINVAL, "%s: %s%s%s: expected %s, got %s", file, path, key ? "." : "", key ? key : "", want,
                             present ? json_type_to_name(json_object_get_type(got)) : "nothing (missing)");
}

/* Member key of o, of type t; else an error naming path.key. */
static int member(struct json_object *o, const char *key, enum json_type t, const char *want, const char *file,
                  const char *path, struct json_object **ret, cvm_error *err) {
        struct json_object *v = NULL;

        bool present = json_object_object_get_ex(o, key, &v);

        if (!present || !json_object_is_type(v, t))
                return bad_field(err, file, path, key, want, present, v);
        *ret = v;
        return 0;
}

/* A register index: an integer below the space's register count. */
static int index_field(struct json_object *o, enum cvm_reg_space space, const char *file, const char *path, uint32_t *ret,
                       cvm_error *err) {
        uint32_t count = space == CVM_SPACE_CCMR ? CVM_CCMR_MAX : CVM_PCR_MAX;
        struct json_object *v;
        int64_t i;
        char want[64];

        snprintf(want, sizeof(want), "an integer from 0 to %u", count - 1);
        if (member(o, "index", json_type_int, want, file, path, &v, err) < 0)
                return -EINVAL;
        errno = 0;
        i = json_object_get_int64(v);
        if (errno || i < 0 || i >= count)
                return cvm_error_set(err, EINVAL, "%s: %s.index: expected %s, got %s", file, path, want,
                                     json_object_to_json_string(v));
        *ret = (uint32_t) i;
        return 0;
}

/* A digest of alg as hex (either case) into out, lower-cased so it compares with the log's. */
static int digest_field(struct json_object *o, const char *key, uint16_t alg, const char *file, const char *path, char *out,
                        cvm_error *err) {
        struct json_object *v;
        const char *hex;
        size_t want = 2u * (size_t) cvm_alg_size(alg);
        char what[96];

        snprintf(what, sizeof(what), "a %s digest (%zu hex digits)", cvm_alg_name(alg), want);
        if (member(o, key, json_type_string, what, file, path, &v, err) < 0)
                return -EINVAL;
        hex = json_object_get_string(v);
        if (strlen(hex) != want || strspn(hex, "0123456789abcdefABCDEF") != want)
                return cvm_error_set(err, EINVAL, "%s: %s.%s: expected %s, got \"%.*s\"%s", file, path, key, what, 32, hex,
                                     strlen(hex) > 32 ? "..." : "");
        for (size_t i = 0; i <= want; i++)
                out[i] = (char) (hex[i] >= 'A' && hex[i] <= 'F' ? hex[i] - 'A' + 'a' : hex[i]);
        return 0;
}

static int parse_events(cvm_reference *ref, struct json_object *events, const char *file, const char *sp, cvm_error *err) {
        const char *alg = cvm_alg_name(ref->alg);
        size_t n = json_object_array_length(events);

        if (!(ref->events = calloc(n ? n : 1, sizeof(*ref->events))))
                return cvm_error_set(err, ENOMEM, "out of memory");
        for (size_t i = 0; i < n; i++) {
                struct json_object *e = json_object_array_get_idx(events, i), *data;
                struct ref_event *re = &ref->events[ref->nevents];
                char path[64];
                const char *d;
                int r;

                snprintf(path, sizeof(path), "reference_values.%s.events[%zu]", sp, i);
                if (!json_object_is_type(e, json_type_object))
                        return bad_field(err, file, path, NULL, "an object", true, e);
                if (index_field(e, ref->space, file, path, &re->index, err) < 0 ||
                    member(e, "data", json_type_string, "a string", file, path, &data, err) < 0 ||
                    digest_field(e, alg, ref->alg, file, path, re->digest, err) < 0)
                        return -EINVAL;
                d = json_object_get_string(data);
                if ((r = describe(d, strlen(d), &re->kind, &re->subject)) <= 0)
                        return cvm_error_set(err, r < 0 ? -r : EINVAL, "%s: %s.data: expected a measurer event ({\"cvm\":1,...})",
                                             file, path);
                ref->nevents++;
        }
        return 0;
}

static int parse_registers(cvm_reference *ref, struct json_object *regs, const char *file, const char *sp, cvm_error *err) {
        size_t n = json_object_array_length(regs);

        if (!(ref->regs = calloc(n ? n : 1, sizeof(*ref->regs))) ||
            !(ref->reg_digest = calloc(n ? n : 1, sizeof(*ref->reg_digest))))
                return cvm_error_set(err, ENOMEM, "out of memory");
        for (size_t i = 0; i < n; i++) {
                struct json_object *r = json_object_array_get_idx(regs, i), *alg;
                char path[64], digest[2 * CVM_DIGEST_MAX + 1];
                uint32_t index;
                uint16_t id;

                snprintf(path, sizeof(path), "reference_values.%s.registers[%zu]", sp, i);
                if (!json_object_is_type(r, json_type_object))
                        return bad_field(err, file, path, NULL, "an object", true, r);
                if (index_field(r, ref->space, file, path, &index, err) < 0 ||
                    member(r, "alg", json_type_string, "an algorithm name (sha256, sha384, ...)", file, path, &alg, err) < 0)
                        return -EINVAL;
                if (cvm_alg_from_name(json_object_get_string(alg), &id) < 0 || cvm_alg_size(id) <= 0)
                        return cvm_error_set(err, EINVAL, "%s: %s.alg: expected an algorithm name (sha256, sha384, ...), got \"%.32s\"",
                                             file, path, json_object_get_string(alg));
                if (digest_field(r, "digest", id, file, path, digest, err) < 0)
                        return -EINVAL;
                if (id != ref->alg)
                        continue;   /* another bank's value: checked, not compared */
                ref->regs[ref->nregs] = index;
                memcpy(ref->reg_digest[ref->nregs], digest, sizeof(digest));
                ref->nregs++;
        }
        return 0;
}

int cvm_reference_parse(const uint8_t *buf, size_t len, const char *name, enum cvm_reg_space space, cvm_reference **ret,
                        cvm_error *err) {
        struct json_tokener *tok;
        struct json_object *top = NULL, *rv, *measurer, *sp, *events, *regs;
        const char *spn = space == CVM_SPACE_CCMR ? "tdx" : "tpm";
        cvm_reference *ref = NULL;
        char path[32];
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
        if (!json_object_is_type(rv, json_type_object)) {
                r = bad_field(err, name, "reference_values", NULL, "an object", true, rv);
                goto out;
        }
        if ((r = member(rv, "measurer", json_type_boolean, "true or false", name, "reference_values", &measurer, err)) < 0)
                goto out;
        if (!json_object_get_boolean(measurer)) {
                r = cvm_error_set(err, EINVAL, "%s: the image has no measurer policy, so the manifest predicts no events", name);
                goto out;
        }
        snprintf(path, sizeof(path), "reference_values.%s", spn);
        if ((r = member(rv, spn, json_type_object, "an object with events and registers arrays", name, "reference_values", &sp,
                        err)) < 0 ||
            (r = member(sp, "events", json_type_array, "an array", name, path, &events, err)) < 0 ||
            (r = member(sp, "registers", json_type_array, "an array", name, path, &regs, err)) < 0)
                goto out;
        if (!(ref = calloc(1, sizeof(*ref)))) {
                r = cvm_error_set(err, ENOMEM, "out of memory");
                goto out;
        }
        ref->space = space;
        ref->alg = space == CVM_SPACE_CCMR ? CVM_ALG_SHA384 : CVM_ALG_SHA256;
        if ((r = parse_events(ref, events, name, spn, err)) < 0 || (r = parse_registers(ref, regs, name, spn, err)) < 0)
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

static void evlog_events_free(struct log_event *le, size_t n) {
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
                        evlog_events_free(le, *n);
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
        /* A cut in another writer's record would otherwise pass unseen: a truncated log is bad input, as everywhere. */
        if (cvm_eventlog_truncated(log)) {
                const char *const *w;
                size_t nw = cvm_eventlog_warnings(log, &w);
                return cvm_error_set(err, EBADMSG, "the log is truncated (%s), so it cannot be verified",
                                     nw ? w[nw - 1] : "its last record is cut");
        }
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
        evlog_events_free(le, n);
        return r;
}

/* Whether res already holds a register finding for index (the measurer's own events moved it). */
static bool register_found(const struct cvm_verify_result *res, uint32_t index) {
        for (size_t i = 0; i < res->nfindings; i++)
                if (res->findings[i].kind == CVM_FINDING_REGISTER && res->findings[i].index == index)
                        return true;
        return false;
}

int cvm_verify_saved_log(const cvm_reference *ref, const cvm_eventlog *log, struct cvm_verify_result *res, cvm_error *err) {
        cvm_replay *rp = NULL;
        int r;

        if ((r = cvm_replay_new(&ref->alg, 1, &rp, err)) == 0 && (r = cvm_replay_add_log(rp, log, err)) == 0)
                for (size_t i = 0; i < ref->nregs && r == 0; i++) {
                        const struct cvm_register_value *v = cvm_replay_find(rp, ref->regs[i], ref->alg);
                        char got[2 * CVM_DIGEST_MAX + 1] = "";
                        if (register_found(res, ref->regs[i]))
                                continue;
                        if (v)
                                cvm_hex(v->digest, v->size, got);
                        if (strcmp(got, ref->reg_digest[i]) != 0)
                                r = add_register_finding(res, ref->regs[i], ref->reg_digest[i], got, "log-all", err);
                }
        cvm_replay_free(rp);
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
