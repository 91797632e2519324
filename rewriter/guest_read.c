/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Guest files read through the appliance: what the grub.cfg readers and
 * the steps parse.  guestfs_read_file is a download into a host temporary,
 * and the appliance's download runs `udevadm settle` twice: 0.15-0.25 s a
 * file under TCG, where one guestfs_pread call takes 0.01 s.  So a file is
 * read in pread chunks, each under the protocol's 4 MiB message limit (8 MB
 * in 0.11 s with 3 MiB chunks, 0.41 s by download).  Where this side cannot
 * take a chunk (memory, a file read into memory past READ_MAX, a host
 * write), the libguestfs call does the whole read instead and reports what
 * fails.
 */

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cvmbase/base.h"
#include "guest_read.h"

#define CHUNK (3u << 20)
/* No file a step parses is near it. */
#define READ_MAX (64u << 20)

/* Hand path's bytes to take, chunk by chunk: 0; -1 with the libguestfs error set; 1 when take refused one. */
static int pread_all(guestfs_h *g, const char *path, int (*take)(void *u, const char *p, size_t n), void *u) {
        for (int64_t off = 0;;) {
                _cleanup_free_ char *part = NULL;
                size_t n = 0;

                if (!(part = guestfs_pread(g, path, CHUNK, off, &n)))
                        return -1;
                if (n > CHUNK || take(u, part, n) < 0)
                        return 1;
                off += (int64_t) n;
                /* pread(2) of a regular file returns less than asked only at its end. */
                if (n < CHUNK)
                        return 0;
        }
}

struct buffer {
        char *data;
        size_t len;
};

static int buffer_take(void *u, const char *p, size_t n) {
        struct buffer *b = u;
        char *grown;

        if (b->len + n > READ_MAX || !(grown = realloc(b->data, b->len + n + 1)))
                return -1;
        b->data = grown;
        memcpy(b->data + b->len, p, n);
        b->len += n;
        return 0;
}

char *guest_read_file(guestfs_h *g, const char *path, size_t *size) {
        _cleanup_free_ char *data = NULL;
        struct buffer b = { 0 };
        int r = pread_all(g, path, buffer_take, &b);

        data = b.data;
        if (r < 0)
                return NULL;
        if (r > 0)
                return guestfs_read_file(g, path, size);
        data[b.len] = '\0';
        *size = b.len;
        return TAKE_PTR(data);
}

static int fd_take(void *u, const char *p, size_t n) {
        return write_all(*(int *) u, p, n, NULL, NULL);
}

int guest_download(guestfs_h *g, const char *path, const char *host) {
        _cleanup_close_ int fd = open(host, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
        int r;

        if (fd < 0)
                return guestfs_download(g, path, host);
        r = pread_all(g, path, fd_take, &fd);
        if (r < 0)
                return -1;
        if (r > 0 || close(TAKE_FD(fd)) < 0)
                return guestfs_download(g, path, host);
        return 0;
}

char *guest_read_text(guestfs_h *g, const char *path) {
        size_t n;
        char *t;

        if (guestfs_is_file_opts(g, path, GUESTFS_IS_FILE_OPTS_FOLLOWSYMLINKS, 1, -1) <= 0 || !(t = guest_read_file(g, path, &n)))
                return NULL;
        if (strlen(t) != n) {
                free(t);
                return NULL;
        }
        return t;
}
