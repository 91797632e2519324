/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer harness: cvm-evidence reference-values' input.  The first byte picks
 * the format; the rest is a manifest, exported as that format.
 */
#include <json-c/json.h>

#include "cvm/cvm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static const struct cvm_rv_subject subject = { "image.qcow2", "00" };
        struct json_object *o = NULL;
        cvm_error err = { 0 };
        enum cvm_rv_format fmt;

        if (size < 1)
                return 0;
        fmt = (enum cvm_rv_format) (CVM_RV_RVPS + data[0] % 3);
        if (cvm_reference_export(data + 1, size - 1, "fuzz.json", fmt, data[0] & 4 ? &subject : NULL, NULL, &o, &err) == 0) {
                json_object_to_json_string(o);
                json_object_put(o);
        }
        return 0;
}
