/* SPDX-License-Identifier: Apache-2.0 */
/* A PCR-space prediction mapped into the TDX CC MR space (cvm/ccmap.h). */
#include <errno.h>

#include "cvm/ccmap.h"
#include "cvm/digest.h"
#include "internal.h"

static void eventlog_freep(cvm_eventlog **p) {
        cvm_eventlog_free(*p);
}

static int map_event(const struct cvm_event *ev, cvm_eventlog *out, size_t *skipped, cvm_error *err) {
        const struct cvm_event_digest *d;
        int ccmr;

        if (!cvm_event_is_extended(ev))
                return 0;
        if (ev->index == 0) {
                (*skipped)++;
                return 0;
        }
        ccmr = cvm_pcr_to_ccmr(ev->index);
        if (ccmr < 0)
                return cvm_error_set(err, EINVAL, "event %llu: PCR%u has no CC measurement register under the UEFI TDX mapping",
                                     (unsigned long long) ev->recnum, ev->index);
        d = cvm_event_digest(ev, CVM_ALG_SHA384);
        if (!d || d->size != 48)
                return cvm_error_set(err, EBADMSG, "event %llu (PCR%u): no SHA-384 digest; the RTMRs need the SHA-384 bank",
                                     (unsigned long long) ev->recnum, ev->index);
        return cvm_eventlog_append(out, (uint32_t) ccmr, ev->type, d, 1, ev->data, ev->data_len, err);
}

int cvm_eventlog_map_cc(const cvm_eventlog *pcr_log, cvm_eventlog **ret, size_t *skipped, cvm_error *err) {
        static const struct cvm_log_alg sha384 = { .alg = CVM_ALG_SHA384, .size = 48 };
        _cleanup_(eventlog_freep) cvm_eventlog *out = NULL;
        size_t nskipped = 0;
        int r;

        if (!pcr_log || !ret)
                return cvm_error_set(err, EINVAL, "cvm_eventlog_map_cc: NULL argument");
        if (cvm_eventlog_space(pcr_log) != CVM_SPACE_PCR)
                return cvm_error_set(err, EINVAL, "the log is already in the CC MR space");
        if ((r = cvm_eventlog_new_tcg2(CVM_SPACE_CCMR, &sha384, 1, &out, err)) < 0)
                return r;
        for (size_t i = 0; i < cvm_eventlog_count(pcr_log); i++)
                if ((r = map_event(cvm_eventlog_event(pcr_log, i), out, &nskipped, err)) < 0)
                        return r;
        if (skipped)
                *skipped = nskipped;
        *ret = TAKE_PTR(out);
        return 0;
}
