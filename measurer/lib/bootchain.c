/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The boot chain prediction as a TCG2 log: events whose digests are computed
 * here from the image's bytes, in the order and with the data the firmware
 * (EDK2/OVMF) records them, and the event-by-event comparison with a real log.
 */
#include <errno.h>
#include <string.h>

#include "cvm/bootchain.h"
#include "cvm/digest.h"
#include "internal.h"

static const struct cvm_log_alg bootchain_algs[] = {
        { CVM_ALG_SHA1, 20 },
        { CVM_ALG_SHA256, 32 },
        { CVM_ALG_SHA384, 48 },
};
#define NALGS (sizeof(bootchain_algs) / sizeof(bootchain_algs[0]))

size_t cvm_bootchain_algs(const struct cvm_log_alg **ret) {
        *ret = bootchain_algs;
        return NALGS;
}

int cvm_bootchain_new(cvm_eventlog **ret, cvm_error *err) {
        return cvm_eventlog_new_tcg2(CVM_SPACE_PCR, bootchain_algs, NALGS, ret, err);
}

/* Append with precomputed digests out[i] in bootchain_algs' banks. */
static int append_digests(cvm_eventlog *log, uint32_t index, uint32_t type, uint8_t (*out)[CVM_DIGEST_MAX],
                          const void *data, size_t data_len, cvm_error *err) {
        struct cvm_event_digest d[NALGS];

        for (size_t i = 0; i < NALGS; i++)
                d[i] = (struct cvm_event_digest) { bootchain_algs[i].alg, bootchain_algs[i].size, out[i] };
        return cvm_eventlog_append(log, index, type, d, NALGS, data, data_len, err);
}

int cvm_bootchain_append_hashed(cvm_eventlog *log, uint32_t index, uint32_t type,
                                const void *hashed, size_t hashed_len,
                                const void *data, size_t data_len, cvm_error *err) {
        uint8_t out[NALGS][CVM_DIGEST_MAX];
        int r;

        for (size_t i = 0; i < NALGS; i++) {
                r = cvm_digest(bootchain_algs[i].alg, hashed, hashed_len, out[i], err);
                if (r < 0)
                        return r;
        }
        return append_digests(log, index, type, out, data, data_len, err);
}

int cvm_bootchain_append_data(cvm_eventlog *log, uint32_t index, uint32_t type,
                              const void *data, size_t data_len, cvm_error *err) {
        return cvm_bootchain_append_hashed(log, index, type, data, data_len, data, data_len, err);
}

int cvm_bootchain_append_separator(cvm_eventlog *log, uint32_t index, cvm_error *err) {
        static const uint8_t zero[4];

        return cvm_bootchain_append_data(log, index, CVM_EV_SEPARATOR, zero, sizeof(zero), err);
}

int cvm_bootchain_append_pe(cvm_eventlog *log, const uint8_t *pe, size_t pe_len,
                            const uint8_t *dp, size_t dp_len, cvm_error *err) {
        uint8_t out[NALGS][CVM_DIGEST_MAX];
        _cleanup_free_ uint8_t *data = NULL;
        size_t n = 32 + dp_len;
        int r;

        for (size_t i = 0; i < NALGS; i++) {
                r = cvm_pe_authenticode(pe, pe_len, bootchain_algs[i].alg, out[i], err);
                if (r < 0)
                        return r;
        }
        /* UEFI_IMAGE_LOAD_EVENT: location, length, link-time address (UINT64 each), device path length, path. */
        data = calloc(1, n);
        if (!data)
                return cvm_error_set(err, ENOMEM, "out of memory");
        put_le32(data + 8, (uint32_t) pe_len);
        put_le32(data + 12, (uint32_t) ((uint64_t) pe_len >> 32));
        put_le32(data + 24, (uint32_t) dp_len);
        put_le32(data + 28, (uint32_t) ((uint64_t) dp_len >> 32));
        if (dp_len > 0)
                memcpy(data + 32, dp, dp_len);
        return append_digests(log, 4, CVM_EV_EFI_BOOT_SERVICES_APPLICATION, out, data, n, err);
}

static int append_action(cvm_eventlog *log, uint32_t index, const char *s, cvm_error *err) {
        return cvm_bootchain_append_data(log, index, CVM_EV_EFI_ACTION, s, strlen(s), err);
}

int cvm_bootchain_firmware_start(cvm_eventlog *log, const uint8_t *gpt, size_t gpt_len, cvm_error *err) {
        int r;

        r = append_action(log, 4, CVM_BOOT_ACTION_CALLING_EFI_APP, err);
        if (r < 0)
                return r;
        for (uint32_t i = 4; i <= 5; i++) {
                r = cvm_bootchain_append_separator(log, i, err);
                if (r < 0)
                        return r;
        }
        if (gpt_len == 0)
                return 0;
        return cvm_bootchain_append_data(log, 5, CVM_EV_EFI_GPT_EVENT, gpt, gpt_len, err);
}

int cvm_bootchain_firmware_exit(cvm_eventlog *log, cvm_error *err) {
        int r;

        r = append_action(log, 5, CVM_BOOT_ACTION_EXIT_BS, err);
        if (r < 0)
                return r;
        return append_action(log, 5, CVM_BOOT_ACTION_EXIT_BS_SUCCESS, err);
}

/* The extended events of register index, in order; *ret malloc'ed. */
static int events_of(const cvm_eventlog *log, uint32_t index, const struct cvm_event ***ret, size_t *n) {
        size_t count = cvm_eventlog_count(log), k = 0;
        const struct cvm_event **v = calloc(count + 1, sizeof(*v));

        if (!v)
                return -ENOMEM;
        for (size_t i = 0; i < count; i++) {
                const struct cvm_event *ev = cvm_eventlog_event(log, i);
                if (ev->index == index && cvm_event_is_extended(ev))
                        v[k++] = ev;
        }
        *ret = v;
        *n = k;
        return 0;
}

/* Same type and the same digest in every bank both events carry (at least one). */
static bool event_equal(const struct cvm_event *a, const struct cvm_event *b) {
        size_t common = 0;

        if (a->type != b->type)
                return false;
        for (uint32_t i = 0; i < a->ndigests; i++) {
                const struct cvm_event_digest *o = cvm_event_digest(b, a->digests[i].alg);
                if (!o)
                        continue;
                if (o->size != a->digests[i].size || memcmp(o->bytes, a->digests[i].bytes, o->size) != 0)
                        return false;
                common++;
        }
        return common > 0;
}

int cvm_bootchain_compare(const cvm_eventlog *predicted, const cvm_eventlog *actual, uint32_t index,
                          struct cvm_bootchain_diff *ret, cvm_error *err) {
        _cleanup_free_ const struct cvm_event **want = NULL, **got = NULL;
        size_t nw, ng, i;

        if (events_of(predicted, index, &want, &nw) < 0 || events_of(actual, index, &got, &ng) < 0)
                return cvm_error_set(err, ENOMEM, "out of memory");
        for (i = 0; i < nw && i < ng; i++)
                if (!event_equal(want[i], got[i]))
                        break;
        *ret = (struct cvm_bootchain_diff) {
                .index = index,
                .match = i == nw && i == ng,
                .predicted = nw,
                .actual = ng,
                .first = i,
                .want = want[i],
                .got = got[i],
        };
        return 0;
}
