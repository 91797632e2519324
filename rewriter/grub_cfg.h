/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * GRUB's grub.cfg read as a menu: which entry `set default` selects and what
 * it boots, and the edits the kernel step makes.  Text in, text out: the
 * file comes from the guest, so every function is bounds-checked and
 * fuzzed (tests/fuzz/fuzz_grub_cfg.c); no libguestfs here.
 *
 * A default is GRUB's: an index, an id or a title at each level, joined by
 * '>' through submenus ("gnulinux-advanced-UUID>gnulinux-6.1.0-1-advanced-UUID");
 * ${saved_entry} stands for grubenv's value, and ${next_entry} (a one-time
 * boot) is not the default.
 */

#include <stddef.h>

/* "BOOT_IMAGE=KERNEL ARGS" as GRUB passes it for the default entry (saved_entry: grubenv's, or NULL);
 * NULL when the default selects no entry with a linux line, or out of memory. */
char *grub_cfg_default_cmdline(const char *cfg, const char *saved_entry);

/* The kernel file the default entry loads, as written ("/boot/vmlinuz-6.1.0-1"); NULL as above. */
char *grub_cfg_default_kernel(const char *cfg, const char *saved_entry);

/* In *ret, the GRUB_DEFAULT path of the first non-recovery entry loading a kernel whose file name is
 * `kernel` ("vmlinuz-VERSION"): ids where the entries have them, else titles; -ENOENT if none, -ENOMEM. */
int grub_cfg_entry_path(const char *cfg, const char *kernel, char **ret);

/*
 * For a hand-written grub.cfg (no generator in the guest): in *ret, cfg with
 * a copy of the default entry that boots `kernel` and `initrd` (file names,
 * kept in the folders the default entry uses) placed first with the id
 * "cvm-kernel-VERSION", and `set default` naming it.  Idempotent: an entry
 * with that id is reused.  -ENOENT when no default entry has a linux line,
 * -EINVAL for a name with a quote or blank or when the result, read back,
 * would not boot `kernel` by default (unbalanced blocks), -ENOMEM.
 */
int grub_cfg_add_default(const char *cfg, const char *version, const char *kernel, const char *initrd, char **ret);
