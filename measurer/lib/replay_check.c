/* SPDX-License-Identifier: Apache-2.0 */
/* cvm_replay_check: a replay against the live registers, register by register and bank by bank. */
#include <errno.h>

#include "cvm/platform.h"
#include "internal.h"

int cvm_replay_check(const cvm_replay *r, cvm_imr *imr, struct cvm_register_check **ret, size_t *n, cvm_error *err) {
        enum cvm_reg_space space = cvm_imr_space(imr);
        uint32_t first = space == CVM_SPACE_CCMR ? 1 : 0, count = cvm_imr_count(imr);
        const uint16_t *active;
        uint16_t banks[CVM_LOG_MAX_ALGS];
        size_t nactive = cvm_imr_banks(imr, &active), nbanks = 0, k = 0;
        struct cvm_register_check *c;
        int mismatches = 0;

        /* A replay limited to some banks (replay --bank) is checked in those alone. */
        for (size_t b = 0; b < nactive && nbanks < CVM_LOG_MAX_ALGS; b++)
                if (cvm_replay_computes(r, active[b]))
                        banks[nbanks++] = active[b];

        c = calloc((size_t) (count - first) * nbanks + 1, sizeof(*c));
        if (!c)
                return cvm_error_set(err, ENOMEM, "out of memory");
        for (size_t b = 0; b < nbanks; b++) {
                uint8_t live[CVM_PCR_MAX * CVM_DIGEST_MAX];
                size_t size = (size_t) cvm_alg_size(banks[b]);
                int rr = cvm_imr_read_bank(imr, banks[b], live, err);

                if (rr < 0) {
                        free(c);
                        return rr;
                }
                for (uint32_t i = first; i < count; i++) {
                        const struct cvm_register_value *v = cvm_replay_find(r, i, banks[b]);
                        struct cvm_register_check *x = &c[(size_t) (i - first) * nbanks + b];

                        x->index = i;
                        x->alg = banks[b];
                        x->size = (uint16_t) size;
                        memcpy(x->live, live + i * size, size);
                        if (v) {
                                memcpy(x->replayed, v->digest, size);
                                x->nextends = v->nextends;
                        } else
                                memset(x->replayed, cvm_register_reset_byte(space, i), size);
                        x->match = memcmp(x->live, x->replayed, size) == 0;
                        mismatches += !x->match;
                        k++;
                }
        }
        *ret = c;
        *n = k;
        return mismatches;
}
