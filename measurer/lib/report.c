/* SPDX-License-Identifier: Apache-2.0 */
/* cvm_imr_report: the report data binding and the checks every quote passes before it is returned. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cvm/digest.h"
#include "cvm/encoding.h"
#include "imr_internal.h"

int cvm_report_data(const struct cvm_report_request *req, uint8_t out[CVM_REPORT_DATA_SIZE], size_t *ret_len,
                    cvm_error *err) {
        _cleanup_free_ uint8_t *cat = NULL;
        size_t n;

        memset(out, 0, CVM_REPORT_DATA_SIZE);
        if (req->report_data) {
                if (req->nonce || req->user_data)
                        return cvm_error_set(err, EINVAL, "raw report data excludes a nonce and user data");
                if (req->report_data_len == 0 || req->report_data_len > CVM_REPORT_DATA_SIZE)
                        return cvm_error_set(err, EINVAL, "report data of %zu bytes: expected 1 to %d", req->report_data_len,
                                             CVM_REPORT_DATA_SIZE);
                memcpy(out, req->report_data, req->report_data_len);
                *ret_len = req->report_data_len;
                return 0;
        }
        *ret_len = CVM_REPORT_DATA_SIZE;
        if (!req->nonce && !req->user_data)
                return 0;
        if (req->nonce_len > SIZE_MAX / 2 || req->user_data_len > SIZE_MAX / 2)
                return cvm_error_set(err, EINVAL, "nonce or user data too large");
        n = req->nonce_len + req->user_data_len;
        cat = malloc(n ? n : 1);
        if (!cat)
                return cvm_error_set(err, ENOMEM, "out of memory");
        if (req->nonce_len)
                memcpy(cat, req->nonce, req->nonce_len);
        if (req->user_data_len)
                memcpy(cat + req->nonce_len, req->user_data, req->user_data_len);
        return cvm_digest(CVM_ALG_SHA512, cat, n, out, err);
}

/* The quote must carry the report data asked for, else it is someone else's (or an old) quote. */
static int check_binding(const struct cvm_report *rep, cvm_error *err) {
        const struct cvm_quote *q = rep->parsed;
        const struct cvm_td_measurements *td = cvm_quote_td(q);
        char want[2 * CVM_REPORT_DATA_SIZE + 1], got[2 * CVM_REPORT_DATA_SIZE + 1];

        if (td) {
                if (memcmp(td->report_data, rep->report_data, CVM_REPORT_DATA_SIZE) == 0)
                        return 0;
                return cvm_error_set(err, ESTALE, "the quote's REPORTDATA %s is not the %s asked for (a stale quote, "
                                     "or another writer's)", cvm_hex(td->report_data, CVM_REPORT_DATA_SIZE, got),
                                     cvm_hex(rep->report_data, CVM_REPORT_DATA_SIZE, want));
        }
        if (q->tpm2.extra_data_size == rep->report_data_len &&
            memcmp(q->tpm2.extra_data, rep->report_data, rep->report_data_len) == 0)
                return 0;
        return cvm_error_set(err, ESTALE, "the quote's qualifying data %s is not the %s asked for",
                             cvm_hex(q->tpm2.extra_data, q->tpm2.extra_data_size, got),
                             cvm_hex(rep->report_data, rep->report_data_len, want));
}

int cvm_imr_report(cvm_imr *imr, const struct cvm_report_request *req, struct cvm_report **ret, cvm_error *err) {
        struct cvm_report *rep;
        int r;

        if (!imr->ops->report)
                return cvm_error_set(err, EOPNOTSUPP, "the %s backend cannot quote%s", cvm_backend_name(imr->backend),
                                     imr->backend == CVM_BACKEND_SIM ? ": it has no key, and a simulated quote would prove nothing" : "");
        rep = calloc(1, sizeof(*rep));
        if (!rep)
                return cvm_error_set(err, ENOMEM, "out of memory");
        r = cvm_report_data(req, rep->report_data, &rep->report_data_len, err);
        if (r >= 0)
                r = imr->ops->report(imr, req, rep->report_data, rep->report_data_len, rep, err);
        if (r >= 0) {
                r = cvm_quote_parse(rep->quote, rep->quote_len, &rep->parsed, err);
                if (r < 0)
                        cvm_error_prefix(err, "the quote returned by %s: ", rep->source);
        }
        if (r >= 0)
                r = check_binding(rep, err);
        if (r < 0) {
                cvm_report_free(rep);
                return r;
        }
        rep->type = rep->parsed->type;
        *ret = rep;
        return 0;
}

void cvm_report_free(struct cvm_report *rep) {
        if (!rep)
                return;
        free(rep->quote);
        free(rep->signature);
        free(rep->ak_public);
        free(rep->ak_pem);
        free(rep->pcrs);
        cvm_quote_free(rep->parsed);
        free(rep);
}
