/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The CC Trusted API's calls (cvm/cc.h) as thin wrappers of libcvm's own:
 * the work is done by cvm_imr_*, cvm_platform_log_* and cvm_replay_*; this
 * file only converts between the API's IMR index (RTMR 0-3 on TDX) and
 * libcvm's CC MR index, and applies the API's defaults.  It uses the public
 * headers alone.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cvm/cc.h"
#include "cvm/register.h"
#include "cvm/replay.h"

#define CC_TDX_IMRS 4   /* RTMR0-3 */

uint16_t cvm_cc_get_default_algorithm(const cvm_imr *imr) {
        return cvm_imr_default_alg(imr);
}

uint32_t cvm_cc_get_measurement_count(const cvm_imr *imr) {
        return cvm_imr_space(imr) == CVM_SPACE_CCMR ? CC_TDX_IMRS : cvm_imr_count(imr);
}

/* libcvm's register index of an IMR index in space, or -EINVAL. */
static int native_index(enum cvm_reg_space space, uint32_t imr_index, uint32_t count) {
        if (imr_index >= count)
                return -EINVAL;
        return space == CVM_SPACE_CCMR ? cvm_rtmr_to_ccmr(imr_index) : (int) imr_index;
}

/* The IMR index of libcvm's register index in space, or -EINVAL (MRTD has none). */
static int imr_index_of(enum cvm_reg_space space, uint32_t index) {
        return space == CVM_SPACE_CCMR ? cvm_ccmr_to_rtmr(index) : (int) index;
}

int cvm_cc_get_cc_measurement(cvm_imr *imr, uint32_t imr_index, uint16_t alg, struct cvm_cc_digest *ret, cvm_error *err) {
        uint32_t count = cvm_cc_get_measurement_count(imr);
        int index = native_index(cvm_imr_space(imr), imr_index, count);
        int size, r;

        if (index < 0)
                return cvm_error_set(err, EINVAL, "IMR index %u is out of range (the platform has %u: 0-%u)", imr_index,
                                     count, count - 1);
        if (alg == CVM_CC_ALG_DEFAULT)
                alg = cvm_imr_default_alg(imr);
        size = cvm_alg_size(alg);
        if (size < 0)
                return cvm_error_set(err, EINVAL, "algorithm 0x%04x is not known", alg);
        r = cvm_imr_read(imr, (uint32_t) index, alg, ret->hash, err);
        if (r < 0)
                return r;
        ret->imr_index = imr_index;
        ret->alg = alg;
        ret->size = (uint16_t) size;
        return 0;
}

int cvm_cc_get_cc_eventlog(const struct cvm_platform_log *pl, size_t start, size_t count, struct cvm_cc_event **ret,
                           size_t *n, cvm_error *err) {
        size_t total = cvm_platform_log_count(pl), log;
        struct cvm_cc_event *events;

        if (start > total || (start == total && total > 0))
                return cvm_error_set(err, EINVAL, "start %zu is past the last event (%zu events)", start, total);
        if (count == 0)
                count = total - start;
        if (count > total - start)
                return cvm_error_set(err, EINVAL, "start %zu + count %zu is past the end (%zu events)", start, count, total);
        events = calloc(count ? count : 1, sizeof(*events));
        if (!events)
                return cvm_error_set(err, ENOMEM, "out of memory");
        for (size_t i = 0; i < count; i++) {
                const struct cvm_event *ev = cvm_platform_log_event(pl, start + i, &log);
                int imr = imr_index_of(cvm_eventlog_space(pl->logs[log]), ev->index);

                if (imr < 0) {
                        free(events);
                        return cvm_error_set(err, EBADMSG, "%s: event %zu records register %u, which has no IMR index",
                                             pl->paths[log], start + i, ev->index);
                }
                events[i] = (struct cvm_cc_event) { .imr_index = (uint32_t) imr, .event = ev };
        }
        *ret = events;
        *n = count;
        return 0;
}

int cvm_cc_get_cc_report(cvm_imr *imr, const uint8_t *nonce, size_t nonce_len, const uint8_t *data, size_t data_len,
                         const struct cvm_report_request *extra, struct cvm_report **ret, cvm_error *err) {
        struct cvm_report_request req = { 0 };

        if (extra)
                req = *extra;
        req.nonce = nonce;
        req.nonce_len = nonce_len;
        req.user_data = data;
        req.user_data_len = data_len;
        req.report_data = NULL;
        req.report_data_len = 0;
        return cvm_imr_report(imr, &req, ret, err);
}

/* The registers of replay r as the API keys them; MRTD (no IMR index) is left out. */
static int replayed_to_cc(const cvm_replay *r, struct cvm_cc_digest **ret, size_t *n, cvm_error *err) {
        const struct cvm_register_value *regs;
        size_t nregs = cvm_replay_registers(r, &regs), k = 0;
        struct cvm_cc_digest *out = calloc(nregs ? nregs : 1, sizeof(*out));

        if (!out)
                return cvm_error_set(err, ENOMEM, "out of memory");
        for (size_t i = 0; i < nregs; i++) {
                int imr = imr_index_of(regs[i].space, regs[i].index);

                if (imr < 0)
                        continue;
                out[k] = (struct cvm_cc_digest) { .imr_index = (uint32_t) imr, .alg = regs[i].alg, .size = regs[i].size };
                memcpy(out[k].hash, regs[i].digest, regs[i].size);
                k++;
        }
        *ret = out;
        *n = k;
        return 0;
}

int cvm_cc_replay_cc_eventlog(const struct cvm_platform_log *pl, struct cvm_cc_digest **ret, size_t *n, cvm_error *err) {
        cvm_replay *r = NULL;
        int rc = cvm_replay_new(NULL, 0, &r, err);

        for (size_t i = 0; rc >= 0 && i < pl->nlogs; i++)
                rc = cvm_replay_add_log(r, pl->logs[i], err);
        if (rc >= 0)
                rc = replayed_to_cc(r, ret, n, err);
        cvm_replay_free(r);
        return rc < 0 ? rc : 0;
}
