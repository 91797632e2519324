/* SPDX-License-Identifier: Apache-2.0 */
#include <assert.h>
#include <stdio.h>

#include <stdlib.h>

#include "cvmbase/strv.h"

void strv_appendv(char ***v, size_t *n, const char *fmt, va_list ap) {
        char **nv, *s;

        assert(v && n && fmt);
        if (vasprintf(&s, fmt, ap) < 0)
                return;
        nv = realloc(*v, (*n + 1) * sizeof(*nv));
        if (!nv) {
                free(s);
                return;
        }
        *v = nv;
        nv[(*n)++] = s;
}

void strv_free(char **v, size_t n) {
        for (size_t i = 0; i < n; i++)
                free(v[i]);
        free(v);
}
