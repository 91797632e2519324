/* SPDX-License-Identifier: Apache-2.0 */
/* The tpm2 backend: PCRs through libtss2-esys over any TCTI (tss2-tctildr). */
#include <errno.h>
#include <stdio.h>
#include <sys/types.h>

#include "cvm/digest.h"
#include "imr_internal.h"
#include "tpm2_dlopen.h"
#include "tpm2_pcr.h"

struct tpm2 {
        TSS2_TCTI_CONTEXT *tcti;
        ESYS_CONTEXT *esys;
};

const char *imr_tpm2_tcti(const char *opt, const char **source) {
        const char *v;

        if (opt && *opt) {
                *source = "--tcti";
                return opt;
        }
        if ((v = getenv("CVM_TCTI")) && *v) {
                *source = "$CVM_TCTI";
                return v;
        }
        if ((v = getenv("TPM2TOOLS_TCTI")) && *v) {
                *source = "$TPM2TOOLS_TCTI";
                return v;
        }
        *source = "default";
        return "device:/dev/tpmrm0";
}

static int tpm_error(cvm_error *err, const char *what, TSS2_RC rc) {
        /* Device and TCTI failures are "no device"; TPM response codes are I/O errors. */
        int code = (rc & TSS2_RC_LAYER_MASK) == TSS2_TCTI_RC_LAYER ? ENODEV : EIO;
        return cvm_error_set(err, code, "TPM %s failed: %s (0x%x)", what, sym_Tss2_RC_Decode(rc), rc);
}

static bool selected(const TPMS_PCR_SELECTION *s, int i) {
        return i / 8 < s->sizeofSelect && (s->pcrSelect[i / 8] >> (i % 8)) & 1;
}

/* Where PCR i of bank alg goes in TPM2_Quote's order: banks as selected, indices ascending; -1 if unselected. */
static ssize_t quote_slot(const TPML_PCR_SELECTION *sel, uint16_t alg, int i) {
        ssize_t slot = 0;

        for (UINT32 b = 0; b < sel->count; b++)
                for (int j = 0; j < 24; j++) {
                        if (!selected(&sel->pcrSelections[b], j))
                                continue;
                        if (sel->pcrSelections[b].hash == alg && j == i)
                                return slot;
                        slot++;
                }
        return -1;
}

size_t tpm2_selection_count(const TPML_PCR_SELECTION *sel) {
        size_t total = 0;

        for (UINT32 b = 0; b < sel->count; b++)
                for (int i = 0; i < 24; i++)
                        total += selected(&sel->pcrSelections[b], i);
        return total;
}

int tpm2_pcr_read(ESYS_CONTEXT *esys, const TPML_PCR_SELECTION *sel, struct cvm_report_pcr *out, cvm_error *err) {
        TPML_PCR_SELECTION left = *sel;
        size_t total = tpm2_selection_count(sel), got = 0;

        /* PCR_Read answers at most 8 digests at a time and says which: take those off and ask again. */
        while (got < total) {
                TPML_PCR_SELECTION *answered = NULL;
                TPML_DIGEST *values = NULL;
                UINT32 update, k = 0;
                TSS2_RC rc;
                int r = 0;

                rc = sym_Esys_PCR_Read(esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &left, &update, &answered, &values);
                if (rc != TSS2_RC_SUCCESS)
                        return tpm_error(err, "PCR_Read", rc);
                for (UINT32 b = 0; b < answered->count && r == 0; b++)
                        for (int i = 0; i < 24 && r == 0; i++) {
                                const TPMS_PCR_SELECTION *s = &answered->pcrSelections[b];
                                ssize_t slot = selected(s, i) ? quote_slot(sel, s->hash, i) : -1;

                                if (!selected(s, i))
                                        continue;
                                if (slot < 0 || k >= values->count || values->digests[k].size != cvm_alg_size(s->hash)) {
                                        r = cvm_error_set(err, EIO, "TPM PCR_Read returned PCR%d %s, which was not asked for or has "
                                                          "the wrong size", i, cvm_alg_name(s->hash) ? cvm_alg_name(s->hash) : "?");
                                        break;
                                }
                                out[slot].index = (uint32_t) i;
                                out[slot].alg = s->hash;
                                out[slot].size = values->digests[k].size;
                                memcpy(out[slot].digest, values->digests[k].buffer, values->digests[k].size);
                                for (UINT32 lb = 0; lb < left.count; lb++)
                                        if (left.pcrSelections[lb].hash == s->hash)
                                                left.pcrSelections[lb].pcrSelect[i / 8] &= (BYTE) ~(1u << (i % 8));
                                k++;
                                got++;
                        }
                sym_Esys_Free(answered);
                sym_Esys_Free(values);
                if (r < 0)
                        return r;
                if (k == 0)
                        return cvm_error_set(err, EIO, "TPM PCR_Read returned nothing for %zu selected PCRs", total - got);
        }
        return 0;
}

static int tpm2_read(cvm_imr *imr, uint32_t index, uint16_t alg, uint8_t *out, cvm_error *err) {
        struct tpm2 *t = imr->priv;
        TPML_PCR_SELECTION sel = { .count = 1 };
        TPML_PCR_SELECTION *sel_out = NULL;
        TPML_DIGEST *values = NULL;
        UINT32 update;
        TSS2_RC rc;
        int r = 0;

        sel.pcrSelections[0].hash = alg;
        sel.pcrSelections[0].sizeofSelect = 3;
        sel.pcrSelections[0].pcrSelect[index / 8] = (BYTE) (1u << (index % 8));
        rc = sym_Esys_PCR_Read(t->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &sel, &update, &sel_out, &values);
        if (rc != TSS2_RC_SUCCESS)
                return tpm_error(err, "PCR_Read", rc);
        if (values->count != 1 || (int) values->digests[0].size != cvm_alg_size(alg))
                r = cvm_error_set(err, EIO, "TPM PCR_Read of PCR%u %s returned %u digests of %u bytes",
                                  index, cvm_alg_name(alg), values->count, values->count ? values->digests[0].size : 0);
        else
                memcpy(out, values->digests[0].buffer, values->digests[0].size);
        sym_Esys_Free(sel_out);
        sym_Esys_Free(values);
        return r;
}

static int tpm2_extend(cvm_imr *imr, uint32_t index, const struct cvm_event_digest *digests, size_t n, cvm_error *err) {
        struct tpm2 *t = imr->priv;
        TPML_DIGEST_VALUES dv = { .count = (UINT32) n };
        TSS2_RC rc;

        for (size_t i = 0; i < n; i++) {
                dv.digests[i].hashAlg = digests[i].alg;
                memcpy(&dv.digests[i].digest, digests[i].bytes, digests[i].size);
        }
        rc = sym_Esys_PCR_Extend(t->esys, ESYS_TR_PCR0 + index, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &dv);
        return rc == TSS2_RC_SUCCESS ? 0 : tpm_error(err, "PCR_Extend", rc);
}

/* One bank in 3 round trips (PCR_Read answers 8 PCRs at a time), not 24. */
static int tpm2_read_bank(cvm_imr *imr, uint16_t alg, uint8_t *out, cvm_error *err) {
        struct tpm2 *t = imr->priv;
        TPML_PCR_SELECTION sel = { .count = 1 };
        struct cvm_report_pcr v[CVM_PCR_MAX];
        int size = cvm_alg_size(alg), r;

        sel.pcrSelections[0].hash = alg;
        sel.pcrSelections[0].sizeofSelect = 3;
        memset(sel.pcrSelections[0].pcrSelect, 0xff, 3);
        r = tpm2_pcr_read(t->esys, &sel, v, err);
        if (r < 0)
                return r;
        for (size_t i = 0; i < CVM_PCR_MAX; i++)
                memcpy(out + i * (size_t) size, v[i].digest, (size_t) size);
        return 0;
}

static void tpm2_close(cvm_imr *imr) {
        struct tpm2 *t = imr->priv;

        if (!t)
                return;
        sym_Esys_Finalize(&t->esys);
        sym_Tss2_TctiLdr_Finalize(&t->tcti);
        free(t);
}

struct ESYS_CONTEXT *imr_tpm2_esys(cvm_imr *imr) {
        return ((struct tpm2 *) imr->priv)->esys;
}

static const struct imr_ops tpm2_ops = {
        .read = tpm2_read,
        .read_bank = tpm2_read_bank,
        .extend = tpm2_extend,
        .report = report_tpm2,
        .close = tpm2_close,
};

/* Active banks: those with at least one PCR selected in TPM2_CAP_PCRS. */
static int read_banks(cvm_imr *imr, struct tpm2 *t, cvm_error *err) {
        TPMS_CAPABILITY_DATA *cap = NULL;
        TPMI_YES_NO more;
        TSS2_RC rc;

        rc = sym_Esys_GetCapability(t->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, TPM2_CAP_PCRS, 0, 1, &more, &cap);
        if (rc != TSS2_RC_SUCCESS)
                return tpm_error(err, "GetCapability(PCRS)", rc);
        for (UINT32 i = 0; i < cap->data.assignedPCR.count && imr->nbanks < CVM_LOG_MAX_ALGS; i++) {
                const TPMS_PCR_SELECTION *s = &cap->data.assignedPCR.pcrSelections[i];
                bool any = false;
                for (int j = 0; j < s->sizeofSelect; j++)
                        any |= s->pcrSelect[j] != 0;
                if (any && cvm_alg_size(s->hash) > 0)
                        imr->banks[imr->nbanks++] = s->hash;
        }
        sym_Esys_Free(cap);
        if (imr->nbanks == 0)
                return cvm_error_set(err, EIO, "the TPM reports no active PCR bank");
        return 0;
}

int imr_tpm2_open(cvm_imr *imr, const char *tcti, cvm_error *err) {
        const char *source, *conf = imr_tpm2_tcti(tcti, &source);
        struct tpm2 *t = calloc(1, sizeof(*t));
        TSS2_RC rc;
        int r;

        if ((r = dlopen_tpm2(err)) < 0)
                return r;
        if (!t)
                return cvm_error_set(err, ENOMEM, "out of memory");
        imr->priv = t;
        imr->ops = &tpm2_ops;
        rc = sym_Tss2_TctiLdr_Initialize(conf, &t->tcti);
        if (rc != TSS2_RC_SUCCESS) {
                free(t);
                imr->priv = NULL;
                return cvm_error_set(err, ENODEV, "cannot open TPM TCTI '%s' (from %s): %s", conf, source, sym_Tss2_RC_Decode(rc));
        }
        rc = sym_Esys_Initialize(&t->esys, t->tcti, NULL);
        if (rc != TSS2_RC_SUCCESS) {
                sym_Tss2_TctiLdr_Finalize(&t->tcti);
                free(t);
                imr->priv = NULL;
                return cvm_error_set(err, ENODEV, "cannot start an ESYS context on TCTI '%s': %s", conf, sym_Tss2_RC_Decode(rc));
        }
        imr->backend = CVM_BACKEND_TPM2;
        imr->space = CVM_SPACE_PCR;
        imr->count = CVM_PCR_MAX;
        r = read_banks(imr, t, err);
        if (r < 0) {
                tpm2_close(imr);
                imr->priv = NULL;
                return r;
        }
        snprintf(imr->reason, sizeof(imr->reason), "TPM 2.0 through TCTI '%s' (from %s)", conf, source);
        return 0;
}
