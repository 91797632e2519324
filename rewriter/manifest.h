/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <json-c/json.h>

#include "rewrite.h"

/*
 * OUT.manifest.json: tool version, recipe (path, sha256, resolved
 * parameters), each plugin (name, folder digest) and step, the input's
 * sha256, the inspected guest, each kernel and initramfs in /boot (sha256,
 * sha384), the kernel command line, the reference values: the same for every
 * rewrite of the same input with the same recipe and SOURCE_DATE_EPOCH.
 * Apart, under "build", what varies from run to run: the input's path, each
 * step's duration, the output's path, format and sha256.
 */
struct manifest;

struct manifest *manifest_new(const struct recipe *r, const char *input, const char *input_sha256);
void manifest_free(struct manifest *m);

void manifest_guest(struct manifest *m, const char *type, const char *distro, int major, int minor, const char *arch,
                    const char *root);
void manifest_step(struct manifest *m, const struct plugin *p, const struct step *s, double seconds);
void manifest_boot_file(struct manifest *m, const char *path, const char *kind, const char *sha256, const char *sha384);
void manifest_cmdline(struct manifest *m, const char *cmdline);
/* The boot kernel's version, config symbols, tdx-guest module and capabilities with their basis (reproducible part). */
void manifest_kernel(struct manifest *m, const struct kernel_facts *f, const struct kernel_caps *c);
/* The boot chain prediction (boot_chain.h), reproducible part; takes chain. */
void manifest_boot_chain(struct manifest *m, struct json_object *chain);
/*
 * After manifest_boot_chain and manifest_reference: PCR7 from firmware_vars
 * into boot_chain, and "boot_chain_tdx" (MRTD from firmware, RTMR1/RTMR2);
 * either file may be NULL.
 */
int manifest_firmware(struct manifest *m, const char *firmware, const char *firmware_vars, cvm_error *err);
/* Adds a reference to ref (the caller keeps its own). */
void manifest_reference(struct manifest *m, struct json_object *ref);
void manifest_output(struct manifest *m, const char *path, const char *sha256, const char *format, char **warnings,
                     size_t nwarnings);

/* Write OUT.manifest.json's content to a temporary beside it; commit renames it into place, abort removes it. */
int manifest_write(struct manifest *m, const char *out, cvm_error *err);
int manifest_commit(struct manifest *m, cvm_error *err);
void manifest_abort(struct manifest *m);

/* The resolved plan (recipe, plugins, steps with substituted arguments) as JSON. */
struct json_object *plan_to_json(const struct recipe *r);
