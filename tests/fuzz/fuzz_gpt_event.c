/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer harness: the UEFI_GPT_DATA event built from a disk's first bytes
 * (measurer/lib/gpt_event.c).  Invariants: the event is the 92-byte header,
 * a count and that many entries of the declared size, all within the input.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cvm/cvm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint32_t le32_at(const uint8_t *p) {
        return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 | (uint32_t) p[3] << 24;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        uint8_t *ev = NULL;
        size_t n = 0;

        if (cvm_gpt_event(data, size, &ev, &n, NULL) < 0)
                return 0;
        uint64_t count = le32_at(ev + 92) | (uint64_t) le32_at(ev + 96) << 32;
        uint32_t esize = le32_at(data + 512 + 84);
        if (n != 100 + count * esize || memcmp(ev, data + 512, 92) != 0) {
                fprintf(stderr, "event of %zu bytes for %llu entries of %u\n", n, (unsigned long long) count, esize);
                abort();
        }
        free(ev);
        return 0;
}
