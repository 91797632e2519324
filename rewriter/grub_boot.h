/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* What GRUB's default entry boots in the guest: grub.cfg and grubenv read once, through grub_cfg.h. */

#include <guestfs.h>

#define GRUB_CFG "/boot/grub/grub.cfg"

struct grub_boot {
        char *kernel;           /* the kernel file it loads ("/boot/vmlinuz-VERSION"), or NULL */
        char *cmdline;          /* the command line GRUB passes (BOOT_IMAGE= first), or NULL */
};

/* Read grub.cfg and grubenv's saved_entry once into *b: NULL members where unknown (no grub.cfg, no default entry). */
void grub_boot_read(guestfs_h *g, struct grub_boot *b);
void grub_boot_clear(struct grub_boot *b);
