// SPDX-License-Identifier: GPL-2.0
/*
 * ECDSA P-256 signing with the public test key, for the simulated quote.
 * Hand-written because the 6.1 crypto API verifies ECDSA but cannot sign;
 * it is built from the P-256 primitives crypto/ecc.c exports (ecc.ko):
 * ecc_make_pub_key gives k*G, the vli_* calls the arithmetic mod n.
 *   r = x(k*G) mod n,  s = k^-1 (e + r*d) mod n   (SEC 1, 4.1.3)
 * The nonce is deterministic, k = SHA-256(d || e || counter) mod n with the
 * counter counting up from 0 until k, r and s are non-zero: simpler than
 * RFC 6979 and as safe for a key that is public anyway.  Not constant time,
 * not for secrets: it signs with a key every reader of the repository has.
 */
#include <asm/unaligned.h>
#include <crypto/ecc_curve.h>
#include <crypto/ecdh.h>
#include <crypto/internal/ecc.h>
#include <linux/string.h>

#include "softtdx.h"
#include "softtdx_test_key.h"

#define NDIGITS ECC_CURVE_NIST_P256_DIGITS

static void vli_to_be(const u64 *v, u8 *out)
{
	for (int i = 0; i < NDIGITS; i++)
		put_unaligned_be64(v[NDIGITS - 1 - i], out + 8 * i);
}

/* v mod n for v < 2n (a digest, or a coordinate mod p). */
static void reduce_once(u64 *v, const u64 *n)
{
	if (vli_cmp(v, n, NDIGITS) >= 0)
		vli_sub(v, v, n, NDIGITS);
}

/* result = (a + b) mod n, for a, b < n. */
static void mod_add(u64 *result, const u64 *a, const u64 *b, const u64 *n)
{
	u64 carry = 0;

	for (int i = 0; i < NDIGITS; i++) {
		u64 sum = a[i] + carry;
		u64 c1 = sum < carry;

		sum += b[i];
		carry = c1 | (sum < b[i]);
		result[i] = sum;
	}
	if (carry || vli_cmp(result, n, NDIGITS) >= 0)
		vli_sub(result, result, n, NDIGITS);
}

/* k for the attempt counter, reduced mod n, as digits and as big-endian bytes. */
static int nonce(const u8 digest[32], u8 counter, const u64 *n, u64 *k, u8 kbe[32])
{
	u8 in[65];
	int r;

	memcpy(in, softtdx_test_key_d, 32);
	memcpy(in + 32, digest, 32);
	in[64] = counter;
	r = softtdx_digest("sha256", in, sizeof(in), NULL, 0, kbe);
	memzero_explicit(in, sizeof(in));
	if (r)
		return r;
	vli_from_be64(k, kbe, NDIGITS);
	reduce_once(k, n);
	vli_to_be(k, kbe);
	return 0;
}

/* One attempt: 0 with a signature, -EAGAIN when k, r or s came out zero. */
static int try_sign(const u64 *e, const u64 *d, u8 counter, u8 sig[64])
{
	const struct ecc_curve *c = ecc_get_curve(ECC_CURVE_NIST_P256);
	u64 k[NDIGITS], kinv[NDIGITS], r[NDIGITS], s[NDIGITS], point[2 * NDIGITS];
	u8 kbe[32], digest[32];
	int ret;

	vli_to_be(e, digest);
	ret = nonce(digest, counter, c->n, k, kbe);
	if (ret)
		return ret;
	if (vli_is_zero(k, NDIGITS))
		return -EAGAIN;
	/* ecc_make_pub_key takes and gives big-endian bytes: point = x||y of k*G. */
	ret = ecc_make_pub_key(ECC_CURVE_NIST_P256, NDIGITS, (const u64 *)kbe, point);
	memzero_explicit(kbe, sizeof(kbe));
	if (ret)
		return ret;
	vli_from_be64(r, point, NDIGITS);
	reduce_once(r, c->n);
	vli_mod_mult_slow(s, r, d, c->n, NDIGITS);
	mod_add(s, s, e, c->n);
	vli_mod_inv(kinv, k, c->n, NDIGITS);
	vli_mod_mult_slow(s, kinv, s, c->n, NDIGITS);
	if (vli_is_zero(r, NDIGITS) || vli_is_zero(s, NDIGITS))
		return -EAGAIN;
	vli_to_be(r, sig);
	vli_to_be(s, sig + 32);
	return 0;
}

int softtdx_ecdsa_sign(const u8 digest[32], u8 sig[64], u8 pub[64])
{
	const struct ecc_curve *c = ecc_get_curve(ECC_CURVE_NIST_P256);
	u64 e[NDIGITS], d[NDIGITS];
	int ret;

	if (!c)
		return -ENOENT;
	ret = ecc_make_pub_key(ECC_CURVE_NIST_P256, NDIGITS, (const u64 *)softtdx_test_key_d, (u64 *)pub);
	if (ret)
		return ret;
	vli_from_be64(e, digest, NDIGITS);
	reduce_once(e, c->n);
	vli_from_be64(d, softtdx_test_key_d, NDIGITS);
	ret = -EAGAIN;
	for (unsigned int counter = 0; ret == -EAGAIN && counter < 256; counter++)
		ret = try_sign(e, d, counter, sig);
	memzero_explicit(d, sizeof(d));
	return ret;
}
