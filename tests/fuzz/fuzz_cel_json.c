/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer harness: the CEL-JSON event-log reader and everything that consumes its result. */
#include "fuzz_eventlog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        return fuzz_eventlog(data, size, CVM_LOG_CEL_JSON);
}
