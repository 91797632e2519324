/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "cvm/digest.h"
#include "cvm/encoding.h"
#include "internal.h"

struct alg_info {
        uint16_t id;
        uint16_t size;
        const char *name;       /* TCG / tpm2-tools spelling */
        const char *evp_name;   /* OpenSSL's */
        const char *alias;      /* spelling other tools use ("SHA-384") */
};

static const struct alg_info algs[] = {
        { CVM_ALG_SHA1,    20, "sha1",    "SHA1",   "SHA-1" },
        { CVM_ALG_SHA256,  32, "sha256",  "SHA256", "SHA-256" },
        { CVM_ALG_SHA384,  48, "sha384",  "SHA384", "SHA-384" },
        { CVM_ALG_SHA512,  64, "sha512",  "SHA512", "SHA-512" },
        { CVM_ALG_SM3_256, 32, "sm3_256", "SM3",    "SM3" },
};

static const struct alg_info *alg_lookup(uint16_t id) {
        for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
                if (algs[i].id == id)
                        return &algs[i];
        return NULL;
}

const char *cvm_alg_name(uint16_t alg) {
        const struct alg_info *a = alg_lookup(alg);
        return a ? a->name : NULL;
}

int cvm_alg_from_name(const char *name, uint16_t *ret) {
        uint64_t v;

        for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
                if (strcasecmp(name, algs[i].name) == 0 || strcasecmp(name, algs[i].alias) == 0) {
                        *ret = algs[i].id;
                        return 0;
                }
        if (strncasecmp(name, "0x", 2) != 0)
                return -EINVAL;
        if (cvm_parse_uint(name, SIZE_MAX, 16, 0xffff, &v) < 0)
                return -EINVAL;
        *ret = (uint16_t) v;
        return 0;
}

int cvm_alg_size(uint16_t alg) {
        const struct alg_info *a = alg_lookup(alg);
        return a ? a->size : -ENOENT;
}

/*
 * Fetched once for every algorithm, at first use, under pthread_once (callers
 * hash from several threads): EVP_MD_fetch is costly next to hashing a 48-byte
 * extend.  NULL: this OpenSSL lacks it.
 */
static EVP_MD *md_cache[sizeof(algs) / sizeof(algs[0])];
static pthread_once_t md_once = PTHREAD_ONCE_INIT;

static void md_fetch_all(void) {
        for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
                EVP_MD *md = EVP_MD_fetch(NULL, algs[i].evp_name, NULL);
                if (md && EVP_MD_get_size(md) != algs[i].size) {
                        EVP_MD_free(md);
                        md = NULL;
                }
                md_cache[i] = md;
        }
}

const EVP_MD *alg_md(uint16_t alg) {
        pthread_once(&md_once, md_fetch_all);
        for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
                if (algs[i].id == alg)
                        return md_cache[i];
        return NULL;
}

bool cvm_alg_supported(uint16_t alg) {
        return alg_md(alg) != NULL;
}

int digest_ctx(EVP_MD_CTX *ctx, uint16_t alg, const void *data, size_t len, uint8_t *out, cvm_error *err) {
        const EVP_MD *md = alg_md(alg);
        unsigned int n = 0;

        if (!md)
                return cvm_error_set(err, EOPNOTSUPP, "hash algorithm 0x%04x is not available in this OpenSSL", alg);
        if (!ctx ? !EVP_Digest(data, len, out, &n, md, NULL)
                 : !EVP_DigestInit_ex2(ctx, md, NULL) || !EVP_DigestUpdate(ctx, data, len) || !EVP_DigestFinal_ex(ctx, out, &n))
                return cvm_error_set(err, EIO, "OpenSSL failed to compute %s", cvm_alg_name(alg));
        return 0;
}

int extend_ctx(EVP_MD_CTX *ctx, uint16_t alg, uint8_t *reg, const uint8_t *digest, cvm_error *err) {
        uint8_t buf[2 * CVM_DIGEST_MAX];
        int size = cvm_alg_size(alg);

        if (size < 0)
                return cvm_error_set(err, EOPNOTSUPP, "cannot extend with unknown algorithm 0x%04x", alg);
        memcpy(buf, reg, (size_t) size);
        memcpy(buf + size, digest, (size_t) size);
        return digest_ctx(ctx, alg, buf, 2 * (size_t) size, reg, err);
}

int cvm_digest(uint16_t alg, const void *data, size_t len, uint8_t *out, cvm_error *err) {
        return digest_ctx(NULL, alg, data, len, out, err);
}

int cvm_extend(uint16_t alg, uint8_t *reg, const uint8_t *digest, cvm_error *err) {
        return extend_ctx(NULL, alg, reg, digest, err);
}
