/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The guest's account files, edited and read line by line into new buffers:
 * no size is assumed from the number of lines a user "should" have.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accounts.h"

/* One line of text: [p, p + n), without its '\n'; the next starts at p + n + 1. */
struct line {
        const char *p;
        size_t n;
        size_t no;      /* 1-based */
};

static bool next_line(const char *text, size_t len, size_t *off, struct line *l) {
        const char *nl;

        if (*off >= len)
                return false;
        l->p = text + *off;
        nl = memchr(l->p, '\n', len - *off);
        l->n = nl ? (size_t) (nl - l->p) : len - *off;
        l->no++;
        *off += l->n + 1;
        return true;
}

/* Whether line l's first field is name. */
static bool first_field_is(const struct line *l, const char *name) {
        size_t k = strlen(name);
        return l->n > k && l->p[k] == ':' && memcmp(l->p, name, k) == 0;
}

/* The text is one of the guest's files: a NUL inside means it is not a text file (and would cut the strings below). */
static int check_text(const char *text, size_t len, const char *name, cvm_error *err) {
        const char *nul = memchr(text, '\0', len);
        if (nul)
                return cvm_error_set(err, EINVAL, "%s: a NUL byte at offset %zu: not a text file", name, (size_t) (nul - text));
        return 0;
}

/* An account name: no ':' or line break (they would select or forge another line). */
static bool plain(const char *s) {
        return *s && !strpbrk(s, ":\n\r");
}

int accounts_shadow_set(const char *text, size_t len, const char *name, const char *user, const char *hash, char **ret,
                        size_t *ret_len, cvm_error *err) {
        struct line l = { 0 };
        size_t off = 0, o = 0, first = 0, cap;
        char *out;
        int r;

        if ((r = check_text(text, len, name, err)) < 0)
                return r;
        if (!plain(user) || !plain(hash))
                return cvm_error_set(err, EINVAL, "%s: user '%s' or its hash holds ':' or a line break", name, user);
        /* Each line is copied once and gets at most a '\n'; the user's line gains at most the hash. */
        cap = len + 1 + strlen(hash) + 2;
        if (!(out = malloc(cap)))
                return cvm_error_set(err, ENOMEM, "out of memory");
        while (next_line(text, len, &off, &l)) {
                const char *rest;
                if (!first_field_is(&l, user)) {
                        memcpy(out + o, l.p, l.n);
                        o += l.n;
                        out[o++] = '\n';
                        continue;
                }
                if (first) {
                        free(out);
                        return cvm_error_set(err, EEXIST, "%s: user '%s' is listed twice (lines %zu and %zu); refusing to guess which one the guest uses",
                                             name, user, first, l.no);
                }
                first = l.no;
                rest = memchr(l.p + strlen(user) + 1, ':', l.n - strlen(user) - 1);
                if (!rest) {
                        free(out);
                        return cvm_error_set(err, EINVAL, "%s:%zu: user '%s': expected NAME:HASH:..., a line of 9 fields", name,
                                             l.no, user);
                }
                o += (size_t) snprintf(out + o, cap - o, "%s:%s", user, hash);
                memcpy(out + o, rest, (size_t) (l.p + l.n - rest));
                o += (size_t) (l.p + l.n - rest);
                out[o++] = '\n';
        }
        if (!first) {
                free(out);
                return cvm_error_set(err, ENOENT, "%s: user '%s' has no line", name, user);
        }
        out[o] = '\0';
        *ret = out;
        *ret_len = o;
        return 0;
}

/* A decimal id up to 2^32-2 ((uid_t) -1 means "no change" to chown). */
static int parse_id(const char *p, size_t n, uint32_t *ret) {
        uint64_t v = 0;

        if (n == 0 || n > 10)
                return -EINVAL;
        for (size_t i = 0; i < n; i++) {
                if (p[i] < '0' || p[i] > '9')
                        return -EINVAL;
                v = v * 10 + (uint64_t) (p[i] - '0');
        }
        if (v >= UINT32_MAX)
                return -EINVAL;
        *ret = (uint32_t) v;
        return 0;
}

int accounts_find(const char *text, size_t len, const char *name, const char *account, bool with_home,
                  struct account *ret, cvm_error *err) {
        struct line l = { 0 };
        size_t off = 0, first = 0;
        int r;

        *ret = (struct account) { 0 };
        if ((r = check_text(text, len, name, err)) < 0)
                return r;
        if (!plain(account))
                return cvm_error_set(err, EINVAL, "%s: account '%s' holds ':' or a line break", name, account);
        while (next_line(text, len, &off, &l)) {
                const char *f[7] = { 0 };
                size_t fl[7] = { 0 }, nf = 0;
                if (!first_field_is(&l, account))
                        continue;
                if (first) {
                        free(ret->home);
                        ret->home = NULL;
                        return cvm_error_set(err, EEXIST, "%s: '%s' is listed twice (lines %zu and %zu)", name, account, first,
                                             l.no);
                }
                first = l.no;
                for (const char *p = l.p, *end = l.p + l.n; nf < 7; nf++) {
                        const char *c = memchr(p, ':', (size_t) (end - p));
                        f[nf] = p;
                        fl[nf] = c ? (size_t) (c - p) : (size_t) (end - p);
                        if (!c) {
                                nf++;
                                break;
                        }
                        p = c + 1;
                }
                if (nf < (with_home ? 7u : 3u) || parse_id(f[2], fl[2], &ret->id) < 0 ||
                    (with_home && parse_id(f[3], fl[3], &ret->gid) < 0))
                        return cvm_error_set(err, EINVAL, "%s:%zu: '%s': expected %s with decimal ids below 4294967295", name,
                                             l.no, account, with_home ? "NAME:X:UID:GID:GECOS:HOME:SHELL" : "NAME:X:GID:MEMBERS");
                if (with_home && !(ret->home = strndup(f[5], fl[5])))
                        return cvm_error_set(err, ENOMEM, "out of memory");
        }
        if (!first)
                return cvm_error_set(err, ENOENT, "%s: no '%s'", name, account);
        return 0;
}
