/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cvm_tdx_quote_verify_signature: a v4 quote built and signed here with an
 * OpenSSL P-256 key verifies, pinned to its key or not; one changed byte of
 * the body or the signature, another pinned key, a TDREPORT all fail.
 */
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <unistd.h>

#include "unit.h"

#define SIGNED_LEN (48 + 584)
#define QUOTE_LEN (SIGNED_LEN + 4 + 64 + 64 + 6)

struct fixture_keys {
        EVP_PKEY *key, *other;
        char pem[64], other_pem[64];
        uint8_t quote[QUOTE_LEN];
};

static void put_le(uint8_t *p, uint32_t v, int n) {
        for (int i = 0; i < n; i++)
                p[i] = (uint8_t) (v >> 8 * i);
}

static void write_pem(EVP_PKEY *k, char path[64]) {
        int fd;
        FILE *f;

        snprintf(path, 64, "/tmp/test_quote_sig.XXXXXX");
        fd = mkstemp(path);
        assert_true(fd >= 0);
        f = fdopen(fd, "w");
        assert_non_null(f);
        assert_int_equal(PEM_write_PUBKEY(f, k), 1);
        assert_int_equal(fclose(f), 0);
}

/* The quote: header, a body with a marker, signature data with r||s and x||y, no certification data. */
static void sign_quote(struct fixture_keys *fx) {
        uint8_t *q = fx->quote, der[80], pub[65];
        size_t der_len = sizeof(der), pub_len = 0;
        const unsigned char *p = der;
        EVP_MD_CTX *md = EVP_MD_CTX_new();
        ECDSA_SIG *sig;

        memset(q, 0, QUOTE_LEN);
        put_le(q, 4, 2);
        put_le(q + 2, 2, 2);
        put_le(q + 4, 0x81, 4);
        memset(q + 48 + 520, 0xab, 64);  /* report data */
        put_le(q + SIGNED_LEN, 64 + 64 + 6, 4);
        assert_non_null(md);
        assert_int_equal(EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, fx->key), 1);
        assert_int_equal(EVP_DigestSign(md, der, &der_len, q, SIGNED_LEN), 1);
        EVP_MD_CTX_free(md);
        sig = d2i_ECDSA_SIG(NULL, &p, (long) der_len);
        assert_non_null(sig);
        assert_int_equal(BN_bn2binpad(ECDSA_SIG_get0_r(sig), q + SIGNED_LEN + 4, 32), 32);
        assert_int_equal(BN_bn2binpad(ECDSA_SIG_get0_s(sig), q + SIGNED_LEN + 36, 32), 32);
        ECDSA_SIG_free(sig);
        assert_int_equal(EVP_PKEY_get_octet_string_param(fx->key, OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof(pub), &pub_len), 1);
        assert_int_equal(pub_len, 65);
        memcpy(q + SIGNED_LEN + 68, pub + 1, 64);
}

static int setup(void **state) {
        struct fixture_keys *fx = calloc(1, sizeof(*fx));

        assert_non_null(fx);
        fx->key = EVP_EC_gen("P-256");
        fx->other = EVP_EC_gen("P-256");
        assert_non_null(fx->key);
        assert_non_null(fx->other);
        write_pem(fx->key, fx->pem);
        write_pem(fx->other, fx->other_pem);
        sign_quote(fx);
        *state = fx;
        return 0;
}

static int teardown(void **state) {
        struct fixture_keys *fx = *state;

        unlink(fx->pem);
        unlink(fx->other_pem);
        EVP_PKEY_free(fx->key);
        EVP_PKEY_free(fx->other);
        free(fx);
        return 0;
}

/* verify(quote with byte `at` xor-ed by flip, pinned key path or NULL): the library's result. */
static int verify(const struct fixture_keys *fx, size_t at, uint8_t flip, const char *pem) {
        uint8_t copy[QUOTE_LEN];
        struct cvm_quote *q = NULL;
        cvm_error err = { 0 };
        int r;

        memcpy(copy, fx->quote, QUOTE_LEN);
        copy[at] ^= flip;
        if (cvm_quote_parse(copy, QUOTE_LEN, &q, &err) < 0)
                fail_msg("%s", err.msg);
        r = cvm_tdx_quote_verify_signature(q, pem, &err);
        cvm_quote_free(q);
        return r;
}

static void test_valid(void **state) {
        struct fixture_keys *fx = *state;

        assert_int_equal(verify(fx, 0, 0, NULL), 0);
        assert_int_equal(verify(fx, 0, 0, fx->pem), 0);
}

static void test_other_key(void **state) {
        struct fixture_keys *fx = *state;

        assert_int_equal(verify(fx, 0, 0, fx->other_pem), -EKEYREJECTED);
}

static void test_tampered(void **state) {
        struct fixture_keys *fx = *state;

        assert_int_equal(verify(fx, 48 + 520, 0x01, NULL), -EBADMSG);        /* report data */
        assert_int_equal(verify(fx, 48 + 328, 0x80, fx->pem), -EBADMSG);     /* RTMR0 */
        assert_int_equal(verify(fx, SIGNED_LEN + 4 + 40, 0x01, NULL), -EBADMSG); /* s */
        assert_int_equal(verify(fx, SIGNED_LEN + 68 + 10, 0x01, NULL), -EBADMSG); /* the key: off the curve */
}

static void test_not_a_quote(void **state) {
        uint8_t report[1024] = { 0x81 };
        struct cvm_quote *q = NULL;
        cvm_error err = { 0 };
        (void) state;

        assert_int_equal(cvm_quote_parse(report, sizeof(report), &q, &err), 0);
        assert_int_equal(cvm_tdx_quote_verify_signature(q, NULL, &err), -EINVAL);
        cvm_quote_free(q);
}

static void test_bad_pem(void **state) {
        struct fixture_keys *fx = *state;

        assert_int_equal(verify(fx, 0, 0, "/nonexistent/key.pem"), -ENOENT);
        assert_int_equal(verify(fx, 0, 0, "/dev/null"), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_valid),
                cmocka_unit_test(test_other_key),
                cmocka_unit_test(test_tampered),
                cmocka_unit_test(test_not_a_quote),
                cmocka_unit_test(test_bad_pem),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
