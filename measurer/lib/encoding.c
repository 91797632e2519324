/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <nettle/base64.h>

#include "cvm/encoding.h"
#include "cvmbase/base.h"

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
                int hi = hex_nibble(hex[2 * i]), lo = hex_nibble(hex[2 * i + 1]);
                if (hi < 0 || lo < 0)
                        return -EINVAL;
                out[i] = (uint8_t) (hi << 4 | lo);
        }
        return (int) (n / 2);
}

char *cvm_base64_alloc(const uint8_t *buf, size_t len) {
        char *s;

        if (len > (size_t) INT32_MAX / 2)
                return NULL;
        s = malloc(BASE64_ENCODE_RAW_LENGTH(len) + 1);
        if (s) {
                base64_encode_raw(s, len, buf);
                s[BASE64_ENCODE_RAW_LENGTH(len)] = '\0';
        }
        return s;
}
