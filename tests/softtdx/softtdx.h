/* SPDX-License-Identifier: GPL-2.0 */
/*
 * soft_tdx_guest: a software TDX guest device for tests (simulated).  The
 * shared state of its parts: the measurement registers (softtdx_dev.c), the
 * TDREPORT and quote layouts (softtdx_report.c), the quote signature
 * (softtdx_ecdsa.c) and the configfs-tsm report interface (softtdx_tsm.c).
 */
#ifndef SOFTTDX_H
#define SOFTTDX_H

#include <linux/types.h>

#define SOFTTDX_MR 48
#define SOFTTDX_REPORTDATA 64
#define SOFTTDX_TDREPORT 1024
#define SOFTTDX_QUOTE_HEADER 48
#define SOFTTDX_QUOTE_BODY 584
/* The quote's certification data: no QE, no PCK chain, said in words. */
#define SOFTTDX_CERT_TYPE 0x7e57
#define SOFTTDX_CERT_TEXT "SIMULATED: cvmkit soft_tdx_guest quote, signed with cvmkit's public test key; no QE, no PCK certificate"
#define SOFTTDX_QUOTE_SIZE (SOFTTDX_QUOTE_HEADER + SOFTTDX_QUOTE_BODY + 4 + 64 + 64 + 6 + sizeof(SOFTTDX_CERT_TEXT) - 1)

/* A copy of MRTD and RTMR0-3 taken under the registers' lock. */
struct softtdx_regs {
	u8 mrtd[SOFTTDX_MR];
	u8 rtmr[4][SOFTTDX_MR];
};

/* The live registers, copied under their lock (softtdx_dev.c). */
void softtdx_snapshot(struct softtdx_regs *r);

/* One-shot digest with the kernel crypto API ("sha384" or "sha256"); 0 or -errno. */
int softtdx_digest(const char *alg, const u8 *a, size_t alen, const u8 *b, size_t blen, u8 *out);

/* A 1024-byte TDREPORT laid out as the TDX module's TDG.MR.REPORT output. */
int softtdx_tdreport(const struct softtdx_regs *r, const u8 reportdata[SOFTTDX_REPORTDATA], u8 *out);

/* A DCAP quote v4 of SOFTTDX_QUOTE_SIZE bytes over the registers and report data, signed with the test key. */
int softtdx_quote(const struct softtdx_regs *r, const u8 reportdata[SOFTTDX_REPORTDATA], u8 *out);

/* ECDSA P-256 over a SHA-256 digest with the test key: r||s and the public key x||y, big-endian. */
int softtdx_ecdsa_sign(const u8 digest[32], u8 sig[64], u8 pub[64]);

/* The configfs subsystem tsm/report (6.1 has no TSM core). */
int softtdx_tsm_register(void);
void softtdx_tsm_unregister(void);

#endif
