/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * OpenSSL's libcrypto, loaded with dlopen() the first time libcvm hashes a
 * file or checks a signature, as tpm2_dlopen.h loads the TPM stack: mapping
 * it costs a short command ~130 page faults at start (2-3 ms here), more
 * than the whole of a replay.  Digests of memory (extends, event data) use
 * nettle instead (digest.c).  Callers use sym_X where they would call X;
 * libcvm is linked without -lcrypto, so a direct call fails to link.
 */

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include "internal.h"

#define CRYPTO_SYM(f) extern typeof(f) *sym_##f

CRYPTO_SYM(BIO_ctrl);
CRYPTO_SYM(BIO_free);
CRYPTO_SYM(BIO_new);
CRYPTO_SYM(BIO_s_mem);
CRYPTO_SYM(BN_bin2bn);
CRYPTO_SYM(BN_free);
CRYPTO_SYM(BN_new);
CRYPTO_SYM(BN_set_word);
CRYPTO_SYM(CRYPTO_free);
CRYPTO_SYM(ECDSA_SIG_free);
CRYPTO_SYM(ECDSA_SIG_new);
CRYPTO_SYM(ECDSA_SIG_set0);
CRYPTO_SYM(EVP_DigestFinal_ex);
CRYPTO_SYM(EVP_DigestInit_ex);
CRYPTO_SYM(EVP_DigestUpdate);
CRYPTO_SYM(EVP_DigestVerify);
CRYPTO_SYM(EVP_DigestVerifyInit);
CRYPTO_SYM(EVP_MD_CTX_free);
CRYPTO_SYM(EVP_MD_CTX_new);
CRYPTO_SYM(EVP_MD_fetch);
CRYPTO_SYM(EVP_MD_free);
CRYPTO_SYM(EVP_MD_get_size);
CRYPTO_SYM(EVP_PKEY_CTX_free);
CRYPTO_SYM(EVP_PKEY_CTX_new_from_name);
CRYPTO_SYM(EVP_PKEY_eq);
CRYPTO_SYM(EVP_PKEY_free);
CRYPTO_SYM(EVP_PKEY_fromdata);
CRYPTO_SYM(EVP_PKEY_fromdata_init);
CRYPTO_SYM(OSSL_PARAM_BLD_free);
CRYPTO_SYM(OSSL_PARAM_BLD_new);
CRYPTO_SYM(OSSL_PARAM_BLD_push_BN);
CRYPTO_SYM(OSSL_PARAM_BLD_push_octet_string);
CRYPTO_SYM(OSSL_PARAM_BLD_push_utf8_string);
CRYPTO_SYM(OSSL_PARAM_BLD_to_param);
CRYPTO_SYM(OSSL_PARAM_free);
CRYPTO_SYM(PEM_read_PUBKEY);
CRYPTO_SYM(PEM_write_bio_PUBKEY);
CRYPTO_SYM(i2d_ECDSA_SIG);

/* Load libcrypto and resolve every sym_ once per process; 0, or -EOPNOTSUPP naming what is missing. */
int dlopen_crypto(cvm_error *err);

/* The OpenSSL digest of a TCG algorithm id, fetched once and cached (loads libcrypto); -EOPNOTSUPP if unavailable. */
int crypto_md(uint16_t alg, const EVP_MD **ret, cvm_error *err);
