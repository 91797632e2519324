/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "cvm/encoding.h"

char *cvm_hex(const uint8_t *buf, size_t len, char *out) {
        static const char digits[] = "0123456789abcdef";

        for (size_t i = 0; i < len; i++) {
                out[2 * i] = digits[buf[i] >> 4];
                out[2 * i + 1] = digits[buf[i] & 0xf];
        }
        out[2 * len] = '\0';
        return out;
}

char *cvm_hex_alloc(const uint8_t *buf, size_t len) {
        char *s = malloc(2 * len + 1);
        return s ? cvm_hex(buf, len, s) : NULL;
}

static int nibble(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

int cvm_unhex(const char *hex, uint8_t *out, size_t max) {
        size_t n;

        if (hex[0] == '0' && (hex[1] == 'x' || hex[1] == 'X'))
                hex += 2;
        n = strlen(hex);
        if (n % 2)
                return -EINVAL;
        if (n / 2 > max)
                return -ENOBUFS;
        for (size_t i = 0; i < n / 2; i++) {
                int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
                if (hi < 0 || lo < 0)
                        return -EINVAL;
                out[i] = (uint8_t) (hi << 4 | lo);
        }
        return (int) (n / 2);
}

int cvm_parse_uint(const char *s, size_t len, int base, uint64_t max, uint64_t *ret) {
        uint64_t v = 0;
        size_t i = 0;

        if (len == SIZE_MAX)
                len = strlen(s);
        if (base != 10 && len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
                base = 16;
                i = 2;
        } else if (base == 0)
                base = 10;
        if (i == len)
                return -EINVAL;
        for (; i < len; i++) {
                int d = base == 16 ? nibble(s[i]) : s[i] >= '0' && s[i] <= '9' ? s[i] - '0' : -1;
                if (d < 0)
                        return -EINVAL;
                if (v > (UINT64_MAX - (uint64_t) d) / (uint64_t) base)
                        return -ERANGE;
                v = v * (uint64_t) base + (uint64_t) d;
        }
        if (v > max)
                return -ERANGE;
        *ret = v;
        return 0;
}

char *cvm_base64_alloc(const uint8_t *buf, size_t len) {
        size_t n = 4 * ((len + 2) / 3) + 1;
        char *s;

        if (len > (size_t) INT32_MAX / 2)
                return NULL;
        s = malloc(n);
        if (s)
                EVP_EncodeBlock((unsigned char *) s, buf, (int) len);
        return s;
}
