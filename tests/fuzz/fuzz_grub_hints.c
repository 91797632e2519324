/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer harness: grub-mkconfig's hints rebased (rewriter/grub_hints.c).
 * The input is a guest's grub.cfg and, after its first NUL, a mountinfo
 * text.  Invariants: the disk index is -1 or a letter's; the rebased text is
 * never longer than the input and equals it when rebased onto disk 0.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../rewriter/grub_hints.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *text = malloc(size + 1), *out;
        size_t cfg_len;
        int index;

        if (!text)
                return 0;
        memcpy(text, data, size);
        text[size] = '\0';
        cfg_len = strlen(text);
        index = grub_hints_disk_index(cfg_len < size ? text + cfg_len + 1 : "");
        if (index < -1 || index > 25)
                abort();
        if ((out = grub_hints_rebase(text, index < 1 ? 1 : index))) {
                if (strlen(out) > cfg_len)
                        abort();
                free(out);
        }
        if ((out = grub_hints_rebase(text, 0))) {
                if (strcmp(out, text) != 0)
                        abort();
                free(out);
        }
        free(text);
        return 0;
}
