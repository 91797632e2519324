/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * What GRUB measures on the default boot path (its tpm module: every command
 * line it executes into PCR8 as "grub_cmd: ..." with the digest of the
 * command alone, the kernel command line as "kernel_cmdline: ...", and each
 * file it opens for the boot into PCR9 with the digest of its content),
 * predicted by evaluating grub.cfg.  Text in, events out: no libguestfs here
 * (the caller answers file questions), bounds-checked and fuzzed
 * (tests/fuzz/fuzz_grub_predict.c).
 *
 * The subset evaluated is what Debian's and Ubuntu's grub-mkconfig and
 * hand-written configs use: set, NAME=VALUE, export, insmod, search --set,
 * echo, terminal_*, load_env, save_env, function definitions and calls,
 * if/elif/else with [ ] (=, !=, -z, -n, -f, -s, -e, -d, -a, -o, !),
 * menuentry and submenu with `default` (index, id or title, '>' paths),
 * setparams, linux/linuxefi, initrd/initrdefi.  Anything else stops the
 * prediction with a reason: never a wrong value.
 *
 * Assumptions (recorded next to the value by the caller): the modules
 * grub.cfg loads are built into the GRUB image (grub-mkimage's and Debian's
 * monolithic signed image), so insmod reads no file; $prefix is
 * (DEVICE)/boot/grub; `search` finds DEVICE.
 */

#include <stdbool.h>
#include <stddef.h>

enum grub_event_kind {
        GRUB_EV_COMMAND,        /* PCR8 "grub_cmd: TEXT", digest of TEXT */
        GRUB_EV_CMDLINE,        /* PCR8 "kernel_cmdline: TEXT", digest of TEXT */
        GRUB_EV_FILE,           /* PCR9 TEXT (the name GRUB opened), digest of the file `path` in the image */
};

struct grub_event {
        enum grub_event_kind kind;
        char *text;
        char *path;             /* GRUB_EV_FILE: the file in the image ("/boot/vmlinuz-..."); NULL otherwise */
};

/* The image's answers: size of the file at the image path, or -1 if it is not a regular file. */
typedef long long (*grub_file_size_fn)(void *userdata, const char *path);

struct grub_prediction {
        struct grub_event *v;
        size_t n;
        char *unpredicted;      /* why PCR8/9 could not be predicted, or NULL */
};

/*
 * Evaluate grub.cfg `cfg` (read from the image at /boot/grub/grub.cfg) along
 * its default path, with grubenv's text `env` (NULL if none) and GRUB's
 * device `device` ("hd0,gpt1").  Returns 0 with ret->unpredicted set when the
 * config leaves the subset, -ENOMEM on allocation failure.
 */
int grub_predict(const char *cfg, const char *env, const char *device, grub_file_size_fn size, void *userdata,
                 struct grub_prediction *ret);

void grub_prediction_clear(struct grub_prediction *p);
