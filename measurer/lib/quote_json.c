/* SPDX-License-Identifier: Apache-2.0 */
#include <json-c/json.h>

#include "cvm/digest.h"
#include "cvm/encoding.h"
#include "cvm/json.h"

static void add_hex(struct json_object *o, const char *k, const uint8_t *p, size_t n) {
        char *s = cvm_hex_alloc(p, n);
        json_object_object_add(o, k, s ? json_object_new_string(s) : NULL);
        free(s);
}

static void add_td(struct json_object *o, const struct cvm_td_measurements *td) {
        struct json_object *rtmr = json_object_new_array();

        add_hex(o, "td_attributes", td->attributes, 8);
        add_hex(o, "xfam", td->xfam, 8);
        add_hex(o, "mrtd", td->mrtd, 48);
        add_hex(o, "mrconfigid", td->mrconfigid, 48);
        add_hex(o, "mrowner", td->mrowner, 48);
        add_hex(o, "mrownerconfig", td->mrownerconfig, 48);
        for (int i = 0; i < 4; i++) {
                char *s = cvm_hex_alloc(td->rtmr[i], 48);
                json_object_array_add(rtmr, s ? json_object_new_string(s) : NULL);
                free(s);
        }
        json_object_object_add(o, "rtmr", rtmr);
        add_hex(o, "report_data", td->report_data, 64);
}

static void tdx_quote_json(struct json_object *o, const struct cvm_tdx_quote *q) {
        json_object_object_add(o, "version", json_object_new_int(q->version));
        json_object_object_add(o, "att_key_type", json_object_new_int(q->att_key_type));
        json_object_object_add(o, "tee_type", json_object_new_int64(q->tee_type));
        json_object_object_add(o, "qe_svn", json_object_new_int(q->qe_svn));
        json_object_object_add(o, "pce_svn", json_object_new_int(q->pce_svn));
        add_hex(o, "qe_vendor_id", q->qe_vendor_id, 16);
        add_hex(o, "user_data", q->user_data, 20);
        json_object_object_add(o, "body_type", json_object_new_int(q->body_type));
        add_hex(o, "tee_tcb_svn", q->tee_tcb_svn, 16);
        add_hex(o, "mrseam", q->mrseam, 48);
        add_hex(o, "mrsignerseam", q->mrsignerseam, 48);
        add_hex(o, "seam_attributes", q->seam_attributes, 8);
        add_td(o, &q->td);
        if (q->body_type == 3) {
                add_hex(o, "tee_tcb_svn2", q->tee_tcb_svn2, 16);
                add_hex(o, "mrservicetd", q->mrservicetd, 48);
        }
        json_object_object_add(o, "signature_data_length", json_object_new_int64(q->sig_data_len));
        add_hex(o, "signature", q->signature, 64);
        add_hex(o, "attestation_key", q->attestation_key, 64);
        json_object_object_add(o, "certification_data_type", json_object_new_int(q->cert_type));
        if (q->qe_report) {
                add_hex(o, "qe_report", q->qe_report, 384);
                add_hex(o, "qe_report_signature", q->qe_report_signature, 64);
                json_object_object_add(o, "qe_auth_data_size", json_object_new_int(q->qe_auth_size));
                json_object_object_add(o, "pck_certification_data_type", json_object_new_int(q->pck_cert_type));
        }
        if (q->pck_chain_pem)
                json_object_object_add(o, "pck_cert_chain", json_object_new_string(q->pck_chain_pem));
        if (q->trailing)
                json_object_object_add(o, "trailing_bytes", json_object_new_int64((int64_t) q->trailing));
}

static void tdreport_json(struct json_object *o, const struct cvm_tdreport *t) {
        json_object_object_add(o, "version", json_object_new_int(t->report_version));
        json_object_object_add(o, "report_subtype", json_object_new_int(t->report_subtype));
        add_hex(o, "cpusvn", t->cpusvn, 16);
        add_hex(o, "tee_tcb_info_hash", t->tee_tcb_info_hash, 48);
        add_hex(o, "tee_info_hash", t->tee_info_hash, 48);
        add_hex(o, "mac", t->mac, 32);
        add_hex(o, "tee_tcb_svn", t->tee_tcb_svn, 16);
        add_hex(o, "mrseam", t->mrseam, 48);
        add_hex(o, "mrsignerseam", t->mrsignerseam, 48);
        add_hex(o, "seam_attributes", t->seam_attributes, 8);
        add_td(o, &t->td);
        if (t->report_version >= 1)
                add_hex(o, "servtd_hash", t->servtd_hash, 48);
}

static void tpm2_quote_json(struct json_object *o, const struct cvm_tpm2_quote *q) {
        struct json_object *sel = json_object_new_array();

        json_object_object_add(o, "version", json_object_new_int(2));
        add_hex(o, "magic", (const uint8_t[]) { 0xff, 0x54, 0x43, 0x47 }, 4);
        json_object_object_add(o, "attest_type", json_object_new_int(q->type));
        add_hex(o, "qualified_signer", q->signer, q->signer_size);
        add_hex(o, "extra_data", q->extra_data, q->extra_data_size);
        json_object_object_add(o, "clock", json_object_new_uint64(q->clock));
        json_object_object_add(o, "reset_count", json_object_new_int64(q->reset_count));
        json_object_object_add(o, "restart_count", json_object_new_int64(q->restart_count));
        json_object_object_add(o, "safe", json_object_new_boolean(q->safe));
        json_object_object_add(o, "firmware_version", json_object_new_uint64(q->firmware_version));
        for (uint32_t i = 0; i < q->nselections; i++) {
                struct json_object *s = json_object_new_object(), *pcrs = json_object_new_array();
                const char *alg = cvm_alg_name(q->selections[i].alg);
                json_object_object_add(s, "alg", json_object_new_string(alg ? alg : "unknown"));
                for (int p = 0; p < 8 * q->selections[i].size; p++)
                        if (q->selections[i].select[p / 8] & (1 << (p % 8)))
                                json_object_array_add(pcrs, json_object_new_int(p));
                json_object_object_add(s, "pcrs", pcrs);
                json_object_array_add(sel, s);
        }
        json_object_object_add(o, "pcr_selection", sel);
        add_hex(o, "pcr_digest", q->pcr_digest, q->pcr_digest_size);
}

struct json_object *cvm_quote_to_json(const struct cvm_quote *q) {
        struct json_object *o = json_object_new_object();

        if (!o)
                return NULL;
        json_object_object_add(o, "type", json_object_new_string(cvm_quote_type_name(q->type)));
        switch (q->type) {
        case CVM_QUOTE_TDX:
                tdx_quote_json(o, &q->tdx);
                break;
        case CVM_QUOTE_TDREPORT:
                tdreport_json(o, &q->tdreport);
                break;
        case CVM_QUOTE_TPM2:
                tpm2_quote_json(o, &q->tpm2);
                break;
        }
        return o;
}

struct json_object *cvm_report_to_json(const struct cvm_report *rep) {
        struct json_object *o = json_object_new_object();

        if (!o)
                return NULL;
        json_object_object_add(o, "type", json_object_new_string(cvm_quote_type_name(rep->type)));
        json_object_object_add(o, "source", json_object_new_string(rep->source));
        add_hex(o, "report_data", rep->report_data, rep->report_data_len);
        add_hex(o, "quote", rep->quote, rep->quote_len);
        if (rep->type == CVM_QUOTE_TPM2) {
                struct json_object *pcrs = json_object_new_array();
                add_hex(o, "signature", rep->signature, rep->signature_len);
                add_hex(o, "ak_public", rep->ak_public, rep->ak_public_len);
                json_object_object_add(o, "ak_pem", rep->ak_pem ? json_object_new_string(rep->ak_pem) : NULL);
                for (size_t i = 0; i < rep->npcrs; i++) {
                        struct json_object *p = json_object_new_object();
                        char name[CVM_REG_NAME_MAX];
                        json_object_object_add(p, "index", json_object_new_int64(rep->pcrs[i].index));
                        json_object_object_add(p, "name",
                                               json_object_new_string(cvm_register_name(CVM_SPACE_PCR, rep->pcrs[i].index, name)));
                        json_object_object_add(p, "alg", json_object_new_string(cvm_alg_name(rep->pcrs[i].alg)));
                        add_hex(p, "digest", rep->pcrs[i].digest, rep->pcrs[i].size);
                        json_object_array_add(pcrs, p);
                }
                json_object_object_add(o, "pcrs", pcrs);
        }
        json_object_object_add(o, "parsed", cvm_quote_to_json(rep->parsed));
        return o;
}
