/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Lower-case hex of len bytes into out (2*len+1 bytes, NUL-terminated); returns out. */
char *cvm_hex(const uint8_t *buf, size_t len, char *out);

/* Same as cvm_hex, but malloc'ed; NULL on allocation failure. */
char *cvm_hex_alloc(const uint8_t *buf, size_t len);

/* Decode hex (either case, optional "0x") into out (max bytes); returns the length or -EINVAL/-ENOBUFS. */
int cvm_unhex(const char *hex, uint8_t *out, size_t max);

/* Standard base64 with padding, malloc'ed and NUL-terminated; NULL on allocation failure. */
char *cvm_base64_alloc(const uint8_t *buf, size_t len);
