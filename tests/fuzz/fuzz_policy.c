/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer harness: the cvm-measure policy parser (YAML through libyaml, then the schema checks). */
#include "cvm/cvm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct cvm_policy *p = NULL;
        cvm_error err = { 0 };

        if (cvm_policy_parse(data, size, "fuzz.yaml", &p, &err) < 0)
                return 0;
        for (size_t g = 0; g < p->ngroups; g++)
                (void) cvm_policy_group_register(&p->groups[g], CVM_SPACE_PCR);
        cvm_policy_free(p);
        return 0;
}
