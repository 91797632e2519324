/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer harness: quote/report detection and the TDREPORT, TDX v4/v5 and TPM2 parsers. */
#include <json-c/json.h>

#include "cvm/cvm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct cvm_quote *q = NULL;
        struct json_object *o;

        if (cvm_quote_parse(data, size, &q, NULL) < 0)
                return 0;
        o = cvm_quote_to_json(q);
        json_object_to_json_string(o);
        json_object_put(o);
        cvm_quote_free(q);
        return 0;
}
