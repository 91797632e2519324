/* SPDX-License-Identifier: GPL-2.0 */
/*
 * THIS IS A PUBLIC TEST KEY.  It is committed to the repository
 * (tests/softtdx/test-key.pem; its public half test-key.pub.pem) so that the
 * host side of cvmkit's closed loop can recognise quotes made by the
 * simulated TDX device.  It proves nothing about any platform: anyone can
 * sign with it.  Never accept it outside tests.
 */
#ifndef SOFTTDX_TEST_KEY_H
#define SOFTTDX_TEST_KEY_H

/* The P-256 private scalar d, big-endian (the OCTET STRING of test-key.pem). */
static const u8 softtdx_test_key_d[32] = {
	0x41, 0x73, 0x30, 0xe3, 0xdc, 0x4d, 0x17, 0xe4,
	0x74, 0x37, 0xd7, 0x53, 0x24, 0xb8, 0x40, 0xd4,
	0x13, 0xd5, 0x94, 0x5e, 0xf8, 0xac, 0xa2, 0xc1,
	0x6e, 0xf6, 0xc4, 0xac, 0x15, 0x73, 0xea, 0x70,
};

#endif
