/* SPDX-License-Identifier: Apache-2.0 */
/* ${name} in step arguments: the plugin's parameters, then the recipe's, then the builtins. */

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rewrite.h"

#define SUBST_MAX (1u << 20)

static const char *lookup(const char *name, size_t n, const struct param *const *scopes, const size_t *nscopes,
                          size_t nscope) {
        for (size_t s = 0; s < nscope; s++)
                for (size_t i = 0; i < nscopes[s]; i++)
                        if (strlen(scopes[s][i].name) == n && strncmp(scopes[s][i].name, name, n) == 0)
                                return scopes[s][i].value;
        return NULL;
}

int subst(const char *in, const struct param *const *scopes, const size_t *nscopes, size_t nscope, const char *where,
          char **ret, cvm_error *err) {
        size_t cap = strlen(in) + 1, o = 0;
        char *out;

        assert(ret && (nscope == 0 || (scopes && nscopes)));
        if (!(out = malloc(cap)))
                return cvm_error_set(err, ENOMEM, "out of memory");
        for (const char *p = in; *p;) {
                const char *piece = p, *end;
                size_t n = 1;
                if (p[0] == '$' && p[1] == '{') {
                        end = strchr(p + 2, '}');
                        if (!end) {
                                free(out);
                                return cvm_error_set(err, EINVAL, "%s: '${' without a closing '}' in '%s'", where, in);
                        }
                        piece = lookup(p + 2, (size_t) (end - p - 2), scopes, nscopes, nscope);
                        if (!piece) {
                                free(out);
                                return cvm_error_set(err, EINVAL, "%s: unknown parameter '${%.*s}'", where,
                                                     (int) (end - p - 2), p + 2);
                        }
                        n = strlen(piece);
                        p = end + 1;
                } else {
                        p++;
                }
                if (o + n + 1 > cap) {
                        char *bigger;
                        cap = (o + n + 1) * 2;
                        if (cap > SUBST_MAX || !(bigger = realloc(out, cap))) {
                                free(out);
                                return cvm_error_set(err, E2BIG, "%s: '%.40s...' grows past 1 MiB", where, in);
                        }
                        out = bigger;
                }
                memcpy(out + o, piece, n);
                o += n;
        }
        out[o] = '\0';
        *ret = out;
        return 0;
}
