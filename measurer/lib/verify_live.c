/* SPDX-License-Identifier: Apache-2.0 */
/* The live half of verify: this boot's registers against a manifest, for cvm-evidence verify and cvm-evidenced. */
#include <string.h>

#include "cvm/replay.h"
#include "cvm/verify.h"
#include "internal.h"

static void replay_freep(cvm_replay **p) {
        cvm_replay_free(*p);
}

/*
 * A register that only the runtime log extends must equal the manifest's
 * value; one that the firmware's or IMA's log also extends (RTMR2 on TDX)
 * can only be checked against the replay of every log of this boot.
 */
int cvm_verify_live(const cvm_reference *ref, cvm_imr *imr, const struct cvm_platform_log *pl, const char *runtime_log,
                    struct cvm_verify_result *res, cvm_error *err) {
        _cleanup_(replay_freep) cvm_replay *all = NULL, *others = NULL;
        uint16_t alg = cvm_reference_alg(ref);
        const uint32_t *regs;
        size_t n = cvm_reference_registers(ref, &regs);
        int r;

        if ((r = cvm_replay_new(&alg, 1, &all, err)) < 0 || (r = cvm_replay_new(&alg, 1, &others, err)) < 0)
                return r;
        for (size_t i = 0; i < pl->nlogs; i++)
                if ((r = cvm_replay_add_log(all, pl->logs[i], err)) < 0 ||
                    (strcmp(pl->paths[i], runtime_log) != 0 && (r = cvm_replay_add_log(others, pl->logs[i], err)) < 0))
                        return cvm_error_prefix(err, "%s: ", pl->paths[i]);
        for (size_t i = 0; i < n; i++) {
                uint8_t live[CVM_DIGEST_MAX];
                const struct cvm_register_value *shared = cvm_replay_find(others, regs[i], alg);
                const struct cvm_register_value *v = shared ? cvm_replay_find(all, regs[i], alg) : NULL;
                if ((r = cvm_imr_read(imr, regs[i], alg, live, err)) < 0 ||
                    (r = cvm_verify_register(ref, regs[i], live, (size_t) cvm_alg_size(alg), v ? v->digest : NULL,
                                             v ? v->size : 0, res, err)) < 0)
                        return r;
        }
        return 0;
}
