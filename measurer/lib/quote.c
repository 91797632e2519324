/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>

#include "cvm/quote.h"
#include "internal.h"
#include "quote_internal.h"

void cvm_quote_free(struct cvm_quote *q) {
        if (!q)
                return;
        if (q->type == CVM_QUOTE_TDX)
                free(q->tdx.pck_chain_pem);
        free(q->raw);
        free(q);
}

int cvm_quote_parse(const uint8_t *buf, size_t len, struct cvm_quote **ret, cvm_error *err) {
        struct cvm_quote *q;
        int r;

        if (len == 0)
                return cvm_error_set(err, EBADMSG, "offset 0: empty input, expected a quote or report");
        if (len > CVM_INPUT_MAX)
                return cvm_error_set(err, EFBIG, "input of %zu bytes is too large for a quote", len);
        q = calloc(1, sizeof(*q));
        if (!q)
                return cvm_error_set(err, ENOMEM, "out of memory");
        q->raw = malloc(len);
        if (!q->raw) {
                free(q);
                return cvm_error_set(err, ENOMEM, "out of memory");
        }
        memcpy(q->raw, buf, len);
        q->raw_len = len;

        if (len >= 4 && be32(buf) == 0xff544347) {
                q->type = CVM_QUOTE_TPM2;
                r = tpm2_quote_parse(&q->tpm2, q->raw, len, err);
        } else if (len >= 6 && (size_t) (buf[0] << 8 | buf[1]) == len - 2 && be32(buf + 2) == 0xff544347) {
                /* A TPM2B_ATTEST, as tpm2_quote --message writes it on some versions. */
                q->type = CVM_QUOTE_TPM2;
                r = tpm2_quote_parse(&q->tpm2, q->raw + 2, len - 2, err);
        } else if (len == CVM_TDREPORT_SIZE && buf[0] == 0x81) {
                q->type = CVM_QUOTE_TDREPORT;
                r = tdreport_parse(&q->tdreport, q->raw, len, err);
        } else if (len >= 8 && (le16(buf) == 4 || le16(buf) == 5) && le32(buf + 4) == 0x81) {
                q->type = CVM_QUOTE_TDX;
                r = tdx_quote_parse(&q->tdx, q->raw, len, err);
        } else
                r = cvm_error_set(err, EBADMSG, "offset 0: not a TDREPORT (1024 bytes, type 0x81), a TDX quote "
                                  "(version 4/5, TEE type 0x81) or a TPM2 quote (magic ff544347)");
        if (r < 0) {
                cvm_quote_free(q);
                return r;
        }
        *ret = q;
        return 0;
}

int cvm_quote_load(const char *path, struct cvm_quote **ret, cvm_error *err) {
        _cleanup_free_ uint8_t *buf = NULL;
        size_t len;
        int r;

        r = read_file(path, CVM_QUOTE_MAX, &buf, &len, err);
        if (r < 0)
                return r;
        r = cvm_quote_parse(buf, len, ret, err);
        return r < 0 ? cvm_error_prefix(err, "%s: ", path) : 0;
}

const char *cvm_quote_type_name(enum cvm_quote_type type) {
        switch (type) {
        case CVM_QUOTE_TDREPORT:
                return "tdreport";
        case CVM_QUOTE_TDX:
                return "tdx-quote";
        case CVM_QUOTE_TPM2:
                return "tpm2-quote";
        }
        return "unknown";
}

const struct cvm_td_measurements *cvm_quote_td(const struct cvm_quote *q) {
        if (q->type == CVM_QUOTE_TDX)
                return &q->tdx.td;
        if (q->type == CVM_QUOTE_TDREPORT)
                return &q->tdreport.td;
        return NULL;
}
