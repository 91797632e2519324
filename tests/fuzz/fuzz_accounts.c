/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer harness: the account files the password, chown and ssh-inject
 * steps read from the guest.  The first byte picks the operation (shadow
 * edit, passwd look-up, group look-up); then NAME\0HASH\0 and the file's text.
 * An edit that succeeds must hold the new hash on exactly one line.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../rewriter/accounts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        const char *name, *hash, *text;
        const uint8_t *z1, *z2;
        cvm_error err;
        char *copy, *out;
        size_t n, len;

        if (size < 1 || !(z1 = memchr(data + 1, 0, size - 1)) || !(z2 = memchr(z1 + 1, 0, size - (size_t) (z1 + 1 - data))))
                return 0;
        name = (const char *) data + 1;
        hash = (const char *) z1 + 1;
        len = size - (size_t) (z2 + 1 - data);
        /* The text in a buffer of its own size, so ASan sees a read past its end. */
        if (!(copy = malloc(len ? len : 1)))
                return 0;
        memcpy(copy, z2 + 1, len);
        text = copy;
        if (data[0] % 3 == 0) {
                if (accounts_shadow_set(text, len, "shadow", name, hash, &out, &n, &err) == 0) {
                        if (strlen(out) != n || n == 0 || out[n - 1] != '\n')
                                abort();
                        free(out);
                }
        } else {
                struct account a;
                if (accounts_find(text, len, "passwd", name, data[0] % 3 == 1, &a, &err) == 0)
                        free(a.home);
        }
        free(copy);
        return 0;
}
