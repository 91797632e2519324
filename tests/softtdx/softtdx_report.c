// SPDX-License-Identifier: GPL-2.0
/*
 * The simulated device's TDREPORT and quote, byte for byte in the layouts of
 * the real ones: TDREPORT_STRUCT as the TDX module ABI (REPORTMACSTRUCT at 0,
 * TEE_TCB_INFO at 256, TDINFO at 512) and a DCAP ECDSA quote v4 (Intel TDX
 * DCAP Quote Generation Library, appendix A: 48-byte header, 584-byte TD
 * report body, signature data).  Where a real device has secrets, this one
 * says it is simulated: the MAC is an unkeyed SHA-256, the quote's QE vendor
 * ID is "cvmkit-simulated" and its certification data a sentence, and it is
 * signed with a public test key (softtdx_test_key.h).
 */
#include <asm/unaligned.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "softtdx.h"

#define TEE_TCB_INFO_OFF 256
#define TEE_TCB_INFO_LEN 239
#define TDINFO_OFF 512
#define TDINFO_LEN 512

/* The quote header's QE vendor ID: 16 bytes no Intel QE has. */
static const char qe_vendor_simulated[16] = "cvmkit-simulated";

/* The TDINFO fields a TD report body repeats: attributes, xfam, the four MRs of the TD, RTMR0-3. */
static void put_tdinfo(u8 *t, const struct softtdx_regs *r)
{
	memcpy(t + 16, r->mrtd, SOFTTDX_MR);
	memcpy(t + 208, r->rtmr, sizeof(r->rtmr));
}

int softtdx_tdreport(const struct softtdx_regs *r, const u8 reportdata[SOFTTDX_REPORTDATA], u8 *out)
{
	int ret;

	memset(out, 0, SOFTTDX_TDREPORT);
	out[0] = 0x81;  /* REPORTTYPE: TDX, subtype 0, version 0 (TDX 1.0) */
	put_tdinfo(out + TDINFO_OFF, r);
	ret = softtdx_digest("sha384", out + TEE_TCB_INFO_OFF, TEE_TCB_INFO_LEN, NULL, 0, out + 32);
	if (!ret)
		ret = softtdx_digest("sha384", out + TDINFO_OFF, TDINFO_LEN, NULL, 0, out + 80);
	memcpy(out + 128, reportdata, SOFTTDX_REPORTDATA);
	/* REPORTMACSTRUCT.MAC: an unkeyed SHA-256 of the 224 bytes before it (simulated: no CPU key). */
	if (!ret)
		ret = softtdx_digest("sha256", out, 224, NULL, 0, out + 224);
	return ret;
}

static void put_header(u8 *h)
{
	put_unaligned_le16(4, h);        /* version */
	put_unaligned_le16(2, h + 2);    /* attestation key type: ECDSA-256 with P-256 */
	put_unaligned_le32(0x81, h + 4); /* TEE type: TDX */
	memcpy(h + 12, qe_vendor_simulated, sizeof(qe_vendor_simulated));
}

static void put_body(u8 *b, const struct softtdx_regs *r, const u8 reportdata[SOFTTDX_REPORTDATA])
{
	memcpy(b + 136, r->mrtd, SOFTTDX_MR);
	memcpy(b + 328, r->rtmr, sizeof(r->rtmr));
	memcpy(b + 520, reportdata, SOFTTDX_REPORTDATA);
}

int softtdx_quote(const struct softtdx_regs *r, const u8 reportdata[SOFTTDX_REPORTDATA], u8 *out)
{
	const size_t signed_len = SOFTTDX_QUOTE_HEADER + SOFTTDX_QUOTE_BODY;
	u8 *sig = out + signed_len + 4;
	u8 digest[32];
	int ret;

	memset(out, 0, SOFTTDX_QUOTE_SIZE);
	put_header(out);
	put_body(out + SOFTTDX_QUOTE_HEADER, r, reportdata);
	put_unaligned_le32(SOFTTDX_QUOTE_SIZE - signed_len - 4, out + signed_len);
	ret = softtdx_digest("sha256", out, signed_len, NULL, 0, digest);
	if (!ret)
		ret = softtdx_ecdsa_sign(digest, sig, sig + 64);
	if (ret)
		return ret;
	put_unaligned_le16(SOFTTDX_CERT_TYPE, sig + 128);
	put_unaligned_le32(sizeof(SOFTTDX_CERT_TEXT) - 1, sig + 130);
	memcpy(sig + 134, SOFTTDX_CERT_TEXT, sizeof(SOFTTDX_CERT_TEXT) - 1);
	return 0;
}
