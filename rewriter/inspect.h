/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * The one operating system on the appliance's disk and where its file
 * systems mount.  libguestfs's inspection probes every file system for
 * every OS family and parses fstab with augeas inside the appliance: about
 * 8 s of a rewrite under TCG.  For the layouts this project targets
 * (Debian and Ubuntu on plain partitions) a lean inspection reads only
 * what the rewrite needs, in about a tenth of that; anything it does not
 * know (LVM, RAID, LUKS, btrfs, another distribution, a device name it
 * cannot resolve) goes to libguestfs's, as does every image when
 * CVM_REWRITE_INSPECT=libguestfs.
 */

#include <guestfs.h>

#include "cvm/error.h"

struct guest_os {
        char *root;             /* the root file system's device */
        char *type;             /* linux, windows, ... */
        char *distro;           /* debian, ubuntu, fedora, ... */
        char *arch;
        int major, minor;
        char **mounts;          /* pairs of mountpoint and device, NULL-terminated */
        const char *by;         /* "lean" or "libguestfs": which inspection found it */
};

/* Find the guest's one OS, nothing left mounted: 0; -ENOENT none, -EOPNOTSUPP several, -EIO (err set). */
int inspect_guest(guestfs_h *g, struct guest_os *os, cvm_error *err);

void guest_os_clear(struct guest_os *os);
