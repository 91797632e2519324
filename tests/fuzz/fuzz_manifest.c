/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer harness: cvm-evidence verify's inputs.  The first byte picks the
 * register space; the rest is a manifest (reference values, JSON).  When it
 * loads, the same bytes are also the data of a runtime-log event (the event
 * description parser) and that log is verified against the reference.
 */
#include "cvm/cvm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        enum cvm_reg_space space;
        cvm_reference *ref = NULL;
        cvm_eventlog *log = NULL;
        struct cvm_verify_result res = { 0 };
        cvm_error err = { 0 };

        if (size < 1)
                return 0;
        space = data[0] & 1 ? CVM_SPACE_CCMR : CVM_SPACE_PCR;
        if (cvm_reference_parse(data + 1, size - 1, "fuzz.json", space, &ref, &err) < 0)
                return 0;
        {
                uint16_t alg = cvm_reference_alg(ref);
                uint8_t digest[CVM_DIGEST_MAX] = { 0 };
                const struct cvm_log_alg la = { alg, (uint16_t) cvm_alg_size(alg) };
                const struct cvm_event_digest d = { alg, (uint16_t) cvm_alg_size(alg), digest };
                if (cvm_eventlog_new_tcg2(space, &la, 1, &log, &err) == 0 &&
                    cvm_eventlog_append(log, space == CVM_SPACE_CCMR ? 3 : 23, 0xd, &d, 1, data + 1, size - 1, &err) == 0)
                        (void) cvm_verify_log(ref, log, &res, &err);
        }
        cvm_verify_result_clear(&res);
        cvm_eventlog_free(log);
        cvm_reference_free(ref);
        return 0;
}
