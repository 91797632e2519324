/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Guest files read through the appliance: what the grub.cfg readers and
 * the steps parse.  guestfs_read_file is a download into a host temporary,
 * and the appliance's download runs `udevadm settle` twice: 0.15-0.25 s a
 * file under TCG, where one guestfs_pread call takes 0.01 s.  So a file is
 * read in pread chunks, each under the protocol's 4 MiB message limit (8 MB
 * in 0.11 s with 3 MiB chunks, 0.41 s by download); a file read into memory
 * past GUEST_READ_FAST (no file a step parses is near it) goes the download
 * way.
 */

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cvmbase/base.h"
#include "guest_read.h"

#define CHUNK (3u << 20)

char *guest_read_file(guestfs_h *g, const char *path, size_t *size) {
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;

        for (;;) {
                _cleanup_free_ char *part = NULL;
                size_t n = 0;
                char *grown;

                if (!(part = guestfs_pread(g, path, CHUNK, (int64_t) len, &n)))
                        return NULL;
                if (n > CHUNK || len + n > GUEST_READ_FAST)
                        return guestfs_read_file(g, path, size);
                if (!(grown = realloc(buf, len + n + 1)))
                        return guestfs_read_file(g, path, size);
                buf = grown;
                memcpy(buf + len, part, n);
                len += n;
                /* pread(2) of a regular file returns less than asked only at its end. */
                if (n < CHUNK)
                        break;
        }
        buf[len] = '\0';
        *size = len;
        return TAKE_PTR(buf);
}

int guest_download(guestfs_h *g, const char *path, const char *host) {
        _cleanup_close_ int fd = open(host, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
        int64_t off = 0;

        /* A failure on this side goes the download way, which reports it. */
        if (fd < 0)
                return guestfs_download(g, path, host);
        for (;;) {
                _cleanup_free_ char *part = NULL;
                size_t n = 0;

                if (!(part = guestfs_pread(g, path, CHUNK, off, &n)))
                        return -1;
                if (write_all(fd, part, n, host, NULL) < 0)
                        return guestfs_download(g, path, host);
                off += (int64_t) n;
                if (n < CHUNK)
                        break;
        }
        if (close(TAKE_FD(fd)) < 0)
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
