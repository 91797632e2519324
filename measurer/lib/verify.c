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

/* What verify reads from a measurer event's data. */
struct desc {
        char *kind, *subject, *group;
        bool instance;                           /* class instance, not must_not_change: may differ per instance */
        bool secret;
};

static void desc_clear(struct desc *d) {
        free(d->kind);
        free(d->subject);
        free(d->group);
}

struct ref_event {
        uint32_t index;
        struct desc d;
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
        for (size_t i = 0; i < ref->nevents; i++)
                desc_clear(&ref->events[i].d);
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

static bool get_bool(struct json_object *j, const char *key) {
        struct json_object *v;

        return json_object_object_get_ex(j, key, &v) && json_object_is_type(v, json_type_boolean) && json_object_get_boolean(v);
}

/*
 * An event's kind, subject (the path, else the string value, else the kind),
 * group and flags from its data (the measurer's one-line JSON).  0 if it is
 * not the measurer's ({"cvm":1,...}), 1 if it is.
 */
static int describe(const char *data, size_t len, struct desc *d) {
        struct json_tokener *tok = json_tokener_new();
        struct json_object *j = tok ? json_tokener_parse_ex(tok, data, (int) len) : NULL, *v;
        const char *k = NULL, *s = NULL, *g = NULL;
        int r = 0;

        if (j && json_object_is_type(j, json_type_object) && json_object_object_get_ex(j, "cvm", &v) &&
            json_object_get_int(v) == 1 && json_object_object_get_ex(j, "kind", &v) &&
            (k = json_object_get_string(v))) {
                /* One event each, whose path says where it was read from (the build host's or the guest's): the kind names it. */
                bool single = strcmp(k, "policy") == 0 || strcmp(k, "cmdline") == 0 || strcmp(k, "separator") == 0 ||
                              strcmp(k, "late") == 0;
                if (!single && (json_object_object_get_ex(j, "path", &v) || json_object_object_get_ex(j, "value", &v)))
                        s = json_object_get_string(v);
                if (json_object_object_get_ex(j, "group", &v))
                        g = json_object_get_string(v);
                d->instance = json_object_object_get_ex(j, "class", &v) &&
                              strcmp(json_object_get_string(v), "instance") == 0 && !get_bool(j, "must_not_change");
                d->secret = get_bool(j, "secret");
                d->kind = strdup(k);
                d->subject = strdup(s ? s : k);
                d->group = strdup(g ? g : "");
                r = d->kind && d->subject && d->group ? 1 : -ENOMEM;
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
                if ((r = describe(d, strlen(d), &re->d)) <= 0)
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
        struct desc d;
        char digest[2 * CVM_DIGEST_MAX + 1];
        bool used;
        bool after_separator;                    /* extended after the measurer closed its register */
        bool instance;                           /* counted as instance state in the register's expected value */
};

static void evlog_events_free(struct log_event *le, size_t n) {
        for (size_t i = 0; le && i < n; i++)
                desc_clear(&le[i].d);
        free(le);
}

static bool separated(const struct log_event *le, size_t n, uint32_t index) {
        for (size_t i = 0; i < n; i++)
                if (le[i].ev->index == index && strcmp(le[i].d.kind, "separator") == 0)
                        return true;
        return false;
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
                if ((r = describe((const char *) ev->data, ev->data_len, &e->d)) < 0) {
                        desc_clear(&e->d);
                        evlog_events_free(le, *n);
                        return cvm_error_set(err, -r, "out of memory");
                }
                if (r == 0) {
                        (*others)++;
                        continue;
                }
                e->ev = ev;
                e->after_separator = separated(le, *n, ev->index);
                if ((d = cvm_event_digest(ev, ref->alg)))
                        cvm_hex(d->bytes, d->size, e->digest);
                (*n)++;
        }
        *ret = le;
        return 0;
}

static struct log_event *find_event(struct log_event *le, size_t n, uint32_t index, const char *subject) {
        for (size_t i = 0; i < n; i++)
                if (!le[i].used && le[i].ev->index == index && strcmp(le[i].d.subject, subject) == 0)
                        return &le[i];
        return NULL;
}

/*
 * An event the reference does not predict is instance state only where the
 * reference has the group it names as an instance group, on the same
 * register, and the measurer had not yet closed that register: the log's own
 * data cannot promote an OS event, nor a late extend, to instance state.
 */
static const struct ref_event *instance_group(const cvm_reference *ref, const struct log_event *e) {
        if (!e->d.instance || e->after_separator)
                return NULL;
        for (size_t i = 0; i < ref->nevents; i++)
                if (ref->events[i].d.instance && ref->events[i].index == e->ev->index &&
                    strcmp(ref->events[i].d.group, e->d.group) == 0)
                        return &ref->events[i];
        return NULL;
}

/* A finding about an event; a secret group's digests are withheld. */
static int event_finding(struct cvm_verify_result *res, enum cvm_finding_kind kind, const struct ref_event *re,
                         const struct log_event *e, bool secret, cvm_error *err) {
        const struct desc *d = re ? &re->d : &e->d;
        int r = add_finding(res, kind, re ? re->index : e->ev->index, d->subject, re ? re->d.kind : NULL,
                            e ? e->d.kind : NULL, re && !secret ? re->digest : NULL, e && !secret ? e->digest : NULL, err);

        if (r == 0)
                res->findings[res->nfindings - 1].secret = secret;
        return r;
}

/* Each predicted event against the log's: matched, changed, missing, or (an instance group's) instance state. */
static int match_reference(const cvm_reference *ref, struct log_event *le, size_t n, struct cvm_verify_result *res,
                           cvm_error *err) {
        int r = 0;

        for (size_t i = 0; i < ref->nevents && r == 0; i++) {
                const struct ref_event *re = &ref->events[i];
                struct log_event *e = find_event(le, n, re->index, re->d.subject);
                bool secret = re->d.secret || (e && e->d.secret);
                if (!e) {
                        r = event_finding(res, re->d.instance ? CVM_FINDING_INSTANCE : CVM_FINDING_MISSING, re, NULL, secret,
                                          err);
                        continue;
                }
                e->used = true;
                e->instance = re->d.instance;
                if (strcmp(e->d.kind, re->d.kind) == 0 && strcmp(e->digest, re->digest) == 0)
                        res->matched_events++;
                else
                        r = event_finding(res, re->d.instance ? CVM_FINDING_INSTANCE : CVM_FINDING_CHANGED, re, e, secret,
                                          err);
        }
        for (size_t i = 0; i < n && r == 0; i++) {
                const struct ref_event *g;
                if (le[i].used)
                        continue;
                g = instance_group(ref, &le[i]);
                le[i].instance = g != NULL;
                r = event_finding(res, g ? CVM_FINDING_INSTANCE : CVM_FINDING_EXTRA, NULL, &le[i],
                                  le[i].d.secret || (g && g->d.secret), err);
        }
        return r;
}

static bool has_instance_state(const struct cvm_verify_result *res, uint32_t index) {
        for (size_t i = 0; i < res->nfindings; i++)
                if (res->findings[i].kind == CVM_FINDING_INSTANCE && res->findings[i].index == index)
                        return true;
        return false;
}

/* The reference's next non-instance event on index from *k on, or NULL. */
static const struct ref_event *next_fixed(const cvm_reference *ref, uint32_t index, size_t *k) {
        for (; *k < ref->nevents; (*k)++)
                if (ref->events[*k].index == index && !ref->events[*k].d.instance)
                        return &ref->events[(*k)++];
        return NULL;
}

static int append_hex(cvm_eventlog *log, uint32_t index, uint32_t type, uint16_t alg, const char *hex, cvm_error *err) {
        uint8_t bytes[CVM_DIGEST_MAX];
        struct cvm_event_digest d = { alg, (uint16_t) cvm_alg_size(alg), bytes };

        if (cvm_unhex(hex, bytes, sizeof(bytes)) != (int) d.size)
                return cvm_error_set(err, EINVAL, "a %s digest of %u bytes was expected", cvm_alg_name(alg), d.size);
        return cvm_eventlog_append(log, index, type, &d, 1, NULL, 0, err);
}

/*
 * The events register index is expected to replay: the log's, in its order,
 * each instance event with its own digest and each other one replaced by the
 * reference's next (so an OS event can neither change nor move among them),
 * then the reference's events the log lacks.
 */
static int instance_sequence(const cvm_reference *ref, const struct log_event *le, size_t n, uint32_t index,
                             cvm_eventlog *out, cvm_error *err) {
        const struct ref_event *re;
        size_t k = 0;
        int r = 0;

        for (size_t i = 0; i < n && r == 0; i++) {
                if (le[i].ev->index != index)
                        continue;
                if (le[i].instance)
                        r = append_hex(out, index, le[i].ev->type, ref->alg, le[i].digest, err);
                else if ((re = next_fixed(ref, index, &k)))
                        r = append_hex(out, index, le[i].ev->type, ref->alg, re->digest, err);
        }
        while (r == 0 && (re = next_fixed(ref, index, &k)))
                r = append_hex(out, index, CVM_EV_IPL, ref->alg, re->digest, err);
        return r;
}

/* Replay of events (a one-bank log) into hex out; "" if they leave index unextended. */
static int replay_hex(const cvm_reference *ref, const cvm_eventlog *events, uint32_t index, char *out, cvm_error *err) {
        cvm_replay *rp = NULL;
        const struct cvm_register_value *v;
        int r;

        out[0] = 0;
        if ((r = cvm_replay_new(&ref->alg, 1, &rp, err)) == 0 && (r = cvm_replay_add_log(rp, events, err)) == 0 &&
            (v = cvm_replay_find(rp, index, ref->alg)))
                cvm_hex(v->digest, v->size, out);
        cvm_replay_free(rp);
        return r;
}

/* The value index must hold with this instance's state, recorded in res for the live check. */
static int instance_register(const cvm_reference *ref, const struct log_event *le, size_t n, uint32_t index,
                             enum cvm_reg_space space, struct cvm_verify_result *res, cvm_error *err) {
        const struct cvm_log_alg alg = { ref->alg, (uint16_t) cvm_alg_size(ref->alg) };
        struct cvm_expected_register *v = realloc(res->instance_regs, (res->ninstance_regs + 1) * sizeof(*v));
        cvm_eventlog *seq = NULL;
        int r;

        if (!v)
                return cvm_error_set(err, ENOMEM, "out of memory");
        res->instance_regs = v;
        v = &v[res->ninstance_regs];
        v->index = index;
        if ((r = cvm_eventlog_new_tcg2(space, &alg, 1, &seq, err)) == 0 &&
            (r = instance_sequence(ref, le, n, index, seq, err)) == 0 && (r = replay_hex(ref, seq, index, v->digest, err)) == 0)
                res->ninstance_regs++;
        cvm_eventlog_free(seq);
        return r;
}

/* Registers: the replay of the measurer's events alone, against the manifest's (or, with instance state, its own). */
static int compare_registers(const cvm_reference *ref, const struct log_event *le, size_t n, const cvm_eventlog *log,
                             struct cvm_verify_result *res, cvm_error *err) {
        const struct cvm_log_alg alg = { ref->alg, (uint16_t) cvm_alg_size(ref->alg) };
        cvm_eventlog *mine = NULL;
        int r;

        if ((r = cvm_eventlog_new_tcg2(cvm_eventlog_space(log), &alg, 1, &mine, err)) < 0)
                return r;
        for (size_t i = 0; i < n && r == 0; i++) {
                const struct cvm_event_digest *d = cvm_event_digest(le[i].ev, ref->alg);
                if (d)
                        r = cvm_eventlog_append(mine, le[i].ev->index, le[i].ev->type, d, 1, le[i].ev->data,
                                                le[i].ev->data_len, err);
        }
        for (size_t i = 0; i < ref->nregs && r == 0; i++) {
                char got[2 * CVM_DIGEST_MAX + 1];
                const char *want = ref->reg_digest[i];
                if (has_instance_state(res, ref->regs[i])) {
                        if ((r = instance_register(ref, le, n, ref->regs[i], cvm_eventlog_space(log), res, err)) < 0)
                                break;
                        want = res->instance_regs[res->ninstance_regs - 1].digest;
                }
                if ((r = replay_hex(ref, mine, ref->regs[i], got, err)) < 0)
                        break;
                res->registers_checked++;
                if (strcmp(got, want) != 0)
                        r = add_register_finding(res, ref->regs[i], want, got, "log", err);
        }
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
        if ((r = match_reference(ref, le, n, res, err)) == 0)
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

/* What register index must hold: the manifest's value, or the one this instance's state gives it; NULL if not predicted. */
static const char *expected_value(const cvm_reference *ref, const struct cvm_verify_result *res, uint32_t index) {
        const char *want = NULL;

        for (size_t i = 0; i < ref->nregs; i++)
                if (ref->regs[i] == index)
                        want = ref->reg_digest[i];
        for (size_t k = 0; want && k < res->ninstance_regs; k++)
                if (res->instance_regs[k].index == index)
                        return res->instance_regs[k].digest;
        return want;
}

int cvm_verify_saved_log(const cvm_reference *ref, const cvm_eventlog *log, struct cvm_verify_result *res, cvm_error *err) {
        cvm_replay *rp = NULL;
        int r;

        if ((r = cvm_replay_new(&ref->alg, 1, &rp, err)) == 0 && (r = cvm_replay_add_log(rp, log, err)) == 0)
                for (size_t i = 0; i < ref->nregs && r == 0; i++) {
                        const struct cvm_register_value *v = cvm_replay_find(rp, ref->regs[i], ref->alg);
                        const char *want = expected_value(ref, res, ref->regs[i]);
                        char got[2 * CVM_DIGEST_MAX + 1] = "";
                        if (register_found(res, ref->regs[i]))
                                continue;
                        if (v)
                                cvm_hex(v->digest, v->size, got);
                        if (strcmp(got, want) != 0)
                                r = add_register_finding(res, ref->regs[i], want, got, "log-all", err);
                }
        cvm_replay_free(rp);
        return r;
}

size_t cvm_verify_mismatches(const struct cvm_verify_result *res) {
        size_t n = 0;

        for (size_t i = 0; i < res->nfindings; i++)
                n += res->findings[i].kind != CVM_FINDING_INSTANCE;
        return n;
}

int cvm_verify_register(const cvm_reference *ref, uint32_t index, const uint8_t *live, size_t live_len,
                        const uint8_t *logs_replay, size_t logs_len, struct cvm_verify_result *res, cvm_error *err) {
        char got[2 * CVM_DIGEST_MAX + 1], want[2 * CVM_DIGEST_MAX + 1];
        const char *expected = expected_value(ref, res, index);

        if (live_len != (size_t) cvm_alg_size(ref->alg) || (logs_replay && logs_len != live_len))
                return cvm_error_set(err, EINVAL, "register %u: a %s value is %u bytes, not %zu", index,
                                     cvm_alg_name(ref->alg), cvm_alg_size(ref->alg), live_len);
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
        free(res->instance_regs);
        memset(res, 0, sizeof(*res));
}
