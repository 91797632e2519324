/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * The manifest's predicted boot chain as the reference-value export reads
 * it: boot_chain (TPM: PCR4, 5, 7, 8, 9 with their events) and
 * boot_chain_tdx (MRTD, RTMR1, RTMR2).  rv_chain_check type-checks every
 * field the lookups read, so they may trust what they find.
 */

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

#include "cvm/error.h"

/* A boot application the firmware loaded (PCR4): the image file it came from and its Authenticode sha256. */
struct rv_boot_app {
        const char *source;
        const char *sha256;
};

/* Every field below as the lookups need it (JSON path in the error); absent sections are fine. */
int rv_chain_check(struct json_object *root, const char *file, cvm_error *err);

/* The predicted sha256 value of PCR pcr, or NULL when the manifest does not predict it. */
const char *rv_chain_pcr(struct json_object *root, uint32_t pcr);

/* The predicted MRTD (sha384 hex), or NULL. */
const char *rv_chain_mrtd(struct json_object *root);

/* The predicted value of RTMR rtmr (0-3, sha384 hex), or NULL. */
const char *rv_chain_rtmr(struct json_object *root, unsigned rtmr);

/* PCR4's boot applications in load order, at most max into apps; their number. */
size_t rv_chain_apps(struct json_object *root, struct rv_boot_app *apps, size_t max);
