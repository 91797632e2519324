/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer harness: the CCEL ACPI table parser. */
#include "cvm/cvm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct cvm_ccel_table t;
        cvm_ccel_table_parse(data, size, &t, NULL);
        return 0;
}
