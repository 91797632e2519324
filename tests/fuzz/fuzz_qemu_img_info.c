/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer harness: qemu-img info's JSON as cvm-rewrite reads it (what it
 * prints comes from the image): the links that make an input refused
 * (rewriter/qemu_img.c) and what keeps an input from carrying over into a
 * committed output (rewriter/output_image.c).  Invariants: an answer is
 * always given; an input that links another file never carries over.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../rewriter/output_image.h"
#include "../../rewriter/qemu_img.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct json_tokener *tok = json_tokener_new();
        struct json_object *info;
        const char *why, *link;

        if (!tok)
                return 0;
        info = json_tokener_parse_ex(tok, (const char *) data, (int) (size > INT32_MAX ? INT32_MAX : size));
        json_tokener_free(tok);
        link = qemu_img_info_links(info);
        why = output_commit_refusal("qcow2", "qcow2", "none", info);
        if (!why || (link && !*why))
                abort();
        if (link && strcmp(link, "a backing file") != 0 && strcmp(link, "an external data file") != 0)
                abort();
        /* raw needs no info; compression refuses before it is read. */
        if (*output_commit_refusal("raw", "raw", "none", info) || !*output_commit_refusal("qcow2", "qcow2", "zlib", info))
                abort();
        json_object_put(info);
        return 0;
}
