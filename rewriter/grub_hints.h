/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdbool.h>

/*
 * grub-mkconfig's search hints, written in the appliance.  grub-probe
 * guesses --hint-bios=hdN (and -efi, -baremetal=ahciN, and the
 * compatibility hint in "set root='hdN,gptM'") from the kernel's
 * name of the disk it runs on, and the appliance's kernel names the guest's
 * disk sda or sdb beside its own, in the order their asynchronous probes
 * finish: two rewrites of one input wrote different grub.cfg files (and so
 * PCR8 values).  The booted VM boots from this disk as its first, so the
 * hints are rebased onto disk 0.
 */

/* The index of the disk ("sdb1" -> 1) that the root mount in mountinfo text is on; -1 if it is not an sdX disk. */
int grub_hints_disk_index(const char *mountinfo);

/* Whether cfg has a hint that names a disk other than 0: if not, no rebase changes it, whatever disk the root is on. */
bool grub_hints_any(const char *cfg);

/* cfg with the hints that name disk index (hdN, ahciN, set root='hdN) renamed to disk 0: a new string, or NULL on ENOMEM. */
char *grub_hints_rebase(const char *cfg, int index);
