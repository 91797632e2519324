/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * What identifies a Linux guest, parsed from its files on the host: the
 * lean inspection's readers (inspect.c).  Every input is untrusted guest
 * text or bytes; each function is bounds-checked and fuzzed
 * (tests/fuzz/fuzz_guest_id.c).  Names and versions follow libguestfs's
 * inspection, so a manifest says the same whichever of the two ran.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* os-release's ID and VERSION_ID, unquoted (new strings, NULL when absent); -ENOMEM. */
int guest_os_release(const char *text, char **id, char **version_id);

/* libguestfs's distro name for an os-release ID this inspection knows ("debian", "ubuntu"), else NULL. */
const char *guest_distro(const char *id);

/* "MAJOR[.MINOR]..." (digits, at most 6 each) into *major and *minor (0 when absent); -EINVAL otherwise. */
int guest_version(const char *s, int *major, int *minor);

/* libguestfs's architecture name for the ELF header at buf ("x86_64", "aarch64", ...), or NULL. */
const char *guest_elf_arch(const uint8_t *buf, size_t len);

/* One /etc/fstab line: its first three fields, octal escapes (\040) decoded, and whether it is a bind mount. */
struct fstab_entry {
        char *spec, *mountpoint, *type;
        bool bind;
};

/* The entries of fstab text; comments, blank lines and lines of fewer than three fields skipped. -ENOMEM. */
int guest_fstab(const char *text, struct fstab_entry **ret, size_t *n);
void guest_fstab_free(struct fstab_entry *e, size_t n);

/* Whether an fstab entry names a local disk file system to mount (not swap, tmpfs, proc, nfs, a bind mount, ...). */
bool guest_fstab_local(const struct fstab_entry *e);

/*
 * The blkid key and value an fstab spec names: UUID=, LABEL=, PARTUUID=,
 * PARTLABEL= or their /dev/disk/by-* forms give "UUID", "LABEL",
 * "PART_ENTRY_UUID" or "PART_ENTRY_NAME" and a pointer into spec; other
 * specs give NULL.
 */
const char *guest_spec_key(const char *spec, const char **value);

/* A kernel device name's partition ("/dev/vda1", "/dev/sda1", "/dev/xvda1", "/dev/nvme0n1p1": 1) on the first disk, or -1. */
int guest_spec_first_disk_partition(const char *spec);
