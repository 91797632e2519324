/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer harness: the TDVF metadata parser and the MRTD walk over what it accepts. */
#include "cvm/cvm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct cvm_tdvf t;
        uint8_t mrtd[CVM_MRTD_SIZE];

        /* Bound the walk: a section may claim gigabytes of pages to add. */
        if (cvm_tdvf_parse(data, size, &t, NULL) < 0)
                return 0;
        for (uint32_t i = 0; i < t.nsections; i++)
                if (t.sections[i].memory_size > (1u << 20))
                        return 0;
        cvm_tdvf_mrtd(data, size, &t, mrtd, NULL);
        return 0;
}
