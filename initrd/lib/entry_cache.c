/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The entries of a segment without their data, as a pass over it read them:
 * fixed-size records and one string arena (offsets, not pointers, so the
 * arena may move as it grows), bounded by INITRD_CACHE_MAX.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "initrd_internal.h"

#define NO_STRING UINT32_MAX

struct record {
        mode_t mode;
        uint64_t size;
        uint32_t uid, gid, rdev_major, rdev_minor;
        int64_t mtime;
        uint32_t path, link, hardlink; /* offsets into the arena, or NO_STRING */
};

struct initrd_cache {
        struct record *r;
        size_t n, cap;
        char *arena;
        size_t used, size;
};

initrd_cache *initrd_cache_new(void) {
        return calloc(1, sizeof(initrd_cache));
}

void initrd_cache_free(initrd_cache *c) {
        if (!c)
                return;
        free(c->r);
        free(c->arena);
        free(c);
}

/* Grow *p (of *cap items of size each) so it holds need items, within INITRD_CACHE_MAX bytes. */
static int grow(void **p, size_t *cap, size_t need, size_t size) {
        size_t nc = *cap ? *cap : 64;
        void *np;

        if (need <= *cap)
                return 0;
        while (nc < need)
                nc *= 2;
        if (nc > INITRD_CACHE_MAX / size)
                return -E2BIG;
        if (!(np = realloc(*p, nc * size)))
                return -ENOMEM;
        *p = np;
        *cap = nc;
        return 0;
}

static int add_string(initrd_cache *c, const char *s, uint32_t *ret) {
        size_t len;
        int r;

        if (!s) {
                *ret = NO_STRING;
                return 0;
        }
        len = strlen(s) + 1;
        if ((r = grow((void **) &c->arena, &c->size, c->used + len, 1)) < 0)
                return r;
        memcpy(c->arena + c->used, s, len);
        *ret = (uint32_t) c->used;
        c->used += len;
        return 0;
}

int initrd_cache_add(initrd_cache *c, const struct cvm_initrd_entry *e) {
        struct record rec = {
                .mode = e->mode, .size = e->size, .uid = e->uid, .gid = e->gid,
                .rdev_major = e->rdev_major, .rdev_minor = e->rdev_minor, .mtime = e->mtime,
        };
        int r;

        if ((r = add_string(c, e->path, &rec.path)) < 0 || (r = add_string(c, e->link, &rec.link)) < 0 ||
            (r = add_string(c, e->hardlink, &rec.hardlink)) < 0 ||
            (r = grow((void **) &c->r, &c->cap, c->n + 1, sizeof(*c->r))) < 0)
                return r;
        c->r[c->n++] = rec;
        return 0;
}

static const char *string_at(const initrd_cache *c, uint32_t off) {
        return off == NO_STRING ? NULL : c->arena + off;
}

int initrd_cache_replay(const initrd_cache *c, size_t segment, cvm_initrd_entry_fn fn, void *userdata) {
        for (size_t i = 0; i < c->n; i++) {
                const struct record *rec = &c->r[i];
                struct cvm_initrd_entry e = {
                        .segment = segment, .path = string_at(c, rec->path), .mode = rec->mode, .size = rec->size,
                        .link = string_at(c, rec->link), .hardlink = string_at(c, rec->hardlink),
                        .uid = rec->uid, .gid = rec->gid, .mtime = rec->mtime,
                        .rdev_major = rec->rdev_major, .rdev_minor = rec->rdev_minor,
                };
                int r = fn(&e, userdata);
                if (r < 0)
                        return r;
        }
        return 0;
}
