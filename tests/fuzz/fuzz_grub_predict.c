/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer harness: GRUB's measurements predicted from a grub.cfg
 * (rewriter/grub_predict.c, grub_script.c, grub_test.c).  The input is the
 * guest's grub.cfg; its first byte picks a grubenv.  Invariants: either a
 * reason or events ending in an initrd or a kernel command line, never both
 * a reason and a kernel-less prediction.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../rewriter/grub_predict.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every file exists except those named *absent*; sizes are the name's length. */
static long long size_of(void *userdata, const char *path) {
        (void) userdata;
        return strstr(path, "absent") ? -1 : (long long) strlen(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        const char *env = size && data[0] & 1 ? "# GRUB Environment Block\nsaved_entry=1\nnext_entry=0\n####" : NULL;
        struct grub_prediction p;
        bool kernel = false;
        char *cfg;

        if (size == 0 || !(cfg = strndup((const char *) data + 1, size - 1)))
                return 0;
        if (grub_predict(cfg, env, "hd0,gpt1", size_of, NULL, &p) == 0) {
                for (size_t i = 0; i < p.n; i++)
                        kernel |= p.v[i].kind == GRUB_EV_CMDLINE;
                if (!p.unpredicted && !kernel) {
                        fprintf(stderr, "a prediction without a kernel\n");
                        abort();
                }
                grub_prediction_clear(&p);
        }
        free(cfg);
        return 0;
}
