/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer harness: the OVMF VARS store parser and the PCR7 events built from what it accepts. */
#include "cvm/cvm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static const struct cvm_log_alg alg = { CVM_ALG_SHA256, 32 };
        cvm_efi_varstore *vs = NULL;
        cvm_eventlog *log = NULL;

        if (cvm_efi_varstore_parse(data, size, &vs, NULL) < 0)
                return 0;
        if (cvm_eventlog_new_tcg2(CVM_SPACE_PCR, &alg, 1, &log, NULL) == 0)
                cvm_efi_pcr7_events(vs, log, NULL);
        cvm_eventlog_free(log);
        cvm_efi_varstore_free(vs);
        return 0;
}
