/* SPDX-License-Identifier: Apache-2.0 */
/*
 * TCG algorithm ids, and digests of memory.  Those digests (every extend of
 * a replay, every event's data) are computed with nettle, not OpenSSL:
 * nettle maps in ~10 pages at start where libcrypto takes ~130 page faults
 * and its first EVP fetch reads openssl.cnf, together 2-5 ms here, more than
 * a whole replay of a real log; and nettle hashes a 96-byte extend in about
 * half of EVP's time.  Files are hashed with OpenSSL (digest_file.c,
 * measure_hash.c), whose SHA-384 assembly runs 1.4x nettle's C on this
 * machine.  SM3 goes through OpenSSL everywhere: nettle has it only since
 * 3.8, and a reference to it would keep libcvm from loading on a guest with
 * an older libnettle8 (Ubuntu 22.04's 3.7).  tests/unit/test_digest.c checks
 * both libraries give the same digests.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <nettle/nettle-meta.h>
#include <nettle/sha1.h>
#include <nettle/sha2.h>

#include "crypto_dlopen.h"
#include "cvm/digest.h"
#include "cvm/encoding.h"

struct alg_info {
        uint16_t id;
        uint16_t size;
        const char *name;       /* TCG / tpm2-tools spelling */
        const char *alias;      /* spelling other tools use ("SHA-384") */
};

static const struct alg_info algs[] = {
        { CVM_ALG_SHA1,    20, "sha1",    "SHA-1" },
        { CVM_ALG_SHA256,  32, "sha256",  "SHA-256" },
        { CVM_ALG_SHA384,  48, "sha384",  "SHA-384" },
        { CVM_ALG_SHA512,  64, "sha512",  "SHA-512" },
        { CVM_ALG_SM3_256, 32, "sm3_256", "SM3" },
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

/* Digests of memory go through nettle, SM3 excepted: see the file's opening comment. */
static const struct nettle_hash *alg_hash(uint16_t alg) {
        switch (alg) {
        case CVM_ALG_SHA1: return &nettle_sha1;
        case CVM_ALG_SHA256: return &nettle_sha256;
        case CVM_ALG_SHA384: return &nettle_sha384;
        case CVM_ALG_SHA512: return &nettle_sha512;
        default: return NULL;
        }
}

bool cvm_alg_supported(uint16_t alg) {
        const EVP_MD *md;

        return alg_hash(alg) || (cvm_alg_size(alg) > 0 && crypto_md(alg, &md, NULL) == 0);
}

/* out = H_alg(data) by OpenSSL, for the algorithms nettle does not compute here. */
static int digest_openssl(uint16_t alg, const void *data, size_t len, uint8_t *out, cvm_error *err) {
        const EVP_MD *md = NULL;
        EVP_MD_CTX *ctx;
        int r = crypto_md(alg, &md, err);

        if (r < 0)
                return r;
        if (!(ctx = sym_EVP_MD_CTX_new()))
                return cvm_error_set(err, ENOMEM, "out of memory");
        if (sym_EVP_DigestInit_ex(ctx, md, NULL) != 1 || sym_EVP_DigestUpdate(ctx, data, len) != 1 ||
            sym_EVP_DigestFinal_ex(ctx, out, NULL) != 1)
                r = cvm_error_set(err, EIO, "OpenSSL failed to compute %s", cvm_alg_name(alg));
        sym_EVP_MD_CTX_free(ctx);
        return r;
}

int cvm_digest(uint16_t alg, const void *data, size_t len, uint8_t *out, cvm_error *err) {
        const struct nettle_hash *h = alg_hash(alg);
        union {
                struct sha1_ctx sha1;
                struct sha256_ctx sha256;
                struct sha512_ctx sha512;
        } ctx;

        if (!h)
                return cvm_alg_size(alg) > 0 ? digest_openssl(alg, data, len, out, err)
                                             : cvm_error_set(err, EOPNOTSUPP, "hash algorithm 0x%04x is not known", alg);
        h->init(&ctx);
        h->update(&ctx, len, data);
        h->digest(&ctx, h->digest_size, out);
        return 0;
}

int cvm_extend(uint16_t alg, uint8_t *reg, const uint8_t *digest, cvm_error *err) {
        uint8_t buf[2 * CVM_DIGEST_MAX];
        int size = cvm_alg_size(alg);

        if (size < 0)
                return cvm_error_set(err, EOPNOTSUPP, "cannot extend with unknown algorithm 0x%04x", alg);
        memcpy(buf, reg, (size_t) size);
        memcpy(buf + size, digest, (size_t) size);
        return cvm_digest(alg, buf, 2 * (size_t) size, reg, err);
}
