/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The varlink message reader (see varlink.h).  Hand-written because Debian 12
 * packages no C varlink library (`apt-cache search varlink` finds only the Go
 * implementation), and systemd's sd-varlink is private to systemd before 257.
 * It only splits at NUL bytes and bounds sizes; json-c parses each message.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "varlink.h"

void vl_reader_init(struct vl_reader *r, size_t max) {
        *r = (struct vl_reader) { .max = max };
}

void vl_reader_free(struct vl_reader *r) {
        free(r->buf);
        vl_reader_init(r, r->max);
}

size_t vl_reader_pending(const struct vl_reader *r) {
        return r->len - r->start;
}

/* Drop the messages already handed out, so the buffer holds at most one unfinished message plus new input. */
static void compact(struct vl_reader *r) {
        if (r->start == 0)
                return;
        memmove(r->buf, r->buf + r->start, r->len - r->start);
        r->len -= r->start;
        r->start = 0;
}

static int reserve(struct vl_reader *r, size_t n) {
        size_t want, cap;
        char *p;

        if (n > SIZE_MAX - r->len - 1)
                return -ENOMEM;
        want = r->len + n + 1;
        if (want <= r->cap)
                return 0;
        cap = r->cap ? r->cap : 4096;
        while (cap < want)
                cap = cap > SIZE_MAX / 2 ? want : cap * 2;
        p = realloc(r->buf, cap);
        if (!p)
                return -ENOMEM;
        r->buf = p;
        r->cap = cap;
        return 0;
}

int vl_reader_feed(struct vl_reader *r, const void *data, size_t n) {
        size_t held;
        const char *nul;
        int ret;

        compact(r);
        if ((ret = reserve(r, n)) < 0)
                return ret;
        memcpy(r->buf + r->len, data, n);
        r->len += n;
        /* Only the unfinished tail counts against the limit: whole messages before a NUL are fine. */
        nul = memrchr(r->buf, '\0', r->len);
        held = nul ? r->len - (size_t) (nul - r->buf) - 1 : r->len;
        if (held > r->max)
                return -EMSGSIZE;
        return 0;
}

int vl_reader_next(struct vl_reader *r, const char **msg, size_t *len) {
        char *nul;

        if (r->start + r->scanned >= r->len)
                return 0;
        nul = memchr(r->buf + r->start + r->scanned, '\0', r->len - r->start - r->scanned);
        if (!nul) {
                r->scanned = r->len - r->start;
                return 0;
        }
        *msg = r->buf + r->start;
        *len = (size_t) (nul - *msg);
        if (*len > r->max)
                return -EMSGSIZE;
        r->start += *len + 1;
        r->scanned = 0;
        return 1;
}
