/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libcrypto on demand (see crypto_dlopen.h for why).  The library is kept
 * open for the life of the process once loaded; the digests fetched from it
 * are cached beside it, since EVP_MD_fetch costs more than hashing an event.
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>

#include "crypto_dlopen.h"
#include "cvm/digest.h"

#define CRYPTO_DEF(f) typeof(f) *sym_##f

CRYPTO_DEF(BIO_ctrl);
CRYPTO_DEF(BIO_free);
CRYPTO_DEF(BIO_new);
CRYPTO_DEF(BIO_s_mem);
CRYPTO_DEF(BN_bin2bn);
CRYPTO_DEF(BN_free);
CRYPTO_DEF(BN_new);
CRYPTO_DEF(BN_set_word);
CRYPTO_DEF(CRYPTO_free);
CRYPTO_DEF(ECDSA_SIG_free);
CRYPTO_DEF(ECDSA_SIG_new);
CRYPTO_DEF(ECDSA_SIG_set0);
CRYPTO_DEF(EVP_DigestFinal_ex);
CRYPTO_DEF(EVP_DigestInit_ex);
CRYPTO_DEF(EVP_DigestUpdate);
CRYPTO_DEF(EVP_DigestVerify);
CRYPTO_DEF(EVP_DigestVerifyInit);
CRYPTO_DEF(EVP_MD_CTX_free);
CRYPTO_DEF(EVP_MD_CTX_new);
CRYPTO_DEF(EVP_MD_fetch);
CRYPTO_DEF(EVP_MD_free);
CRYPTO_DEF(EVP_MD_get_size);
CRYPTO_DEF(EVP_PKEY_CTX_free);
CRYPTO_DEF(EVP_PKEY_CTX_new_from_name);
CRYPTO_DEF(EVP_PKEY_eq);
CRYPTO_DEF(EVP_PKEY_free);
CRYPTO_DEF(EVP_PKEY_fromdata);
CRYPTO_DEF(EVP_PKEY_fromdata_init);
CRYPTO_DEF(OSSL_PARAM_BLD_free);
CRYPTO_DEF(OSSL_PARAM_BLD_new);
CRYPTO_DEF(OSSL_PARAM_BLD_push_BN);
CRYPTO_DEF(OSSL_PARAM_BLD_push_octet_string);
CRYPTO_DEF(OSSL_PARAM_BLD_push_utf8_string);
CRYPTO_DEF(OSSL_PARAM_BLD_to_param);
CRYPTO_DEF(OSSL_PARAM_free);
CRYPTO_DEF(PEM_read_PUBKEY);
CRYPTO_DEF(PEM_write_bio_PUBKEY);
CRYPTO_DEF(i2d_ECDSA_SIG);

#define SYM(f) { (void **) &sym_##f, #f }

static const struct {
        void **slot;
        const char *name;
} syms[] = {
        SYM(BIO_ctrl),
        SYM(BIO_free),
        SYM(BIO_new),
        SYM(BIO_s_mem),
        SYM(BN_bin2bn),
        SYM(BN_free),
        SYM(BN_new),
        SYM(BN_set_word),
        SYM(CRYPTO_free),
        SYM(ECDSA_SIG_free),
        SYM(ECDSA_SIG_new),
        SYM(ECDSA_SIG_set0),
        SYM(EVP_DigestFinal_ex),
        SYM(EVP_DigestInit_ex),
        SYM(EVP_DigestUpdate),
        SYM(EVP_DigestVerify),
        SYM(EVP_DigestVerifyInit),
        SYM(EVP_MD_CTX_free),
        SYM(EVP_MD_CTX_new),
        SYM(EVP_MD_fetch),
        SYM(EVP_MD_free),
        SYM(EVP_MD_get_size),
        SYM(EVP_PKEY_CTX_free),
        SYM(EVP_PKEY_CTX_new_from_name),
        SYM(EVP_PKEY_eq),
        SYM(EVP_PKEY_free),
        SYM(EVP_PKEY_fromdata),
        SYM(EVP_PKEY_fromdata_init),
        SYM(OSSL_PARAM_BLD_free),
        SYM(OSSL_PARAM_BLD_new),
        SYM(OSSL_PARAM_BLD_push_BN),
        SYM(OSSL_PARAM_BLD_push_octet_string),
        SYM(OSSL_PARAM_BLD_push_utf8_string),
        SYM(OSSL_PARAM_BLD_to_param),
        SYM(OSSL_PARAM_free),
        SYM(PEM_read_PUBKEY),
        SYM(PEM_write_bio_PUBKEY),
        SYM(i2d_ECDSA_SIG),
};

/* The algorithms libcvm hashes files in, by OpenSSL's names; NULL when this OpenSSL lacks one. */
static const struct {
        uint16_t alg;
        const char *name;
} md_names[] = {
        { CVM_ALG_SHA1, "SHA1" },     { CVM_ALG_SHA256, "SHA256" }, { CVM_ALG_SHA384, "SHA384" },
        { CVM_ALG_SHA512, "SHA512" }, { CVM_ALG_SM3_256, "SM3" },
};
static EVP_MD *mds[sizeof(md_names) / sizeof(md_names[0])];

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int load_errno;
static char load_error[256];

static void load(void) {
        /* OpenSSL 3's soname: this code uses its EVP_MD_fetch and OSSL_PARAM. */
        void *h = dlopen(CVM_CRYPTO_SONAME, RTLD_NOW | RTLD_NODELETE);

        if (!h) {
                snprintf(load_error, sizeof(load_error), "%s", dlerror());
                load_errno = EOPNOTSUPP;
                return;
        }
        for (size_t i = 0; i < sizeof(syms) / sizeof(syms[0]); i++)
                if (!(*syms[i].slot = dlsym(h, syms[i].name))) {
                        snprintf(load_error, sizeof(load_error), CVM_CRYPTO_SONAME ": no symbol %s", syms[i].name);
                        load_errno = EOPNOTSUPP;
                        return;
                }
        for (size_t i = 0; i < sizeof(md_names) / sizeof(md_names[0]); i++) {
                EVP_MD *md = sym_EVP_MD_fetch(NULL, md_names[i].name, NULL);
                if (md && sym_EVP_MD_get_size(md) != cvm_alg_size(md_names[i].alg)) {
                        sym_EVP_MD_free(md);
                        md = NULL;
                }
                mds[i] = md;
        }
}

int dlopen_crypto(cvm_error *err) {
        pthread_once(&once, load);
        if (load_errno)
                return cvm_error_set(err, load_errno, "OpenSSL (libcrypto) cannot be loaded: %s", load_error);
        return 0;
}

int crypto_md(uint16_t alg, const EVP_MD **ret, cvm_error *err) {
        int r = dlopen_crypto(err);

        if (r < 0)
                return r;
        for (size_t i = 0; i < sizeof(md_names) / sizeof(md_names[0]); i++)
                if (md_names[i].alg == alg && mds[i]) {
                        *ret = mds[i];
                        return 0;
                }
        return cvm_error_set(err, EOPNOTSUPP, "hash algorithm %s is not available in this OpenSSL",
                             cvm_alg_name(alg) ? cvm_alg_name(alg) : "(unknown)");
}
