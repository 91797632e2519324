/* SPDX-License-Identifier: Apache-2.0 */
/*
 * GRUB's default entry as the guest will boot it: the kernel it loads and
 * the command line it passes, from one reading of grub.cfg and grubenv (the
 * prediction the manifest records, the kernel check and the steps that check
 * their own edits all use this one).
 */

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "grub_boot.h"
#include "grub_cfg.h"
#include "guest_read.h"

/* grubenv's saved_entry (GRUB_DEFAULT=saved), or NULL. */
static char *saved_entry(guestfs_h *g) {
        char *env = guest_read_text(g, "/boot/grub/grubenv"), *p, *ret = NULL;

        for (p = env; p && !ret; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
                if (strncmp(p, "saved_entry=", 12) == 0)
                        ret = strndup(p + 12, strcspn(p + 12, "\n"));
        free(env);
        return ret;
}

void grub_boot_read(guestfs_h *g, struct grub_boot *b) {
        char *cfg, *saved;

        assert(g && b);
        cfg = guest_read_text(g, GRUB_CFG);
        *b = (struct grub_boot) { 0 };
        if (!cfg)
                return;
        saved = saved_entry(g);
        b->kernel = grub_cfg_default_kernel(cfg, saved);
        b->cmdline = grub_cfg_default_cmdline(cfg, saved);
        free(saved);
        free(cfg);
}

void grub_boot_clear(struct grub_boot *b) {
        free(b->kernel);
        free(b->cmdline);
        *b = (struct grub_boot) { 0 };
}
