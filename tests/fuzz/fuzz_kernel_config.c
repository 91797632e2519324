/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer harness: a guest's /boot/config-VERSION read by
 * rewriter/kernel_caps.c.  The first byte picks the recipe's tdx_extend and
 * target.  Invariants: a parsed config decides and checks without a crash,
 * a refusal always says why, and extend or quote never holds without read.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "../../rewriter/kernel_caps.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct kernel_facts f = { .version = "6.16.0-fuzz" };
        struct kernel_caps c;
        cvm_error err = { 0 };
        char msg[3072];

        if (size == 0)
                return 0;
        if (kernel_config_parse((const char *) data + 1, size - 1, "config", &f.config, &err) < 0)
                return err.msg[0] ? 0 : (abort(), 0);
        f.has_config = true;
        f.tdx_module = data[0] & 1 ? "/lib/modules/6.16.0-fuzz/kernel/drivers/virt/coco/tdx-guest/tdx-guest.ko" : NULL;
        kernel_caps_decide(&f, (enum tdx_extend) ((data[0] >> 1) % 3), &c);
        if ((c.extend.yes || c.quote.yes) && !c.read.yes)
                abort();
        msg[0] = '\0';
        if (kernel_caps_check(&f, &c, (enum cvm_target) ((data[0] >> 3) % 4), (enum tdx_extend) ((data[0] >> 1) % 3), msg,
                              sizeof(msg)) < 0 && !msg[0])
                abort();
        return 0;
}
