/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Guest files read through the appliance: what the grub.cfg readers and
 * the steps parse.  guestfs_read_file is a download into a host temporary,
 * and the appliance's download runs `udevadm settle` twice: 0.15-0.25 s a
 * file under TCG, where one guestfs_pread call takes 0.01 s.  So a file is
 * read in pread chunks, each under the protocol's 4 MiB message limit; one
 * past FAST_MAX (no file a step parses is near it) goes the download way.
 */

#include <stdlib.h>
#include <string.h>

#include "cvmbase/base.h"
#include "guest_read.h"

#define CHUNK (2u << 20)
#define FAST_MAX (32u << 20)

char *guest_read_file(guestfs_h *g, const char *path, size_t *size) {
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;

        for (;;) {
                _cleanup_free_ char *part = NULL;
                size_t n = 0;
                char *grown;

                if (!(part = guestfs_pread(g, path, CHUNK, (int64_t) len, &n)))
                        return NULL;
                if (n > CHUNK || len + n > FAST_MAX)
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
