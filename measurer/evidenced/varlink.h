/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * Varlink framing: a message is a JSON object followed by one NUL byte on a
 * Unix stream socket.  The reader collects bytes from a connection and hands
 * out whole messages; it never holds more than max bytes of one unfinished
 * message, so a client cannot make the daemon buffer without bound.
 */

#include <stdbool.h>
#include <stddef.h>

struct vl_reader {
        char *buf;
        size_t len;      /* bytes held */
        size_t cap;
        size_t start;    /* first byte not yet handed out */
        size_t scanned;  /* bytes after start known to hold no NUL */
        size_t max;      /* largest message accepted, NUL excluded */
};

/* An empty reader that accepts messages of up to max bytes. */
void vl_reader_init(struct vl_reader *r, size_t max);
/* Free the buffer; the reader may be initialized again. */
void vl_reader_free(struct vl_reader *r);
/* Take n bytes read from the peer: 0, -ENOMEM, or -EMSGSIZE once the unfinished message exceeds max. */
int vl_reader_feed(struct vl_reader *r, const void *data, size_t n);
/* Next whole message as a NUL-terminated string (*len without the NUL): 1, or 0 if none is complete yet. */
int vl_reader_next(struct vl_reader *r, const char **msg, size_t *len);
/* Bytes held of a message not yet complete. */
size_t vl_reader_pending(const struct vl_reader *r);
