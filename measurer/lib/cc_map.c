/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A PCR-space prediction mapped into the TDX CC MR space (cvm/ccmap.h), with
 * the separators as OVMF's TdTcg2Dxe measures them: it measures PCR7's
 * separator after the Secure Boot variables, as Tcg2Dxe does, but at
 * ReadyToBoot only one separator where Tcg2Dxe measures one per PCR0-6.
 */
#include <errno.h>
#include <strings.h>

#include "cvm/ccmap.h"
#include "cvm/digest.h"
#include "internal.h"

struct map_state {
        enum cvm_cc_separator sep;
        bool ready_to_boot_done;    /* the one ReadyToBoot separator is written */
        size_t skipped;
};

static void eventlog_freep(cvm_eventlog **p) {
        cvm_eventlog_free(*p);
}

int cvm_cc_separator_from_name(const char *name, enum cvm_cc_separator *ret) {
        if (!name || !ret)
                return -EINVAL;
        if (strcasecmp(name, "rtmr1") == 0)
                *ret = CVM_CC_SEPARATOR_RTMR1;
        else if (strcasecmp(name, "rtmr0") == 0)
                *ret = CVM_CC_SEPARATOR_RTMR0;
        else
                return -EINVAL;
        return 0;
}

/* The CC MR index an event goes to, or 0 when TDVF does not log it. */
static int target(const struct cvm_event *ev, struct map_state *st, cvm_error *err) {
        int ccmr = cvm_pcr_to_ccmr(ev->index);

        if (ccmr < 0)
                return cvm_error_set(err, EINVAL, "event %llu: PCR%u has no CC measurement register under the UEFI TDX mapping",
                                     (unsigned long long) ev->recnum, ev->index);
        if (ev->type != CVM_EV_SEPARATOR || ev->index == 7)
                return ev->index == 0 ? 0 : ccmr;
        if (ev->index > 7)
                return ccmr;
        if (st->ready_to_boot_done)
                return 0;
        st->ready_to_boot_done = true;
        return st->sep == CVM_CC_SEPARATOR_RTMR1 ? cvm_rtmr_to_ccmr(1) : cvm_rtmr_to_ccmr(0);
}

static int map_event(const struct cvm_event *ev, cvm_eventlog *out, struct map_state *st, cvm_error *err) {
        const struct cvm_event_digest *d;
        int ccmr;

        if (!cvm_event_is_extended(ev))
                return 0;
        if ((ccmr = target(ev, st, err)) < 0)
                return ccmr;
        if (ccmr == 0) {
                st->skipped++;
                return 0;
        }
        d = cvm_event_digest(ev, CVM_ALG_SHA384);
        if (!d || d->size != 48)
                return cvm_error_set(err, EBADMSG, "event %llu (PCR%u): no SHA-384 digest; the RTMRs need the SHA-384 bank",
                                     (unsigned long long) ev->recnum, ev->index);
        return cvm_eventlog_append(out, (uint32_t) ccmr, ev->type, d, 1, ev->data, ev->data_len, err);
}

int cvm_eventlog_map_cc(const cvm_eventlog *pcr_log, enum cvm_cc_separator sep, cvm_eventlog **ret,
                        size_t *skipped, cvm_error *err) {
        static const struct cvm_log_alg sha384 = { .alg = CVM_ALG_SHA384, .size = 48 };
        _cleanup_(eventlog_freep) cvm_eventlog *out = NULL;
        struct map_state st = { .sep = sep };
        int r;

        if (!pcr_log || !ret || (sep != CVM_CC_SEPARATOR_RTMR1 && sep != CVM_CC_SEPARATOR_RTMR0))
                return cvm_error_set(err, EINVAL, "cvm_eventlog_map_cc: bad argument");
        if (cvm_eventlog_space(pcr_log) != CVM_SPACE_PCR)
                return cvm_error_set(err, EINVAL, "the log is already in the CC MR space");
        if ((r = cvm_eventlog_new_tcg2(CVM_SPACE_CCMR, &sha384, 1, &out, err)) < 0)
                return r;
        for (size_t i = 0; i < cvm_eventlog_count(pcr_log); i++)
                if ((r = map_event(cvm_eventlog_event(pcr_log, i), out, &st, err)) < 0)
                        return r;
        if (skipped)
                *skipped = st.skipped;
        *ret = TAKE_PTR(out);
        return 0;
}
