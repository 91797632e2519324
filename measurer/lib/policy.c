/* SPDX-License-Identifier: Apache-2.0 */
/* The cvm-measure policy: YAML (libyaml's document API, for line:column in every error) into cvm_policy. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "cvm/policy.h"
#include "internal.h"

#define POLICY_MAX (1u << 20)
#define STRING_MAX 4096

struct ctx {
        yaml_document_t *doc;
        const char *name;
        cvm_error *err;
};

static int at(struct ctx *c, const yaml_node_t *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int at(struct ctx *c, const yaml_node_t *n, const char *fmt, ...) {
        char msg[512];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        return cvm_error_set(c->err, EINVAL, "%s:%zu:%zu: %s", c->name, n->start_mark.line + 1, n->start_mark.column + 1, msg);
}

static const char *scalar(const yaml_node_t *n) {
        return n && n->type == YAML_SCALAR_NODE ? (const char *) n->data.scalar.value : NULL;
}

static int get_string(struct ctx *c, const yaml_node_t *n, const char *key, char **ret) {
        const char *s = scalar(n);

        if (!s || n->data.scalar.length == 0)
                return at(c, n, "%s: expected a non-empty string", key);
        if (n->data.scalar.length > STRING_MAX || strlen(s) != n->data.scalar.length)
                return at(c, n, "%s: longer than %d bytes or holds a NUL", key, STRING_MAX);
        *ret = strdup(s);
        return *ret ? 0 : cvm_error_set(c->err, ENOMEM, "out of memory");
}

static int get_bool(struct ctx *c, const yaml_node_t *n, const char *key, bool *ret) {
        const char *s = scalar(n);

        if (s && (strcmp(s, "true") == 0 || strcmp(s, "false") == 0)) {
                *ret = s[0] == 't';
                return 0;
        }
        return at(c, n, "%s: expected true or false", key);
}

static int get_int(struct ctx *c, const yaml_node_t *n, const char *key, int lo, int hi, int *ret) {
        const char *s = scalar(n);
        char *end;
        long v;

        if (!s || !*s)
                return at(c, n, "%s: expected an integer from %d to %d", key, lo, hi);
        v = strtol(s, &end, 10);
        if (*end || v < lo || v > hi)
                return at(c, n, "%s: expected an integer from %d to %d, got '%s'", key, lo, hi, s);
        *ret = (int) v;
        return 0;
}

static int get_enum(struct ctx *c, const yaml_node_t *n, const char *key, const char *const *words, size_t nwords, int *ret) {
        const char *s = scalar(n);

        for (size_t i = 0; s && i < nwords; i++)
                if (strcmp(s, words[i]) == 0) {
                        *ret = (int) i;
                        return 0;
                }
        return at(c, n, "%s: expected %s%s%s%s%s, got '%s'", key, words[0], nwords > 1 ? " or " : "", nwords > 1 ? words[1] : "",
                  nwords > 2 ? " or " : "", nwords > 2 ? words[2] : "", s ? s : "(not a scalar)");
}

/* A key given twice would silently lose one of its values. */
static int check_unique(struct ctx *c, const yaml_node_t *map, const yaml_node_pair_t *pair) {
        const char *key = scalar(yaml_document_get_node(c->doc, pair->key));

        for (const yaml_node_pair_t *q = map->data.mapping.pairs.start; key && q < pair; q++) {
                const char *other = scalar(yaml_document_get_node(c->doc, q->key));
                if (other && strcmp(other, key) == 0)
                        return at(c, yaml_document_get_node(c->doc, pair->key), "duplicate key '%s'", key);
        }
        return 0;
}

/* Absolute, no empty, "." or ".." component, no NUL: resolved under the root, never above it. */
static int check_path(struct ctx *c, const yaml_node_t *n, const char *key, const char *p) {
        const char *s = p;

        if (p[0] != '/')
                return at(c, n, "%s: '%s' is not an absolute path", key, p);
        while (*s) {
                size_t len;
                while (*s == '/')
                        s++;
                len = strcspn(s, "/");
                if ((len == 1 && s[0] == '.') || (len == 2 && s[0] == '.' && s[1] == '.'))
                        return at(c, n, "%s: '%s' has a '.' or '..' component", key, p);
                s += len;
        }
        return 0;
}

static int parse_item(struct ctx *c, const yaml_node_t *n, struct cvm_policy_item *it) {
        static const char *const kinds[] = { "file", "tree", "glob", "cmdline", "string" };
        yaml_node_pair_t *pair;
        const yaml_node_t *k, *v;
        int kind, r;

        if (n->type != YAML_MAPPING_NODE || n->data.mapping.pairs.top - n->data.mapping.pairs.start != 1)
                return at(c, n, "an item is a mapping with one key: file, tree, glob, cmdline or string");
        pair = n->data.mapping.pairs.start;
        k = yaml_document_get_node(c->doc, pair->key);
        v = yaml_document_get_node(c->doc, pair->value);
        if ((r = get_enum(c, k, "item", kinds, 5, &kind)) < 0)
                return at(c, k, "unknown item kind '%s': expected file, tree, glob, cmdline or string", scalar(k) ? scalar(k) : "?");
        it->kind = (enum cvm_item_kind) kind;
        it->line = (unsigned) n->start_mark.line + 1;
        if (it->kind == CVM_ITEM_CMDLINE) {
                bool on;
                if ((r = get_bool(c, v, "cmdline", &on)) < 0)
                        return r;
                if (!on)
                        return at(c, v, "cmdline: false is not an item; leave it out");
                return 0;
        }
        if ((r = get_string(c, v, kinds[kind], &it->value)) < 0)
                return r;
        return it->kind == CVM_ITEM_STRING ? 0 : check_path(c, v, kinds[kind], it->value);
}

static int parse_group(struct ctx *c, const yaml_node_t *n, struct cvm_policy_group *g) {
        static const char *const classes[] = { "os", "cloud-native" };
        static const char *const on_error[] = { "halt", "continue" };
        static const char *const on_missing[] = { "event", "error", "ignore" };
        const yaml_node_t *items = NULL, *class = NULL;
        int r = 0, v;

        g->rtmr = g->pcr = -1;
        if (n->type != YAML_MAPPING_NODE)
                return at(c, n, "a group is a mapping (name, class, items, ...)");
        for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top && r >= 0; p++) {
                const yaml_node_t *k = yaml_document_get_node(c->doc, p->key), *val = yaml_document_get_node(c->doc, p->value);
                const char *key = scalar(k);

                if (!key)
                        r = at(c, k, "a group key must be a string");
                else if ((r = check_unique(c, n, p)) < 0)
                        break;
                else if (strcmp(key, "name") == 0)
                        r = get_string(c, val, key, &g->name);
                else if (strcmp(key, "class") == 0) {
                        class = val;
                        if ((r = get_enum(c, val, key, classes, 2, &v)) >= 0)
                                g->class = (enum cvm_measure_class) v;
                } else if (strcmp(key, "rtmr") == 0)
                        r = get_int(c, val, key, 0, 3, &g->rtmr);
                else if (strcmp(key, "pcr") == 0)
                        r = get_int(c, val, key, 0, 23, &g->pcr);
                else if (strcmp(key, "on_error") == 0) {
                        if ((r = get_enum(c, val, key, on_error, 2, &v)) >= 0)
                                g->on_error = (enum cvm_on_error) v;
                } else if (strcmp(key, "on_missing") == 0) {
                        if ((r = get_enum(c, val, key, on_missing, 3, &v)) >= 0)
                                g->on_missing = (enum cvm_on_missing) v;
                } else if (strcmp(key, "items") == 0)
                        items = val;
                else
                        r = at(c, k, "unknown group key '%s' (expected name, class, rtmr, pcr, on_error, on_missing, items)", key);
        }
        if (r < 0)
                return r;
        if (!g->name)
                return at(c, n, "a group needs a name");
        if (!class)
                return at(c, n, "group '%s' needs a class (os or cloud-native)", g->name);
        if (!items || items->type != YAML_SEQUENCE_NODE || items->data.sequence.items.top == items->data.sequence.items.start)
                return at(c, items ? items : n, "group '%s' needs a non-empty items list", g->name);
        g->nitems = (size_t) (items->data.sequence.items.top - items->data.sequence.items.start);
        g->items = calloc(g->nitems, sizeof(*g->items));
        if (!g->items)
                return cvm_error_set(c->err, ENOMEM, "out of memory");
        for (size_t i = 0; i < g->nitems; i++)
                if ((r = parse_item(c, yaml_document_get_node(c->doc, items->data.sequence.items.start[i]), &g->items[i])) < 0)
                        return r;
        return 0;
}

static int parse_root(struct ctx *c, const yaml_node_t *root, struct cvm_policy *p) {
        const yaml_node_t *groups = NULL;
        int r = 0, version = 0;

        if (!root || root->type != YAML_MAPPING_NODE)
                return root ? at(c, root, "the policy is a mapping (version, groups, ...)")
                            : cvm_error_set(c->err, EINVAL, "%s: empty policy", c->name);
        for (yaml_node_pair_t *pr = root->data.mapping.pairs.start; pr < root->data.mapping.pairs.top && r >= 0; pr++) {
                const yaml_node_t *k = yaml_document_get_node(c->doc, pr->key), *v = yaml_document_get_node(c->doc, pr->value);
                const char *key = scalar(k);

                if (!key)
                        r = at(c, k, "a policy key must be a string");
                else if ((r = check_unique(c, root, pr)) < 0)
                        break;
                else if (strcmp(key, "version") == 0)
                        r = get_int(c, v, key, 1, 1, &version);
                else if (strcmp(key, "require_device") == 0)
                        r = get_bool(c, v, key, &p->require_device);
                else if (strcmp(key, "groups") == 0)
                        groups = v;
                else
                        r = at(c, k, "unknown policy key '%s' (expected version, require_device, groups)", key);
        }
        if (r < 0)
                return r;
        if (version != 1)
                return at(c, root, "the policy needs 'version: 1'");
        if (!groups || groups->type != YAML_SEQUENCE_NODE || groups->data.sequence.items.top == groups->data.sequence.items.start)
                return at(c, groups ? groups : root, "'groups' must be a non-empty list");
        p->ngroups = (size_t) (groups->data.sequence.items.top - groups->data.sequence.items.start);
        p->groups = calloc(p->ngroups, sizeof(*p->groups));
        if (!p->groups)
                return cvm_error_set(c->err, ENOMEM, "out of memory");
        for (size_t i = 0; i < p->ngroups; i++) {
                const yaml_node_t *g = yaml_document_get_node(c->doc, groups->data.sequence.items.start[i]);
                if ((r = parse_group(c, g, &p->groups[i])) < 0)
                        return r;
                for (size_t j = 0; j < i; j++)
                        if (strcmp(p->groups[j].name, p->groups[i].name) == 0)
                                return at(c, g, "a second group named '%s'", p->groups[i].name);
        }
        return 0;
}

int cvm_policy_parse(const uint8_t *buf, size_t len, const char *name, struct cvm_policy **ret, cvm_error *err) {
        struct cvm_policy *p = calloc(1, sizeof(*p));
        yaml_parser_t parser;
        yaml_document_t doc;
        struct ctx c = { &doc, name, err };
        int r;

        if (!p)
                return cvm_error_set(err, ENOMEM, "out of memory");
        p->path = strdup(name);
        p->raw = malloc(len ? len : 1);
        if (!p->path || !p->raw) {
                cvm_policy_free(p);
                return cvm_error_set(err, ENOMEM, "out of memory");
        }
        memcpy(p->raw, buf, len);
        p->raw_len = len;
        if (!yaml_parser_initialize(&parser)) {
                cvm_policy_free(p);
                return cvm_error_set(err, ENOMEM, "out of memory");
        }
        yaml_parser_set_input_string(&parser, buf, len);
        if (!yaml_parser_load(&parser, &doc)) {
                r = cvm_error_set(err, EINVAL, "%s:%zu:%zu: YAML error: %s %s", name, parser.problem_mark.line + 1,
                                  parser.problem_mark.column + 1, parser.problem ? parser.problem : "", parser.context ? parser.context : "");
                yaml_parser_delete(&parser);
                cvm_policy_free(p);
                return r;
        }
        r = parse_root(&c, yaml_document_get_root_node(&doc), p);
        yaml_document_delete(&doc);
        yaml_parser_delete(&parser);
        if (r < 0) {
                cvm_policy_free(p);
                return r;
        }
        *ret = p;
        return 0;
}

int cvm_policy_load(const char *path, struct cvm_policy **ret, cvm_error *err) {
        uint8_t *buf;
        size_t len;
        int r;

        r = read_file(path, POLICY_MAX, &buf, &len, err);
        if (r < 0)
                return r;
        r = cvm_policy_parse(buf, len, path, ret, err);
        free(buf);
        return r;
}

void cvm_policy_free(struct cvm_policy *p) {
        if (!p)
                return;
        for (size_t i = 0; i < p->ngroups; i++) {
                for (size_t j = 0; j < p->groups[i].nitems; j++)
                        free(p->groups[i].items[j].value);
                free(p->groups[i].items);
                free(p->groups[i].name);
        }
        free(p->groups);
        free(p->raw);
        free(p->path);
        free(p);
}

const char *cvm_measure_class_name(enum cvm_measure_class c) {
        return c == CVM_CLASS_OS ? "os" : "cloud-native";
}

uint32_t cvm_policy_group_register(const struct cvm_policy_group *g, enum cvm_reg_space space) {
        if (space == CVM_SPACE_CCMR)
                return (uint32_t) cvm_rtmr_to_ccmr((uint32_t) (g->rtmr >= 0 ? g->rtmr : g->class == CVM_CLASS_OS ? 2 : 3));
        return (uint32_t) (g->pcr >= 0 ? g->pcr : g->class == CVM_CLASS_OS ? 23 : 16);
}
