/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer harness: the kernel versions a .deb or .rpm installs (rewriter/kernel_pkg.c, libarchive underneath). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../rewriter/kernel_pkg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char **v = NULL;
        size_t n = 0;
        cvm_error err = { 0 };

        (void) kernel_pkg_versions(data, size, "fuzz", &v, &n, &err);
        for (size_t i = 0; i < n; i++) {
                /* Every version is a safe file name and shell word. */
                if (!*v[i] || strlen(v[i]) > 128 || strspn(v[i], "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._+~-") != strlen(v[i]))
                        abort();
                free(v[i]);
        }
        free(v);
        return 0;
}
