/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * libyaml's document API with errors that name file:line:column, shared by
 * every YAML reader of the project (the measurer's policy, the rewriter's
 * recipes and plugins).  Private: not part of libcvm's public API.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <yaml.h>

#include "cvm/error.h"

struct yx {
        yaml_document_t *doc;
        const char *name;       /* the file, for messages */
        cvm_error *err;
};

/* Parse buf into doc (yaml_document_delete() it); a syntax error names name:line:column. */
int yx_load(const uint8_t *buf, size_t len, const char *name, yaml_document_t *doc, cvm_error *err);

/* Set err to "name:line:column: MSG" for node n; returns -EINVAL. */
int yx_at(const struct yx *c, const yaml_node_t *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The node with this id, or NULL. */
static inline yaml_node_t *yx_node(const struct yx *c, int id) {
        return yaml_document_get_node(c->doc, id);
}

/* The text of a scalar node, or NULL for anything else. */
const char *yx_scalar(const yaml_node_t *n);

/* A non-empty string of at most 4096 bytes without NUL, copied into *ret. */
int yx_string(const struct yx *c, const yaml_node_t *n, const char *key, char **ret);

/* true or false. */
int yx_bool(const struct yx *c, const yaml_node_t *n, const char *key, bool *ret);

/* A decimal integer in [lo, hi]: digits only (cvm_parse_uint), no sign or space. */
int yx_uint(const struct yx *c, const yaml_node_t *n, const char *key, uint64_t lo, uint64_t hi, uint64_t *ret);

/* One of words (its index in *ret). */
int yx_enum(const struct yx *c, const yaml_node_t *n, const char *key, const char *const *words, size_t nwords, int *ret);

/* An error if the key of pair was given before in map (a second value would silently win). */
int yx_unique(const struct yx *c, const yaml_node_t *map, const yaml_node_pair_t *pair);

/* An absolute path with no empty, "." or ".." component. */
int yx_abs_path(const struct yx *c, const yaml_node_t *n, const char *key, const char *p);
