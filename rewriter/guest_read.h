/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <guestfs.h>

/*
 * A guest file (links followed) as guestfs_read_file returns it: malloc'd,
 * NUL-terminated past *size; NULL with the libguestfs error set when it
 * cannot be read.  Read in guestfs_pread calls: a download costs 0.2 s.
 */
char *guest_read_file(guestfs_h *g, const char *path, size_t *size);

/*
 * guestfs_download in guestfs_pread calls (2-4x its speed under TCG): -1
 * with the libguestfs error set on failure, host's failures included.
 */
int guest_download(guestfs_h *g, const char *path, const char *host);

/* A guest text file (links followed), or NULL when it is missing, unreadable or holds a NUL byte. */
char *guest_read_text(guestfs_h *g, const char *path);
