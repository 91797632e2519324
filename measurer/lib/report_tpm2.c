/* SPDX-License-Identifier: Apache-2.0 */
/*
 * TPM2 quotes: TPM2_Quote signed by an attestation key, with the PCR values
 * it covers read back and checked against its pcrDigest, and the AK's public
 * part in TPM (TPM2B_PUBLIC) and PEM form so a verifier needs nothing else.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/types.h>

#include <openssl/core_names.h>

#include "crypto_dlopen.h"
#include "cvm/digest.h"
#include "imr_internal.h"
#include "tpm2_dlopen.h"
#include "tpm2_pcr.h"

/* PCRs can change between the quote and the read-back; that many tries to get a consistent pair. */
#define QUOTE_TRIES 3

static int tss_error(cvm_error *err, const char *what, TSS2_RC rc) {
        return cvm_error_set(err, EIO, "TPM %s failed: %s (0x%x)", what, sym_Tss2_RC_Decode(rc), rc);
}

/* ECC P-256, restricted, ECDSA-SHA256: the TCG's AK shape, as a primary so the EPS alone fixes it. */
static const TPM2B_PUBLIC ak_template = {
        .publicArea = {
                .type = TPM2_ALG_ECC,
                .nameAlg = TPM2_ALG_SHA256,
                .objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_SENSITIVEDATAORIGIN |
                                    TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN_ENCRYPT,
                .parameters.eccDetail = {
                        .symmetric.algorithm = TPM2_ALG_NULL,
                        .scheme = { .scheme = TPM2_ALG_ECDSA, .details.ecdsa.hashAlg = TPM2_ALG_SHA256 },
                        .curveID = TPM2_ECC_NIST_P256,
                        .kdf.scheme = TPM2_ALG_NULL,
                },
        },
};

struct ak {
        ESYS_TR tr;
        bool transient;
        TPM2B_PUBLIC *pub;
};

static int ak_load(ESYS_CONTEXT *esys, uint32_t handle, struct ak *ak, char *what, size_t what_size, cvm_error *err) {
        TPM2B_SENSITIVE_CREATE sensitive = { 0 };
        TPM2B_DATA outside = { 0 };
        TPML_PCR_SELECTION creation_pcr = { 0 };
        TPM2B_CREATION_DATA *cdata = NULL;
        TPM2B_DIGEST *chash = NULL;
        TPMT_TK_CREATION *ticket = NULL;
        TPM2B_NAME *name = NULL, *qname = NULL;
        TSS2_RC rc;

        if (handle) {
                if (handle >> 24 != TPM2_HT_PERSISTENT)
                        return cvm_error_set(err, EINVAL, "AK handle 0x%08x is not a persistent handle (0x81xxxxxx)", handle);
                rc = sym_Esys_TR_FromTPMPublic(esys, handle, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &ak->tr);
                if (rc != TSS2_RC_SUCCESS)
                        return cvm_error_set(err, ENOENT, "no AK at persistent handle 0x%08x: %s", handle, sym_Tss2_RC_Decode(rc));
                rc = sym_Esys_ReadPublic(esys, ak->tr, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &ak->pub, &name, &qname);
                sym_Esys_Free(name);
                sym_Esys_Free(qname);
                if (rc != TSS2_RC_SUCCESS)
                        return tss_error(err, "ReadPublic of the AK", rc);
                snprintf(what, what_size, "persistent key 0x%08x", handle);
                return 0;
        }
        rc = sym_Esys_CreatePrimary(esys, ESYS_TR_RH_ENDORSEMENT, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &sensitive,
                                &ak_template, &outside, &creation_pcr, &ak->tr, &ak->pub, &cdata, &chash, &ticket);
        sym_Esys_Free(cdata);
        sym_Esys_Free(chash);
        sym_Esys_Free(ticket);
        if (rc != TSS2_RC_SUCCESS)
                return cvm_error_set(err, EIO, "cannot create the AK under the endorsement hierarchy: %s (0x%x)%s",
                                     sym_Tss2_RC_Decode(rc), rc,
                                     (rc & 0xfff) == TPM2_RC_BAD_AUTH || (rc & 0x8ff) == TPM2_RC_AUTH_FAIL
                                             ? "; the hierarchy has a password: name a persistent AK instead" : "");
        ak->transient = true;
        snprintf(what, what_size, "endorsement-hierarchy primary (ECC P-256, ECDSA-SHA256)");
        return 0;
}

/* The key's own scheme, or the usual one for its type if it has none. */
static TPMT_SIG_SCHEME ak_scheme(const TPMT_PUBLIC *p) {
        TPMT_SIG_SCHEME s = { .scheme = TPM2_ALG_NULL };

        if (p->type == TPM2_ALG_ECC && p->parameters.eccDetail.scheme.scheme == TPM2_ALG_NULL) {
                s.scheme = TPM2_ALG_ECDSA;
                s.details.ecdsa.hashAlg = TPM2_ALG_SHA256;
        } else if (p->type == TPM2_ALG_RSA && p->parameters.rsaDetail.scheme.scheme == TPM2_ALG_NULL) {
                s.scheme = TPM2_ALG_RSASSA;
                s.details.rsassa.hashAlg = TPM2_ALG_SHA256;
        }
        return s;
}

static int ak_pem(const TPMT_PUBLIC *p, char **ret, cvm_error *err) {
        OSSL_PARAM_BLD *bld;
        OSSL_PARAM *params = NULL;
        EVP_PKEY_CTX *ctx = NULL;
        EVP_PKEY *pkey = NULL;
        BIGNUM *n = NULL, *e = NULL;
        BIO *bio = NULL;
        uint8_t point[1 + 2 * 66];
        const char *type = NULL;
        int r = dlopen_crypto(err);

        if (r < 0)
                return r;
        if (!(bld = sym_OSSL_PARAM_BLD_new()))
                return cvm_error_set(err, ENOMEM, "out of memory");
        if (p->type == TPM2_ALG_ECC) {
                const TPMS_ECC_POINT *q = &p->unique.ecc;
                const char *group = p->parameters.eccDetail.curveID == TPM2_ECC_NIST_P256   ? "prime256v1"
                                    : p->parameters.eccDetail.curveID == TPM2_ECC_NIST_P384 ? "secp384r1"
                                                                                            : NULL;
                if (!group || q->x.size != q->y.size || q->x.size > 66) {
                        r = cvm_error_set(err, EOPNOTSUPP, "AK curve 0x%04x is not P-256 or P-384", p->parameters.eccDetail.curveID);
                        goto out;
                }
                point[0] = 0x04;
                memcpy(point + 1, q->x.buffer, q->x.size);
                memcpy(point + 1 + q->x.size, q->y.buffer, q->y.size);
                type = "EC";
                if (!sym_OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, group, 0) ||
                    !sym_OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, 1 + 2u * q->x.size))
                        goto fail;
        } else if (p->type == TPM2_ALG_RSA) {
                uint32_t exp = p->parameters.rsaDetail.exponent ? p->parameters.rsaDetail.exponent : 65537;
                type = "RSA";
                n = sym_BN_bin2bn(p->unique.rsa.buffer, p->unique.rsa.size, NULL);
                e = sym_BN_new();
                if (!n || !e || !sym_BN_set_word(e, exp) || !sym_OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) ||
                    !sym_OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e))
                        goto fail;
        } else {
                r = cvm_error_set(err, EOPNOTSUPP, "AK type 0x%04x is not RSA or ECC", p->type);
                goto out;
        }
        params = sym_OSSL_PARAM_BLD_to_param(bld);
        ctx = sym_EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
        if (!params || !ctx || sym_EVP_PKEY_fromdata_init(ctx) <= 0 || sym_EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0)
                goto fail;
        bio = sym_BIO_new(sym_BIO_s_mem());
        if (!bio || !sym_PEM_write_bio_PUBKEY(bio, pkey))
                goto fail;
        {
                char *data;
                long len = sym_BIO_ctrl(bio, BIO_CTRL_INFO, 0, (char *) &data);  /* BIO_get_mem_data */
                *ret = strndup(data, (size_t) len);
                r = *ret ? 0 : cvm_error_set(err, ENOMEM, "out of memory");
        }
        goto out;
fail:
        r = cvm_error_set(err, EIO, "OpenSSL cannot build the AK public key");
out:
        sym_BIO_free(bio);
        sym_EVP_PKEY_free(pkey);
        sym_EVP_PKEY_CTX_free(ctx);
        sym_OSSL_PARAM_free(params);
        sym_OSSL_PARAM_BLD_free(bld);
        sym_BN_free(n);
        sym_BN_free(e);
        return r;
}

static int build_selection(cvm_imr *imr, const struct cvm_report_request *req, TPML_PCR_SELECTION *sel, cvm_error *err) {
        const uint16_t *banks;
        size_t nbanks = cvm_imr_banks(imr, &banks);

        memset(sel, 0, sizeof(*sel));
        if (!req->pcrs) {
                sel->count = 1;
                sel->pcrSelections[0].hash = cvm_imr_default_alg(imr);
                sel->pcrSelections[0].sizeofSelect = 3;
                memset(sel->pcrSelections[0].pcrSelect, 0xff, 3);
                return 0;
        }
        if (req->npcrs == 0 || req->npcrs > TPM2_NUM_PCR_BANKS)
                return cvm_error_set(err, EINVAL, "a PCR selection needs 1 to %d banks, not %zu", TPM2_NUM_PCR_BANKS, req->npcrs);
        for (size_t i = 0; i < req->npcrs; i++) {
                bool active = false;
                for (size_t j = 0; j < nbanks; j++)
                        active |= banks[j] == req->pcrs[i].alg;
                if (!active)
                        return cvm_error_set(err, EINVAL, "bank %s is not active on this TPM",
                                             cvm_alg_name(req->pcrs[i].alg) ? cvm_alg_name(req->pcrs[i].alg) : "(unknown)");
                if (req->pcrs[i].size > 3)
                        return cvm_error_set(err, EINVAL, "PCR selection beyond PCR23");
                sel->pcrSelections[i].hash = req->pcrs[i].alg;
                sel->pcrSelections[i].sizeofSelect = 3;
                memcpy(sel->pcrSelections[i].pcrSelect, req->pcrs[i].select, req->pcrs[i].size);
        }
        sel->count = (UINT32) req->npcrs;
        return 0;
}

/* Every selected PCR into rep->pcrs in TPM2_Quote's order. */
static int read_pcrs(ESYS_CONTEXT *esys, const TPML_PCR_SELECTION *sel, struct cvm_report *rep, cvm_error *err) {
        size_t total = tpm2_selection_count(sel);

        free(rep->pcrs);
        rep->pcrs = calloc(total ? total : 1, sizeof(*rep->pcrs));
        if (!rep->pcrs)
                return cvm_error_set(err, ENOMEM, "out of memory");
        rep->npcrs = total;
        return tpm2_pcr_read(esys, sel, rep->pcrs, err);
}

static int pcr_digest(const struct cvm_report *rep, uint16_t alg, uint8_t *out, cvm_error *err) {
        _cleanup_free_ uint8_t *cat = malloc(rep->npcrs * 64 + 1);
        size_t n = 0;

        if (!cat)
                return cvm_error_set(err, ENOMEM, "out of memory");
        for (size_t i = 0; i < rep->npcrs; i++) {
                memcpy(cat + n, rep->pcrs[i].digest, rep->pcrs[i].size);
                n += rep->pcrs[i].size;
        }
        return cvm_digest(alg, cat, n, out, err);
}

static int marshal_outputs(const TPM2B_ATTEST *quoted, const TPMT_SIGNATURE *sig, const TPM2B_PUBLIC *pub,
                           struct cvm_report *rep, cvm_error *err) {
        size_t off = 0;

        free(rep->quote);
        free(rep->signature);
        rep->quote = malloc(quoted->size);
        rep->signature = malloc(sizeof(TPMT_SIGNATURE));
        if (!rep->quote || !rep->signature)
                return cvm_error_set(err, ENOMEM, "out of memory");
        memcpy(rep->quote, quoted->attestationData, quoted->size);
        rep->quote_len = quoted->size;
        if (sym_Tss2_MU_TPMT_SIGNATURE_Marshal(sig, rep->signature, sizeof(TPMT_SIGNATURE), &off) != TSS2_RC_SUCCESS)
                return cvm_error_set(err, EIO, "cannot marshal the quote signature");
        rep->signature_len = off;
        if (rep->ak_public)
                return 0;
        rep->ak_public = malloc(sizeof(TPM2B_PUBLIC));
        if (!rep->ak_public)
                return cvm_error_set(err, ENOMEM, "out of memory");
        off = 0;
        if (sym_Tss2_MU_TPM2B_PUBLIC_Marshal(pub, rep->ak_public, sizeof(TPM2B_PUBLIC), &off) != TSS2_RC_SUCCESS)
                return cvm_error_set(err, EIO, "cannot marshal the AK public area");
        rep->ak_public_len = off;
        return 0;
}

static uint16_t sig_hash(const TPMT_SIGNATURE *sig) {
        switch (sig->sigAlg) {
        case TPM2_ALG_ECDSA:
                return sig->signature.ecdsa.hash;
        case TPM2_ALG_RSASSA:
                return sig->signature.rsassa.hash;
        case TPM2_ALG_RSAPSS:
                return sig->signature.rsapss.hash;
        }
        return TPM2_ALG_NULL;
}

/* One quote and its PCR values; 1 if the PCRs moved in between (the caller tries again). */
static int quote_once(ESYS_CONTEXT *esys, const struct ak *ak, const TPML_PCR_SELECTION *sel, const TPM2B_DATA *qual,
                      struct cvm_report *rep, cvm_error *err) {
        TPMT_SIG_SCHEME scheme = ak_scheme(&ak->pub->publicArea);
        TPM2B_ATTEST *quoted = NULL;
        TPMT_SIGNATURE *sig = NULL;
        TPMS_ATTEST attest;
        uint8_t want[CVM_DIGEST_MAX];
        uint16_t alg;
        TSS2_RC rc;
        int r;

        rc = sym_Esys_Quote(esys, ak->tr, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, qual, &scheme, sel, &quoted, &sig);
        if (rc != TSS2_RC_SUCCESS)
                return tss_error(err, "Quote", rc);
        r = marshal_outputs(quoted, sig, ak->pub, rep, err);
        alg = sig_hash(sig);
        if (r >= 0 && sym_Tss2_MU_TPMS_ATTEST_Unmarshal(quoted->attestationData, quoted->size, NULL, &attest) != TSS2_RC_SUCCESS)
                r = cvm_error_set(err, EIO, "the TPM returned a TPMS_ATTEST that does not unmarshal");
        sym_Esys_Free(quoted);
        sym_Esys_Free(sig);
        if (r < 0)
                return r;
        if (cvm_alg_size(alg) <= 0)
                return cvm_error_set(err, EOPNOTSUPP, "quote signed with hash 0x%04x, which this library cannot compute", alg);
        r = read_pcrs(esys, sel, rep, err);
        if (r >= 0)
                r = pcr_digest(rep, alg, want, err);
        if (r < 0)
                return r;
        return attest.attested.quote.pcrDigest.size == cvm_alg_size(alg) &&
                               memcmp(attest.attested.quote.pcrDigest.buffer, want, (size_t) cvm_alg_size(alg)) == 0
                       ? 0
                       : 1;
}

int report_tpm2(cvm_imr *imr, const struct cvm_report_request *req, const uint8_t *data, size_t len,
                struct cvm_report *rep, cvm_error *err) {
        ESYS_CONTEXT *esys = imr_tpm2_esys(imr);
        struct ak ak = { .tr = ESYS_TR_NONE };
        TPML_PCR_SELECTION sel;
        TPM2B_DATA qual = { .size = (UINT16) len };
        char what[128];
        int r, tries = 0;

        if ((r = dlopen_tpm2(err)) < 0)
                return r;
        memcpy(qual.buffer, data, len);
        r = build_selection(imr, req, &sel, err);
        if (r < 0)
                return r;
        r = ak_load(esys, req->ak_handle, &ak, what, sizeof(what), err);
        if (r < 0)
                return r;
        r = ak_pem(&ak.pub->publicArea, &rep->ak_pem, err);
        while (r >= 0 && (r = quote_once(esys, &ak, &sel, &qual, rep, err)) == 1)
                if (++tries == QUOTE_TRIES)
                        r = cvm_error_set(err, EAGAIN, "PCRs kept changing between the quote and their read-back (%d tries)", tries);
        if (ak.transient)
                sym_Esys_FlushContext(esys, ak.tr);
        sym_Esys_Free(ak.pub);
        if (r < 0)
                return r;
        snprintf(rep->source, sizeof(rep->source), "TPM2_Quote, AK: %s", what);
        return 0;
}
