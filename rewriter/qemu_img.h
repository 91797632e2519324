/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * qemu-img as a child process of the rewrite: ended (SIGTERM) when a signal
 * asks the rewrite to stop, so no child outlives it.  Callers judge the exit
 * status themselves: qemu-img check, for one, reports by its status.  What
 * qemu-img info prints comes from the image, so it is read as untrusted
 * (tests/fuzz/fuzz_qemu_img_info.c).
 */

#include <json-c/json.h>

#include "rewrite.h"

/* Run qemu-img with argv (argv[0] "qemu-img"), its output to ours; 0 and its wait status in *status, or <0 with err set. */
int qemu_img_run(char *const argv[], int *status, cvm_error *err);

/* The same with stdout and stderr discarded: the checks whose answer is the exit status alone. */
int qemu_img_quiet(char *const argv[], int *status, cvm_error *err);

/* What qemu-img info's JSON says the image reads besides itself: "a backing file", "an external data file", or NULL. */
const char *qemu_img_info_links(struct json_object *info);

/* qemu-img ... --output=json: its stdout (at most 1 MiB) parsed into *out when it exited 0; -EIO naming what otherwise. */
int qemu_img_json(char *const argv[], const char *what, struct json_object **out, cvm_error *err);
