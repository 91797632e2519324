/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * The firmware-owned values cvm-rewrite can predict when given the firmware's
 * files, and the TDX view of the boot chain: PCR7 from an OVMF VARS image
 * (--firmware-vars), MRTD from a TDVF image (--firmware), and RTMR1/RTMR2 as
 * the boot chain's events land there under the UEFI CC mapping, RTMR2 with the
 * measurer's own events after them.
 */

#include <json-c/json.h>

#include "cvm/cvm.h"

struct firmware_inputs {
        const char *firmware;   /* TDVF image (OVMF.fd), or NULL */
        const char *vars;       /* OVMF VARS image, or NULL */
};

/* Read and check the given files before a rewrite starts, so a bad one fails it early: the message names the file. */
int firmware_inputs_check(const struct firmware_inputs *in, cvm_error *err);

/*
 * With in->vars, turn boot_chain's "firmware-dependent" PCR7 into a predicted
 * register with its events.  Then *tdx gets the manifest's "boot_chain_tdx":
 * MRTD (or "from the platform"), RTMR0 "from the platform", RTMR1 and RTMR2
 * with their events and values; `reference` is the manifest's
 * reference_values (its tdx events go last in RTMR2).
 */
int firmware_predict(const struct firmware_inputs *in, struct json_object *boot_chain, struct json_object *reference,
                     struct json_object **tdx, cvm_error *err);
