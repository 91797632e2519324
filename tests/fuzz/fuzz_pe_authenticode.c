/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer harness: the PE/COFF Authenticode digest (measurer/lib/pe_authenticode.c)
 * and the boot chain's load event built from it.  Invariant: every bank gives
 * the same verdict on the same bytes.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cvm/cvm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        uint8_t a[CVM_DIGEST_MAX], b[CVM_DIGEST_MAX];
        cvm_eventlog *log = NULL;
        int r256 = cvm_pe_authenticode(data, size, CVM_ALG_SHA256, a, NULL);
        int r384 = cvm_pe_authenticode(data, size, CVM_ALG_SHA384, b, NULL);

        if ((r256 < 0) != (r384 < 0)) {
                fprintf(stderr, "sha256 says %d, sha384 says %d\n", r256, r384);
                abort();
        }
        if (cvm_bootchain_new(&log, NULL) == 0) {
                int r = cvm_bootchain_append_pe(log, data, size, data, size < 64 ? size : 64, NULL);
                if ((r < 0) != (r256 < 0))
                        abort();
                cvm_eventlog_free(log);
        }
        return 0;
}
