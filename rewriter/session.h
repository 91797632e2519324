/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* One libguestfs session over the overlay of the input image: what every step executor gets. */

#include <guestfs.h>
#include <limits.h>

#include "inspect.h"
#include "rewrite.h"

/* What the boot kernel has: its version, config and tdx-guest module (owned by the session). */
struct boot_kernel {
        char *version, *module;
        struct kernel_facts facts;
        struct kernel_caps caps;
};

struct session {
        guestfs_h *g;
        struct guest_os os;     /* the inspected guest: root device, distribution, mountpoints */
        char tmpdir[PATH_MAX];  /* host scratch (initramfs copies) */
        char *cmdline;          /* the kernel command line the guest will boot, when known */
        struct boot_kernel kernel;      /* the kernel the guest will boot, as last checked */
        const struct recipe *recipe;    /* the recipe being applied (the validate step reads its steps) */
        struct guest_digest *digests;   /* guest files hashed after the steps (guest_digest.h) */
        size_t ndigests;
        char **warnings;        /* said on stderr and kept for the manifest */
        size_t nwarnings;
        cvm_error *err;
};

/* Run step s in the session; an error names the step's plugin.yaml position. */
int step_run(struct session *ss, const struct step *s);

/* Set the session's error for step s (its position, kind and plugin, then the message); returns -EIO. */
int step_fail(struct session *ss, const struct step *s, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Set the session's error for step s: what, then libguestfs's last error; returns the negative errno. */
int step_gfail(struct session *ss, const struct step *s, const char *what);

/* Mount the inspected guest's file systems, shortest mountpoint first: the number that failed (each a warning). */
int session_mount(struct session *ss);

/* Whether plugin p supports the inspected guest (its families list, or any). */
bool plugin_supports(const struct plugin *p, const struct session *ss);

/* Record a warning (printed with the progress, kept for the manifest). */
void session_warn(struct session *ss, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The folder of the running cvm-rewrite: this build's sibling programs, and ../lib and ../include beside it. */
int session_programs_dir(char *dir, size_t size, cvm_error *err);

/* The kernel file GRUB's default entry loads ("/boot/vmlinuz-VERSION"), read from the guest; NULL when unknown. */
char *session_boot_kernel(struct session *ss);

/*
 * Read the boot kernel's facts into ss->kernel, decide its capabilities and
 * check them against the recipe's target (when): an error naming what the
 * kernel lacks and the fix.  Called after inspection and after the steps
 * (final); before the steps, a recipe with a plugin that changes the boot
 * kernel is only told (its new kernel is checked after the steps).
 */
int session_kernel_check(struct session *ss, const char *when, bool final);
void boot_kernel_clear(struct boot_kernel *k);

/* What the session owns, freed (the handle is the pipeline's). */
void session_clear(struct session *ss);
