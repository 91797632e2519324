/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <guestfs.h>

/* A guest text file (links followed), or NULL when it is missing, unreadable or holds a NUL byte. */
char *guest_read_text(guestfs_h *g, const char *path);
