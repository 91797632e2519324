/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * A cvm-rewrite manifest's reference values in the formats verifiers read:
 * Trustee RVPS (sample message), Keylime (mb_refstate and tpm_policy) and an
 * in-toto Statement v1.  The one code path behind `reference-values`.
 */

#include <stdio.h>

#include <json-c/json.h>

#include "cvm/error.h"

enum rv_format {
        RV_NONE,        /* not given */
        RV_RVPS,
        RV_KEYLIME,
        RV_IN_TOTO,
};

/* The in-toto subject when the manifest records no output digest (--subject FILE). */
struct rv_subject {
        const char *name;
        char sha256[65];
};

/* Parse a --format word (rvps, keylime, in-toto); -EINVAL if unknown. */
int rv_format_from_name(const char *name, enum rv_format *ret);

/*
 * Load and check the manifest at path (the checks `verify` makes, per space it
 * has), then build fmt's document in *ret.  Each value a verifier needs that
 * the manifest cannot give is named on `notes`, with where it comes from.
 */
int rv_export(const char *path, enum rv_format fmt, const struct rv_subject *subject, FILE *notes,
              struct json_object **ret, cvm_error *err);
