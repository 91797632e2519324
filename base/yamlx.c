/* SPDX-License-Identifier: Apache-2.0 */
/* YAML document helpers: typed scalars and file:line:column errors. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cvm/encoding.h"
#include "cvmbase/yamlx.h"

#define STRING_MAX 4096

int yx_load(const uint8_t *buf, size_t len, const char *name, yaml_document_t *doc, cvm_error *err) {
        yaml_parser_t parser;
        int r = 0;

        if (!yaml_parser_initialize(&parser))
                return cvm_error_set(err, ENOMEM, "out of memory");
        yaml_parser_set_input_string(&parser, buf, len);
        if (!yaml_parser_load(&parser, doc))
                r = cvm_error_set(err, EINVAL, "%s:%zu:%zu: YAML error: %s %s", name, parser.problem_mark.line + 1,
                                  parser.problem_mark.column + 1, parser.problem ? parser.problem : "",
                                  parser.context ? parser.context : "");
        yaml_parser_delete(&parser);
        return r;
}

int yx_at(const struct yx *c, const yaml_node_t *n, const char *fmt, ...) {
        char msg[512];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        return cvm_error_set(c->err, EINVAL, "%s:%zu:%zu: %s", c->name, n->start_mark.line + 1, n->start_mark.column + 1,
                             msg);
}

const char *yx_scalar(const yaml_node_t *n) {
        return n && n->type == YAML_SCALAR_NODE ? (const char *) n->data.scalar.value : NULL;
}

int yx_string(const struct yx *c, const yaml_node_t *n, const char *key, char **ret) {
        const char *s = yx_scalar(n);

        if (!s || n->data.scalar.length == 0)
                return yx_at(c, n, "%s: expected a non-empty string", key);
        if (n->data.scalar.length > STRING_MAX || strlen(s) != n->data.scalar.length)
                return yx_at(c, n, "%s: longer than %d bytes or holds a NUL", key, STRING_MAX);
        *ret = strdup(s);
        return *ret ? 0 : cvm_error_set(c->err, ENOMEM, "out of memory");
}

int yx_bool(const struct yx *c, const yaml_node_t *n, const char *key, bool *ret) {
        const char *s = yx_scalar(n);

        if (s && (strcmp(s, "true") == 0 || strcmp(s, "false") == 0)) {
                *ret = s[0] == 't';
                return 0;
        }
        return yx_at(c, n, "%s: expected true or false", key);
}

int yx_uint(const struct yx *c, const yaml_node_t *n, const char *key, uint64_t lo, uint64_t hi, uint64_t *ret) {
        const char *s = yx_scalar(n);
        uint64_t v;

        if (!s || cvm_parse_uint(s, SIZE_MAX, 10, hi, &v) < 0 || v < lo)
                return s && *s ? yx_at(c, n, "%s: expected an integer from %llu to %llu, got '%s'", key, (unsigned long long) lo,
                                       (unsigned long long) hi, s)
                               : yx_at(c, n, "%s: expected an integer from %llu to %llu", key, (unsigned long long) lo,
                                       (unsigned long long) hi);
        *ret = v;
        return 0;
}

int yx_enum(const struct yx *c, const yaml_node_t *n, const char *key, const char *const *words, size_t nwords, int *ret) {
        const char *s = yx_scalar(n);
        char list[256] = "";

        for (size_t i = 0; s && i < nwords; i++)
                if (strcmp(s, words[i]) == 0) {
                        *ret = (int) i;
                        return 0;
                }
        for (size_t i = 0; i < nwords; i++) {
                size_t o = strlen(list);
                snprintf(list + o, sizeof(list) - o, "%s%s", i ? (i + 1 == nwords ? " or " : ", ") : "", words[i]);
        }
        return yx_at(c, n, "%s: expected %s, got '%s'", key, list, s ? s : "(not a scalar)");
}

int yx_unique(const struct yx *c, const yaml_node_t *map, const yaml_node_pair_t *pair) {
        const char *key = yx_scalar(yx_node(c, pair->key));

        for (const yaml_node_pair_t *q = map->data.mapping.pairs.start; key && q < pair; q++) {
                const char *other = yx_scalar(yx_node(c, q->key));
                if (other && strcmp(other, key) == 0)
                        return yx_at(c, yx_node(c, pair->key), "duplicate key '%s'", key);
        }
        return 0;
}

int yx_abs_path(const struct yx *c, const yaml_node_t *n, const char *key, const char *p) {
        const char *s = p;

        if (p[0] != '/')
                return yx_at(c, n, "%s: '%s' is not an absolute path", key, p);
        while (*s) {
                size_t len;
                while (*s == '/')
                        s++;
                len = strcspn(s, "/");
                if ((len == 1 && s[0] == '.') || (len == 2 && s[0] == '.' && s[1] == '.'))
                        return yx_at(c, n, "%s: '%s' has a '.' or '..' component", key, p);
                s += len;
        }
        return 0;
}
