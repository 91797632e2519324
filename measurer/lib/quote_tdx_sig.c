/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A TDX quote's own signature: ECDSA P-256 with SHA-256 over the header and
 * the TD report body, by the attestation key in the signature data (Intel
 * TDX DCAP Quote Generation Library, appendix A), and optionally whether that
 * key is a given one.  This is not DCAP verification: the QE report, its PCK
 * chain and the collateral are not checked.  It is what a test key (the soft
 * TDX device's, tests/softtdx) or a pinned attestation key needs.
 */
#include <errno.h>
#include <openssl/core_names.h>
#include <stdio.h>

#include "crypto_dlopen.h"
#include "cvm/digest.h"
#include "cvm/quote.h"

static void pkey_freep(EVP_PKEY **p) {
        if (*p)
                sym_EVP_PKEY_free(*p);
}

/* The quote's attestation key (x||y, 64 bytes) as an EVP_PKEY on P-256. */
static EVP_PKEY *att_key(const uint8_t xy[64]) {
        OSSL_PARAM_BLD *bld = sym_OSSL_PARAM_BLD_new();
        OSSL_PARAM *params = NULL;
        EVP_PKEY_CTX *ctx = NULL;
        EVP_PKEY *pkey = NULL;
        uint8_t point[65] = { 0x04 };

        memcpy(point + 1, xy, 64);
        if (bld && sym_OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) &&
            sym_OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof(point)))
                params = sym_OSSL_PARAM_BLD_to_param(bld);
        if (params)
                ctx = sym_EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
        if (ctx && (sym_EVP_PKEY_fromdata_init(ctx) <= 0 || sym_EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0))
                pkey = NULL;
        sym_EVP_PKEY_CTX_free(ctx);
        sym_OSSL_PARAM_free(params);
        sym_OSSL_PARAM_BLD_free(bld);
        return pkey;
}

/* r||s (32 bytes each, big-endian) as DER; its length, or -1. */
static int sig_der(const uint8_t rs[64], uint8_t **der) {
        ECDSA_SIG *sig = sym_ECDSA_SIG_new();
        BIGNUM *r = sym_BN_bin2bn(rs, 32, NULL), *s = sym_BN_bin2bn(rs + 32, 32, NULL);
        int n = -1;

        if (sig && r && s && sym_ECDSA_SIG_set0(sig, r, s) == 1) {
                r = s = NULL;
                n = sym_i2d_ECDSA_SIG(sig, der);
        }
        sym_BN_free(r);
        sym_BN_free(s);
        sym_ECDSA_SIG_free(sig);
        return n;
}

static int check_sig(EVP_PKEY *key, const uint8_t *msg, size_t len, const uint8_t rs[64], cvm_error *err) {
        const EVP_MD *sha256 = NULL;
        EVP_MD_CTX *md;
        uint8_t *der = NULL;
        int n, ok = -1, r;

        if ((r = crypto_md(CVM_ALG_SHA256, &sha256, err)) < 0)
                return r;
        md = sym_EVP_MD_CTX_new();
        n = sig_der(rs, &der);
        if (md && n > 0 && sym_EVP_DigestVerifyInit(md, NULL, sha256, NULL, key) == 1)
                ok = sym_EVP_DigestVerify(md, der, (size_t) n, msg, len);
        sym_EVP_MD_CTX_free(md);
        sym_CRYPTO_free(der, __FILE__, __LINE__);
        if (ok < 0 && n > 0 && md)
                return cvm_error_set(err, EBADMSG, "the quote's signature is not a valid ECDSA P-256 signature (r or s out of range)");
        if (ok < 0)
                return cvm_error_set(err, ENOMEM, "OpenSSL could not set up the signature check");
        if (ok != 1)
                return cvm_error_set(err, EBADMSG, "the quote's ECDSA signature over its header and body does not verify "
                                     "with its attestation key");
        return 0;
}

/* 0 if the PEM public key in path is key. */
static int check_pinned(EVP_PKEY *key, const char *path, cvm_error *err) {
        _cleanup_(pkey_freep) EVP_PKEY *want = NULL;
        FILE *f = fopen(path, "re");

        if (!f)
                return cvm_error_set(err, errno, "%s: cannot open: %s", path, strerror(errno));
        want = sym_PEM_read_PUBKEY(f, NULL, NULL, NULL);
        fclose(f);
        if (!want)
                return cvm_error_set(err, EINVAL, "%s: not a PEM public key", path);
        if (sym_EVP_PKEY_eq(key, want) != 1)
                return cvm_error_set(err, EKEYREJECTED, "the quote's attestation key is not the key in %s", path);
        return 0;
}

int cvm_tdx_quote_verify_signature(const struct cvm_quote *q, const char *key_pem, cvm_error *err) {
        _cleanup_(pkey_freep) EVP_PKEY *key = NULL;
        size_t signed_len;
        int r;

        if (q->type != CVM_QUOTE_TDX)
                return cvm_error_set(err, EINVAL, "a %s has no quote signature to check", cvm_quote_type_name(q->type));
        if (q->tdx.att_key_type != 2)
                return cvm_error_set(err, EOPNOTSUPP, "attestation key type %u: only type 2 (ECDSA P-256) is checked",
                                     q->tdx.att_key_type);
        /* Everything before the signature data's length field is signed: the header, (v5) the body's type and size, the body. */
        signed_len = (size_t) (q->tdx.signature - q->raw) - 4;
        if ((r = dlopen_crypto(err)) < 0)
                return r;
        key = att_key(q->tdx.attestation_key);
        if (!key)
                return cvm_error_set(err, EBADMSG, "offset %zu: the attestation key is not a point on P-256", signed_len + 4 + 64);
        r = check_sig(key, q->raw, signed_len, q->tdx.signature, err);
        if (r < 0 || !key_pem)
                return r;
        return check_pinned(key, key_pem, err);
}
