/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Numbers in text: strict digits-only parsing.  cvm_parse_uint is part of
 * libcvm's public API (cvm/encoding.h) and lives here because the YAML helpers
 * below libcvm parse with it too.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "cvm/encoding.h"
#include "cvmbase/number.h"

int hex_nibble(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
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
                int d = base == 16 ? hex_nibble(s[i]) : s[i] >= '0' && s[i] <= '9' ? s[i] - '0' : -1;
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
