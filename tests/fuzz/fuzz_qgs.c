/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer harness: the QGS GET_QUOTE response a VMM returns through the legacy TDX quote ioctl. */
#include <string.h>

#include "tdx_guest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        const uint8_t *quote;
        uint32_t len;
        uint8_t sink = 0;

        if (size > UINT32_MAX || tdx_qgs_response(data, (uint32_t) size, &quote, &len, NULL) < 0)
                return 0;
        /* Touch every byte claimed, so ASan sees an out-of-bounds quote. */
        for (uint32_t i = 0; i < len; i++)
                sink ^= quote[i];
        return sink == 0x100;
}
