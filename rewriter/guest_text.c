/* SPDX-License-Identifier: Apache-2.0 */
/* Guest text files read through the appliance: what the grub.cfg readers and the steps parse. */

#include <stdlib.h>
#include <string.h>

#include "guest_text.h"

char *guest_read_text(guestfs_h *g, const char *path) {
        size_t n;
        char *t;

        if (guestfs_is_file_opts(g, path, GUESTFS_IS_FILE_OPTS_FOLLOWSYMLINKS, 1, -1) <= 0 || !(t = guestfs_read_file(g, path, &n)))
                return NULL;
        if (strlen(t) != n) {
                free(t);
                return NULL;
        }
        return t;
}
