/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* libcvm exports what its public headers declare, and nothing else (libcvm.sym). */
#pragma GCC visibility push(default)

/*
 * A cvm-rewrite manifest's reference values in the formats verifiers read:
 * Trustee RVPS (sample message), Keylime (mb_refstate and tpm_policy) and an
 * in-toto Statement v1.  The one code path behind `cvm-evidence reference-values`.
 */

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cvm/error.h"

struct json_object;

enum cvm_rv_format {
        CVM_RV_NONE = 0,        /* not chosen */
        CVM_RV_RVPS,            /* Trustee RVPS "sample" message */
        CVM_RV_KEYLIME,         /* {mb_refstate, tpm_policy} */
        CVM_RV_IN_TOTO,         /* in-toto Statement v1 */
};

/* The in-toto subject when the manifest records no output digest: a name and its SHA-256 in hex. */
struct cvm_rv_subject {
        const char *name;
        char sha256[65];
};

/* Parse a format word (rvps, keylime, in-toto); -EINVAL if unknown. */
int cvm_rv_format_from_name(const char *name, enum cvm_rv_format *ret);

/*
 * Check the manifest in buf (verify's checks, per space it has; name is used in
 * messages) and build fmt's document in *ret (the caller puts it).  Each value a
 * verifier needs that the manifest cannot give is named on notes (NULL: not said).
 */
int cvm_reference_export(const uint8_t *buf, size_t len, const char *name, enum cvm_rv_format fmt,
                         const struct cvm_rv_subject *subject, FILE *notes, struct json_object **ret, cvm_error *err);

/* The same for the manifest file at path. */
int cvm_reference_export_file(const char *path, enum cvm_rv_format fmt, const struct cvm_rv_subject *subject, FILE *notes,
                              struct json_object **ret, cvm_error *err);

#pragma GCC visibility pop
