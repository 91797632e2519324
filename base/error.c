/* SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cvm/error.h"

int cvm_error_set(cvm_error *err, int code, const char *fmt, ...) {
        if (err) {
                va_list ap;
                va_start(ap, fmt);
                vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
                va_end(ap);
                err->code = code;
        }
        return -code;
}

int cvm_error_prefix(cvm_error *err, const char *fmt, ...) {
        char prefix[CVM_ERROR_MSG_MAX], old[CVM_ERROR_MSG_MAX];
        va_list ap;

        if (!err)
                return -1;
        va_start(ap, fmt);
        vsnprintf(prefix, sizeof(prefix), fmt, ap);
        va_end(ap);
        memcpy(old, err->msg, sizeof(old));
        /* Keep the prefix whole and cut the old message's tail if both do not fit. */
        size_t plen = strnlen(prefix, sizeof(err->msg) - 1);
        size_t olen = strnlen(old, sizeof(old) - 1);
        if (plen + olen > sizeof(err->msg) - 1)
                olen = sizeof(err->msg) - 1 - plen;
        memcpy(err->msg, prefix, plen);
        memcpy(err->msg + plen, old, olen);
        err->msg[plen + olen] = '\0';
        return -err->code;
}
