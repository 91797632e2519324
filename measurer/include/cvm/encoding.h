/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* libcvm exports what its public headers declare, and nothing else (libcvm.sym). */
#pragma GCC visibility push(default)

#include <stddef.h>
#include <stdint.h>

/* Lower-case hex of len bytes into out (2*len+1 bytes, NUL-terminated); returns out. */
char *cvm_hex(const uint8_t *buf, size_t len, char *out);

/* Same as cvm_hex, but malloc'ed; NULL on allocation failure. */
char *cvm_hex_alloc(const uint8_t *buf, size_t len);

/* Decode hex (either case, optional "0x") into out (max bytes); returns the length or -EINVAL/-ENOBUFS. */
int cvm_unhex(const char *hex, uint8_t *out, size_t max);

/*
 * A strict unsigned number, the one parser of every numeric option and field:
 * all of s[0..len) (len SIZE_MAX: up to its NUL) is digits, with no sign,
 * space or other byte; base 10, 16 (an optional 0x), or 0 (0x: hex, else
 * decimal).  -EINVAL if it is not such a number, -ERANGE above max.
 */
int cvm_parse_uint(const char *s, size_t len, int base, uint64_t max, uint64_t *ret);

/* Standard base64 with padding, malloc'ed and NUL-terminated; NULL on allocation failure. */
char *cvm_base64_alloc(const uint8_t *buf, size_t len);

#pragma GCC visibility pop
