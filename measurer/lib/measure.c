/* SPDX-License-Identifier: Apache-2.0 */
/* cvm_measure_compute: a policy over a root tree into events, in the one fixed order. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "measure_internal.h"

struct builder {
        const struct cvm_measure_options *o;
        struct cvm_measurement *m;
        size_t cap;
        cvm_error *err;
};

static void add_str(struct json_object *j, const char *k, const char *v) {
        json_object_object_add(j, k, json_object_new_string(v));
}

static struct json_object *describe(const char *kind, const struct cvm_policy_group *g, const char *path) {
        struct json_object *j = json_object_new_object();

        json_object_object_add(j, "cvm", json_object_new_int(1));
        add_str(j, "kind", kind);
        if (g) {
                add_str(j, "group", g->name);
                add_str(j, "class", cvm_measure_class_name(g->class));
                /* Only when set, so the events of policies without them stay as they were. */
                if (g->must_not_change)
                        json_object_object_add(j, "must_not_change", json_object_new_boolean(1));
                if (g->secret)
                        json_object_object_add(j, "secret", json_object_new_boolean(1));
        }
        if (path)
                add_str(j, "path", path);
        return j;
}

static void add_stat(struct json_object *j, uint64_t size, mode_t mode) {
        char m[8];

        json_object_object_add(j, "size", json_object_new_uint64(size));
        snprintf(m, sizeof(m), "%04o", (unsigned) (mode & 07777));
        add_str(j, "mode", m);
}

/*
 * Append an event described by j (consumed).  content/len: what the digests
 * cover (NULL: the event data itself); digests: precomputed per bank instead.
 */
static int emit(struct builder *b, uint32_t index, uint32_t type, const char *kind, const char *item,
                const struct cvm_policy_group *g, struct json_object *j, const void *content, size_t len,
                const uint8_t (*digests)[CVM_DIGEST_MAX]) {
        struct cvm_measurement *m = b->m;
        struct cvm_measure_event *ev;
        const char *s;
        int r = 0;

        if (!j)
                return cvm_error_set(b->err, ENOMEM, "out of memory");
        if (m->nevents == b->cap) {
                size_t cap = b->cap ? b->cap * 2 : 64;
                struct cvm_measure_event *v = realloc(m->events, cap * sizeof(*v));
                if (!v) {
                        json_object_put(j);
                        return cvm_error_set(b->err, ENOMEM, "out of memory");
                }
                m->events = v;
                b->cap = cap;
        }
        ev = &m->events[m->nevents];
        memset(ev, 0, sizeof(*ev));
        s = json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
        ev->data = s ? strdup(s) : NULL;
        ev->item = strdup(item);
        json_object_put(j);
        if (!ev->data || !ev->item) {
                free(ev->data);
                free(ev->item);
                return cvm_error_set(b->err, ENOMEM, "out of memory");
        }
        ev->index = index;
        ev->type = type;
        ev->kind = kind;
        ev->group = g;
        ev->ndigests = b->o->nbanks;
        for (size_t i = 0; i < b->o->nbanks && r >= 0; i++) {
                uint16_t alg = b->o->banks[i];
                ev->digests[i] = (struct cvm_event_digest) { alg, (uint16_t) cvm_alg_size(alg), ev->bytes[i] };
                if (digests)
                        memcpy(ev->bytes[i], digests[i], (size_t) cvm_alg_size(alg));
                else
                        r = cvm_digest(alg, content ? content : ev->data, content ? len : strlen(ev->data), ev->bytes[i], b->err);
        }
        m->nevents++;
        return r;
}

static void note_error(struct builder *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note_error(struct builder *b, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        strv_appendv(&b->m->errors, &b->m->nerrors, fmt, ap);
        va_end(ap);
}

/* A failed item: halt stops everything, continue records an error event. */
static int item_failed(struct builder *b, uint32_t index, const struct cvm_policy_group *g, const char *path, const char *reason) {
        struct json_object *j;

        if (g->on_error == CVM_ON_ERROR_HALT)
                return cvm_error_set(b->err, ECANCELED, "group '%s' (on_error: halt): %s: %s", g->name, path, reason);
        note_error(b, "group '%s': %s: %s", g->name, path, reason);
        j = describe("error", g, path);
        add_str(j, "reason", reason);
        return emit(b, index, CVM_EV_IPL, "error", path, g, j, NULL, 0, NULL);
}

static int missing(struct builder *b, uint32_t index, const struct cvm_policy_group *g, const char *path) {
        switch (g->on_missing) {
        case CVM_ON_MISSING_IGNORE:
                return 0;
        case CVM_ON_MISSING_ERROR:
                return item_failed(b, index, g, path, "missing");
        default:
                return emit(b, index, CVM_EV_IPL, "missing", path, g, describe("missing", g, path), NULL, 0, NULL);
        }
}

static int entry_event(struct builder *b, const struct entry *e) {
        uint32_t index = cvm_policy_group_register(e->group, b->o->space);
        struct json_object *j;

        switch (e->kind) {
        case ENTRY_FILE:
                b->m->files++;
                b->m->bytes += e->size;
                j = describe("file", e->group, e->path);
                add_stat(j, e->size, e->mode);
                return emit(b, index, CVM_EV_IPL, "file", e->path, e->group, j, NULL, 0, e->digests);
        case ENTRY_SYMLINK:
                j = describe("symlink", e->group, e->path);
                add_str(j, "target", e->target);
                return emit(b, index, CVM_EV_IPL, "symlink", e->path, e->group, j, e->target, strlen(e->target), NULL);
        case ENTRY_SKIPPED:
                j = describe("skipped", e->group, e->path);
                add_str(j, "type", e->type);
                add_stat(j, 0, e->mode);
                return emit(b, index, CVM_EV_IPL, "skipped", e->path, e->group, j, NULL, 0, NULL);
        case ENTRY_MISSING:
                return missing(b, index, e->group, e->path);
        case ENTRY_ERROR:
                return item_failed(b, index, e->group, e->path, e->reason ? e->reason : "error");
        }
        return 0;
}

static int cmdline_event(struct builder *b, const struct cvm_policy_group *g) {
        uint32_t index = cvm_policy_group_register(g, b->o->space);
        char path[4096];
        uint8_t *buf = NULL;
        size_t len;
        struct json_object *j;
        cvm_error e = { 0 };
        int r;

        snprintf(path, sizeof(path), "%s/cmdline", b->o->proc ? b->o->proc : "/proc");
        r = read_file(path, 1u << 20, &buf, &len, &e);
        if (r == -ENOENT)
                return missing(b, index, g, path);
        if (r < 0)
                return item_failed(b, index, g, path, e.msg);
        j = describe("cmdline", g, path);
        json_object_object_add(j, "size", json_object_new_uint64(len));
        r = emit(b, index, CVM_EV_IPL, "cmdline", "cmdline", g, j, buf, len, NULL);
        free(buf);
        return r;
}

static int string_event(struct builder *b, const struct cvm_policy_group *g, const char *value) {
        struct json_object *j = describe("string", g, NULL);

        add_str(j, "value", value);
        return emit(b, cvm_policy_group_register(g, b->o->space), CVM_EV_IPL, "string", value, g, j, value, strlen(value), NULL);
}

/* The registers the policy extends, in order of first use; the policy event goes to the first os group's. */
static size_t registers_used(const struct cvm_policy *p, enum cvm_reg_space space, uint32_t *regs) {
        size_t n = 0;

        for (size_t i = 0; i < p->ngroups; i++) {
                uint32_t r = cvm_policy_group_register(&p->groups[i], space);
                bool seen = false;
                for (size_t k = 0; k < n; k++)
                        seen |= regs[k] == r;
                if (!seen)
                        regs[n++] = r;
        }
        return n;
}

static int policy_index(const struct cvm_policy *p, enum cvm_reg_space space) {
        for (size_t i = 0; i < p->ngroups; i++)
                if (p->groups[i].class == CVM_CLASS_OS)
                        return (int) cvm_policy_group_register(&p->groups[i], space);
        return (int) cvm_policy_group_register(&p->groups[0], space);
}

static int build(struct builder *b, const struct cvm_policy *p, int rootfd, struct entries *es) {
        _cleanup_(hash_pool_endp) struct hash_pool *pool = NULL;
        uint32_t regs[64];
        size_t nregs, nitems = 0, k = 0;
        _cleanup_free_ size_t *ends = NULL;
        struct json_object *j;
        int r;

        /* Every item walked first (one job list for the hashing pool), then events in policy order as files are hashed. */
        for (size_t g = 0; g < p->ngroups; g++)
                nitems += p->groups[g].nitems;
        if (!(ends = calloc(nitems + 1, sizeof(*ends))))
                return cvm_error_set(b->err, ENOMEM, "out of memory");
        for (size_t g = 0; g < p->ngroups; g++)
                for (size_t i = 0; i < p->groups[g].nitems; i++) {
                        if ((r = walk_item(rootfd, &p->groups[g].items[i], &p->groups[g], es, b->err)) < 0)
                                return r;
                        ends[k++] = es->n;
                }
        if ((r = hash_pool_start(rootfd, es, b->o->banks, b->o->nbanks, b->o->threads, &pool, b->err)) < 0)
                return r;

        j = describe("policy", NULL, p->path);
        json_object_object_add(j, "size", json_object_new_uint64(p->raw_len));
        if ((r = emit(b, (uint32_t) policy_index(p, b->o->space), CVM_EV_IPL, "policy", "policy", NULL, j, p->raw, p->raw_len, NULL)) < 0)
                return r;
        if (b->o->late) {
                j = describe("late", NULL, NULL);
                add_str(j, "reason", "measured after switch_root by the fallback unit: no initramfs ran cvm-measure");
                if ((r = emit(b, (uint32_t) policy_index(p, b->o->space), CVM_EV_IPL, "late", "late", NULL, j, NULL, 0, NULL)) < 0)
                        return r;
        }
        k = 0;
        for (size_t g = 0, start = 0; g < p->ngroups; g++) {
                const struct cvm_policy_group *grp = &p->groups[g];
                for (size_t i = 0; i < grp->nitems; i++, k++) {
                        const struct cvm_policy_item *it = &grp->items[i];
                        if (it->kind == CVM_ITEM_CMDLINE)
                                r = cmdline_event(b, grp);
                        else if (it->kind == CVM_ITEM_STRING)
                                r = string_event(b, grp, it->value);
                        for (size_t e = start; r >= 0 && e < ends[k]; e++)
                                if ((r = hash_pool_wait(pool, e, b->err)) >= 0)
                                        r = entry_event(b, &es->v[e]);
                        if (r < 0)
                                return r;
                        start = ends[k];
                }
        }
        nregs = registers_used(p, b->o->space, regs);
        for (size_t i = 0; i < nregs; i++) {
                j = describe("separator", NULL, NULL);
                if ((r = emit(b, regs[i], CVM_EV_SEPARATOR, "separator", "separator", NULL, j, NULL, 0, NULL)) < 0)
                        return r;
        }
        return 0;
}

int cvm_measure_compute(const struct cvm_policy *p, const struct cvm_measure_options *o, struct cvm_measurement **ret,
                        cvm_error *err) {
        struct builder b = { .o = o, .err = err };
        struct entries es = { 0 };
        const char *root = o->root && *o->root ? o->root : "/";
        int rootfd, r;

        if (o->nbanks == 0 || o->nbanks > CVM_MEASURE_MAX_BANKS)
                return cvm_error_set(err, EINVAL, "1 to %d banks, not %zu", CVM_MEASURE_MAX_BANKS, o->nbanks);
        rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0)
                return cvm_error_set(err, errno, "%s: cannot open the root: %s", root, strerror(errno));
        b.m = calloc(1, sizeof(*b.m));
        r = b.m ? build(&b, p, rootfd, &es) : cvm_error_set(err, ENOMEM, "out of memory");
        entries_free(&es);
        close(rootfd);
        if (r < 0) {
                cvm_measurement_free(b.m);
                return r;
        }
        /* The events array moved as it grew: point each digest at its own bytes now that it is final. */
        for (size_t i = 0; i < b.m->nevents; i++)
                for (size_t k = 0; k < b.m->events[i].ndigests; k++)
                        b.m->events[i].digests[k].bytes = b.m->events[i].bytes[k];
        *ret = b.m;
        return 0;
}

void cvm_measurement_free(struct cvm_measurement *m) {
        if (!m)
                return;
        for (size_t i = 0; i < m->nevents; i++) {
                free(m->events[i].data);
                free(m->events[i].item);
        }
        free(m->events);
        strv_free(m->errors, m->nerrors);
        free(m);
}

/* Event i of m copied into *out with its index and the banks asked for; -EINVAL when one is not among m's. */
static int copy_event(const struct cvm_measure_event *in, uint32_t index, const uint16_t *banks, size_t nbanks,
                      struct cvm_measure_event *out, cvm_error *err) {
        memset(out, 0, sizeof(*out));
        for (size_t b = 0; b < nbanks; b++) {
                size_t k = 0;
                while (k < in->ndigests && in->digests[k].alg != banks[b])
                        k++;
                if (k == in->ndigests)
                        return cvm_error_set(err, EINVAL, "bank %s is not among the measurement's", cvm_alg_name(banks[b]));
                out->digests[b] = in->digests[k];
                memcpy(out->bytes[b], in->digests[k].bytes, in->digests[k].size);
        }
        out->ndigests = nbanks;
        out->index = index;
        out->type = in->type;
        out->kind = in->kind;
        out->group = in->group;
        out->data = strdup(in->data);
        out->item = strdup(in->item);
        return out->data && out->item ? 0 : cvm_error_set(err, ENOMEM, "out of memory");
}

int cvm_measurement_in_space(const struct cvm_measurement *m, const struct cvm_policy *p, enum cvm_reg_space space,
                             const uint16_t *banks, size_t nbanks, struct cvm_measurement **ret, cvm_error *err) {
        const struct cvm_measure_event *sep = NULL;
        struct cvm_measurement *out;
        uint32_t regs[64];
        size_t nregs, n = 0;
        int r = 0;

        if (nbanks == 0 || nbanks > CVM_MEASURE_MAX_BANKS || p->ngroups == 0)
                return cvm_error_set(err, EINVAL, "1 to %d banks and a policy with groups", CVM_MEASURE_MAX_BANKS);
        for (size_t i = 0; i < m->nevents && !sep; i++)
                if (m->events[i].type == CVM_EV_SEPARATOR)
                        sep = &m->events[i];
        if (!sep)
                return cvm_error_set(err, EINVAL, "the measurement has no separator: not one cvm_measure_compute made");
        nregs = registers_used(p, space, regs);
        if (!(out = calloc(1, sizeof(*out))) ||
            !(out->events = calloc(m->nevents + nregs, sizeof(*out->events)))) {
                free(out);
                return cvm_error_set(err, ENOMEM, "out of memory");
        }
        /* Every event but the separators on its register in space: a group's, else the policy's. */
        for (size_t i = 0; r >= 0 && i < m->nevents; i++) {
                const struct cvm_measure_event *e = &m->events[i];
                if (e->type == CVM_EV_SEPARATOR)
                        continue;
                r = copy_event(e, e->group ? cvm_policy_group_register(e->group, space) : (uint32_t) policy_index(p, space),
                               banks, nbanks, &out->events[n++], err);
        }
        /* The separators describe nothing of their register, so one's digests serve every register of space. */
        for (size_t i = 0; r >= 0 && i < nregs; i++)
                r = copy_event(sep, regs[i], banks, nbanks, &out->events[n++], err);
        out->nevents = n;
        if (r >= 0 && m->nerrors && !(out->errors = calloc(m->nerrors, sizeof(*out->errors))))
                r = cvm_error_set(err, ENOMEM, "out of memory");
        for (size_t i = 0; r >= 0 && i < m->nerrors; i++)
                if (!(out->errors[out->nerrors++] = strdup(m->errors[i])))
                        r = cvm_error_set(err, ENOMEM, "out of memory");
        if (r < 0) {
                cvm_measurement_free(out);
                return r;
        }
        for (size_t i = 0; i < out->nevents; i++)
                for (size_t k = 0; k < out->events[i].ndigests; k++)
                        out->events[i].digests[k].bytes = out->events[i].bytes[k];
        out->files = m->files;
        out->bytes = m->bytes;
        *ret = out;
        return 0;
}

int cvm_measurement_to_log(const struct cvm_measurement *m, const struct cvm_measure_options *o, cvm_eventlog **ret,
                           cvm_error *err) {
        struct cvm_log_alg algs[CVM_MEASURE_MAX_BANKS];
        cvm_eventlog *log = NULL;
        int r;

        for (size_t i = 0; i < o->nbanks; i++)
                algs[i] = (struct cvm_log_alg) { o->banks[i], (uint16_t) cvm_alg_size(o->banks[i]) };
        r = cvm_eventlog_new_tcg2(o->space, algs, o->nbanks, &log, err);
        for (size_t i = 0; r >= 0 && i < m->nevents; i++) {
                const struct cvm_measure_event *ev = &m->events[i];
                r = cvm_eventlog_append(log, ev->index, ev->type, ev->digests, ev->ndigests, ev->data, strlen(ev->data), err);
        }
        if (r < 0) {
                cvm_eventlog_free(log);
                return r;
        }
        *ret = log;
        return 0;
}
