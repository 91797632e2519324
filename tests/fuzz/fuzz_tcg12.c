/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer harness: the tcg12 event-log parser and everything that consumes its result. */
#include "fuzz_eventlog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        return fuzz_eventlog(data, size, CVM_LOG_TCG12);
}
