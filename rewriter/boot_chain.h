/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <json-c/json.h>

#include "session.h"

/*
 * The manifest's "boot_chain": the image-dependent registers (PCR4, 5, 8, 9)
 * predicted from the output image (cvm/bootchain.h for the firmware's part,
 * grub_predict.h for GRUB's), each with its final value per bank and its
 * events; the platform's registers marked as inputs, with the values of a previous
 * boot's log when given.  The GRUB device defaults to hd0 and the root
 * partition's GPT number (a VMM assumption: the boot disk is the first).
 * A register that cannot be predicted says why; only allocation and
 * libguestfs failures are errors.
 */
struct boot_chain_options {
        const char *grub_device;        /* GRUB's name of /boot's partition, NULL: hd0,gptN */
        const char *platform_values;    /* a previous boot's firmware log whose PCR0-3 and 6 are recorded, or NULL */
};

int boot_chain_predict(struct session *ss, const struct boot_chain_options *o, struct json_object **ret, cvm_error *err);
