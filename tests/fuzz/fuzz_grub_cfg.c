/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer harness: grub.cfg read as a menu (rewriter/grub_cfg.c).  The
 * input is the guest's grub.cfg; the first byte picks a grubenv saved_entry.
 * Invariant: after grub_cfg_add_default, the default entry loads the new
 * kernel (unless the input already names the entry the edit adds).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../rewriter/grub_cfg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *cfg, *out = NULL, *path = NULL;
        const char *saved = size && data[0] & 1 ? "1>0" : NULL;

        if (size == 0 || !(cfg = strndup((const char *) data + 1, size - 1)))
                return 0;
        free(grub_cfg_default_cmdline(cfg, saved));
        if (grub_cfg_entry_path(cfg, "vmlinuz-1", &path) == 0)
                free(path);
        if (grub_cfg_add_default(cfg, "1", "vmlinuz-1", "initrd.img-1", &out) == 0) {
                char *k = grub_cfg_default_kernel(out, NULL);
                const char *base = k && strrchr(k, '/') ? strrchr(k, '/') + 1 : k;
                if (!strstr(cfg, "cvm-kernel-1") && (!base || strcmp(base, "vmlinuz-1") != 0)) {
                        fprintf(stderr, "default after the edit loads %s\n---\n%s---\n", k ? k : "nothing", out);
                        abort();
                }
                free(k);
                free(out);
        }
        free(cfg);
        return 0;
}
