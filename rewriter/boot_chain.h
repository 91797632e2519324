/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <json-c/json.h>

#include "session.h"

/*
 * The manifest's "boot_chain": the image-dependent registers (PCR4, 5, 8, 9)
 * predicted from the output image (cvm/bootchain.h for the firmware's part,
 * grub_predict.h for GRUB's), each with its final value per bank and its
 * events; the platform's registers marked as inputs.  `device` is GRUB's name
 * of the boot disk's /boot partition ("hd0,gpt1"), NULL for hd0 and the
 * partition's GPT number (a VMM assumption: the boot disk is the first).
 * A register that cannot be predicted says why; only allocation and
 * libguestfs failures are errors.
 */
int boot_chain_predict(struct session *ss, const char *device, struct json_object **ret, cvm_error *err);
