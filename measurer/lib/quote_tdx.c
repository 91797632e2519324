/* SPDX-License-Identifier: Apache-2.0 */
/*
 * TDX TDREPORT (TDX module ABI: REPORTMACSTRUCT, TEE_TCB_INFO, TDINFO) and
 * DCAP quotes v4/v5 (Intel TDX DCAP Quote Generation Library, appendix A).
 */
#include <errno.h>

#include "cvm/quote.h"
#include "internal.h"
#include "quote_internal.h"

#define QUOTE_HEADER 48
#define BODY_10 584
#define BODY_15 648
#define QE_REPORT 384
#define ECDSA_SIG 64
#define ECDSA_KEY 64

/* The TD report body shared by quote v4 and both v5 body types. */
static void read_body(struct cvm_tdx_quote *q, const uint8_t *b) {
        memcpy(q->tee_tcb_svn, b, 16);
        memcpy(q->mrseam, b + 16, 48);
        memcpy(q->mrsignerseam, b + 64, 48);
        memcpy(q->seam_attributes, b + 112, 8);
        memcpy(q->td.attributes, b + 120, 8);
        memcpy(q->td.xfam, b + 128, 8);
        memcpy(q->td.mrtd, b + 136, 48);
        memcpy(q->td.mrconfigid, b + 184, 48);
        memcpy(q->td.mrowner, b + 232, 48);
        memcpy(q->td.mrownerconfig, b + 280, 48);
        for (int i = 0; i < 4; i++)
                memcpy(q->td.rtmr[i], b + 328 + 48 * i, 48);
        memcpy(q->td.report_data, b + 520, 64);
        if (q->body_type == 3) {
                memcpy(q->tee_tcb_svn2, b + 584, 16);
                memcpy(q->mrservicetd, b + 600, 48);
        }
}

/* QE report certification data (type 6): QE report, its signature, QE auth data, nested cert data. */
static int parse_qe_cert(struct cvm_tdx_quote *q, struct reader *r, size_t end, cvm_error *err) {
        uint32_t size;
        size_t at;

        if (end - r->off < QE_REPORT + ECDSA_SIG + 2)
                return cvm_error_set(err, EBADMSG, "offset %zu: QE report certification data of %zu bytes, expected at least %d",
                                     r->off, end - r->off, QE_REPORT + ECDSA_SIG + 2);
        q->qe_report = rd_bytes(r, QE_REPORT);
        q->qe_report_signature = rd_bytes(r, ECDSA_SIG);
        q->qe_auth_size = rd_u16(r);
        if (end - r->off < q->qe_auth_size)
                return cvm_error_set(err, EBADMSG, "offset %zu: QE auth data of %u bytes runs past the certification data",
                                     r->off - 2, q->qe_auth_size);
        r->off += q->qe_auth_size;
        if (end - r->off < 6)
                return cvm_error_set(err, EBADMSG, "offset %zu: nested certification data header missing", r->off);
        at = r->off;
        q->pck_cert_type = rd_u16(r);
        size = rd_u32(r);
        if (end - r->off < size)
                return cvm_error_set(err, EBADMSG, "offset %zu: nested certification data of %u bytes, only %zu remain",
                                     at, size, end - r->off);
        if (q->pck_cert_type == 5) {
                const uint8_t *pem = rd_bytes(r, size);
                q->pck_chain_pem = strndup((const char *) pem, size);
                if (!q->pck_chain_pem)
                        return cvm_error_set(err, ENOMEM, "out of memory");
        } else
                r->off += size;
        return 0;
}

int tdx_quote_parse(struct cvm_tdx_quote *q, const uint8_t *buf, size_t len, cvm_error *err) {
        struct reader r = { buf, len, 0 };
        size_t body_off, sig_end, cert_end;

        if (len < QUOTE_HEADER)
                return cvm_error_set(err, EBADMSG, "offset 0: TDX quote of %zu bytes, expected at least %d", len, QUOTE_HEADER);
        q->version = rd_u16(&r);
        q->att_key_type = rd_u16(&r);
        q->tee_type = rd_u32(&r);
        q->qe_svn = rd_u16(&r);
        q->pce_svn = rd_u16(&r);
        memcpy(q->qe_vendor_id, rd_bytes(&r, 16), 16);
        memcpy(q->user_data, rd_bytes(&r, 20), 20);
        if (q->version != 4 && q->version != 5)
                return cvm_error_set(err, EBADMSG, "offset 0: quote version %u, expected 4 or 5", q->version);
        if (q->tee_type != 0x81)
                return cvm_error_set(err, EBADMSG, "offset 4: TEE type 0x%x, expected 0x81 (TDX)", q->tee_type);
        if (q->att_key_type != 2 && q->att_key_type != 3)
                return cvm_error_set(err, EBADMSG, "offset 2: attestation key type %u, expected 2 or 3 (ECDSA)", q->att_key_type);

        if (q->version == 4) {
                q->body_type = 2;
                q->body_size = BODY_10;
        } else {
                if (!rd_has(&r, 6))
                        return cvm_error_set(err, EBADMSG, "offset 48: v5 quote ends before its body type and size");
                q->body_type = rd_u16(&r);
                q->body_size = rd_u32(&r);
                if (!((q->body_type == 2 && q->body_size == BODY_10) || (q->body_type == 3 && q->body_size == BODY_15)))
                        return cvm_error_set(err, EBADMSG, "offset 48: body type %u of %u bytes, expected type 2 (%d bytes) or 3 (%d bytes)",
                                             q->body_type, q->body_size, BODY_10, BODY_15);
        }
        body_off = r.off;
        if (!rd_has(&r, (size_t) q->body_size + 4))
                return cvm_error_set(err, EBADMSG, "offset %zu: quote ends inside the %u-byte TD report body", body_off, q->body_size);
        read_body(q, rd_bytes(&r, q->body_size));

        q->sig_data_len = rd_u32(&r);
        if (!rd_has(&r, q->sig_data_len))
                return cvm_error_set(err, EBADMSG, "offset %zu: signature data length %u, only %zu bytes remain",
                                     r.off - 4, q->sig_data_len, rd_left(&r));
        sig_end = r.off + q->sig_data_len;
        q->trailing = len - sig_end;
        if (q->sig_data_len < ECDSA_SIG + ECDSA_KEY + 6)
                return cvm_error_set(err, EBADMSG, "offset %zu: signature data of %u bytes, expected at least %d",
                                     r.off, q->sig_data_len, ECDSA_SIG + ECDSA_KEY + 6);
        q->signature = rd_bytes(&r, ECDSA_SIG);
        q->attestation_key = rd_bytes(&r, ECDSA_KEY);
        q->cert_type = rd_u16(&r);
        q->cert_size = rd_u32(&r);
        if (sig_end - r.off < q->cert_size)
                return cvm_error_set(err, EBADMSG, "offset %zu: certification data of %u bytes runs past the signature data",
                                     r.off - 6, q->cert_size);
        cert_end = r.off + q->cert_size;
        if (q->cert_type == 6)
                return parse_qe_cert(q, &r, cert_end, err);
        return 0;
}

int tdreport_parse(struct cvm_tdreport *t, const uint8_t *b, size_t len, cvm_error *err) {
        if (len != CVM_TDREPORT_SIZE)
                return cvm_error_set(err, EBADMSG, "offset 0: TDREPORT of %zu bytes, expected %d", len, CVM_TDREPORT_SIZE);
        if (b[0] != 0x81)
                return cvm_error_set(err, EBADMSG, "offset 0: report type 0x%02x, expected 0x81 (TDX)", b[0]);
        t->report_type = b[0];
        t->report_subtype = b[1];
        t->report_version = b[2];
        memcpy(t->cpusvn, b + 16, 16);
        memcpy(t->tee_tcb_info_hash, b + 32, 48);
        memcpy(t->tee_info_hash, b + 80, 48);
        memcpy(t->td.report_data, b + 128, 64);
        memcpy(t->mac, b + 224, 32);
        memcpy(t->tee_tcb_svn, b + 264, 16);
        memcpy(t->mrseam, b + 280, 48);
        memcpy(t->mrsignerseam, b + 328, 48);
        memcpy(t->seam_attributes, b + 376, 8);
        memcpy(t->td.attributes, b + 512, 8);
        memcpy(t->td.xfam, b + 520, 8);
        memcpy(t->td.mrtd, b + 528, 48);
        memcpy(t->td.mrconfigid, b + 576, 48);
        memcpy(t->td.mrowner, b + 624, 48);
        memcpy(t->td.mrownerconfig, b + 672, 48);
        for (int i = 0; i < 4; i++)
                memcpy(t->td.rtmr[i], b + 720 + 48 * i, 48);
        memcpy(t->servtd_hash, b + 912, 48);
        return 0;
}
