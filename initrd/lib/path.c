/* SPDX-License-Identifier: Apache-2.0 */
/* The one spelling of a path inside an initramfs: relative, no "." or empty components, no "..". */

#include <errno.h>
#include <string.h>

#include "initrd_internal.h"

int cvm_initrd_path_normalise(const char *in, char *out, size_t size) {
        size_t o = 0;
        const char *p = in;

        if (size < 2)
                return -ENAMETOOLONG;
        while (*p) {
                size_t n;

                while (*p == '/')
                        p++;
                n = strcspn(p, "/");
                if (n == 0)
                        break;
                if (n == 2 && p[0] == '.' && p[1] == '.')
                        return -EINVAL;
                if (!(n == 1 && p[0] == '.')) {
                        if (o + (o > 0) + n + 1 > size)
                                return -ENAMETOOLONG;
                        if (o > 0)
                                out[o++] = '/';
                        memcpy(out + o, p, n);
                        o += n;
                }
                p += n;
        }
        if (o == 0) {
                if (!*in)
                        return -EINVAL;
                out[o++] = '.';
        }
        out[o] = '\0';
        return 0;
}
