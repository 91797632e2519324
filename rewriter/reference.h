/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <guestfs.h>
#include <json-c/json.h>

#include "cvm/error.h"

/*
 * The measurer policy baked into the guest (/etc/cvm/policy.yaml), run by
 * cvm_measure_compute over the guest's file system (FUSE, read-only) with
 * cmdline as the kernel command line: {"measurer", "policy", "cmdline",
 * "tdx": {events, registers}, "tpm": {events, registers}, "note"}, or
 * {"measurer": false, "note"} when the image has no policy.  g must be
 * launched with the guest's file systems mounted.
 */
int reference_values(guestfs_h *g, const char *tmpdir, const char *cmdline, struct json_object **ret, cvm_error *err);
