/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * How the appliance's overlay (a qcow2 over the input) becomes the output
 * image.  Two ways, chosen per rewrite:
 *   commit   the input cloned beside the output (a reflink where the file
 *            system shares extents), then qemu-img commit writes into it
 *            only the clusters the rewrite changed: the cost follows the
 *            change, not the image's size;
 *   convert  qemu-img convert reads every allocated cluster of the image
 *            and writes a fresh one: the only way to a compressed output or
 *            another format, and what an input whose own structure must not
 *            carry over (snapshots, bitmaps, a backing file) gets.
 * CVM_REWRITE_OUTPUT=auto (the default: commit when a reflink works),
 * commit (a plain copy when it does not) or convert.
 */

#include <json-c/json.h>

#include "rewrite.h"

struct output_image {
        const char *overlay;            /* the appliance's qcow2 overlay, its backing file the input */
        const char *input;              /* the input, an absolute path */
        const char *input_format;       /* the input's format as qemu detected it: "raw" or "qcow2" */
        const char *part;               /* the output's temporary, absent before, an absolute path */
        const char *format;             /* the recipe's output format and compression */
        const char *compression;
};

/* Why the input cannot carry over into the output ("" when it can); info: qemu-img info --output=json of a qcow2 input. */
const char *output_commit_refusal(const char *input_format, const char *format, const char *compression,
                                  struct json_object *info);

/* The output image written into q->part; *method ("reflink+commit", "copy+commit" or "convert") says how; <0 with err set. */
int output_image_write(const struct output_image *q, const char **method, cvm_error *err);
