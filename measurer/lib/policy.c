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

/* A small non-negative int setting through the shared strict reader. */
static int get_int(const struct yx *c, const yaml_node_t *n, const char *key, int lo, int hi, int *ret) {
        uint64_t v;
        int r = yx_uint(c, n, key, (uint64_t) lo, (uint64_t) hi, &v);
        if (r == 0)
                *ret = (int) v;
        return r;
}

static int parse_item(const struct yx *c, const yaml_node_t *n, struct cvm_policy_item *it) {
        static const char *const kinds[] = { "file", "tree", "glob", "cmdline", "string" };
        yaml_node_pair_t *pair;
        const yaml_node_t *k, *v;
        int kind, r;

        if (n->type != YAML_MAPPING_NODE || n->data.mapping.pairs.top - n->data.mapping.pairs.start != 1)
                return yx_at(c, n, "an item is a mapping with one key: file, tree, glob, cmdline or string");
        pair = n->data.mapping.pairs.start;
        k = yx_node(c, pair->key);
        v = yx_node(c, pair->value);
        if ((r = yx_enum(c, k, "item", kinds, 5, &kind)) < 0)
                return yx_at(c, k, "unknown item kind '%s': expected file, tree, glob, cmdline or string", yx_scalar(k) ? yx_scalar(k) : "?");
        it->kind = (enum cvm_item_kind) kind;
        it->line = (unsigned) n->start_mark.line + 1;
        if (it->kind == CVM_ITEM_CMDLINE) {
                bool on;
                if ((r = yx_bool(c, v, "cmdline", &on)) < 0)
                        return r;
                if (!on)
                        return yx_at(c, v, "cmdline: false is not an item; leave it out");
                return 0;
        }
        if ((r = yx_string(c, v, kinds[kind], &it->value)) < 0)
                return r;
        return it->kind == CVM_ITEM_STRING ? 0 : yx_abs_path(c, v, kinds[kind], it->value);
}

/* What a group must have, and a flag only its class takes. */
static int check_group(const struct yx *c, const yaml_node_t *n, const struct cvm_policy_group *g, const yaml_node_t *class,
                       const yaml_node_t *must_not_change) {
        if (!g->name)
                return yx_at(c, n, "a group needs a name");
        if (!class)
                return yx_at(c, n, "group '%s' needs a class (os, cloud-native or instance)", g->name);
        /* os and cloud-native events may never change: the flag would say nothing there. */
        if (must_not_change && g->class != CVM_CLASS_INSTANCE)
                return yx_at(c, must_not_change, "must_not_change: only an instance group's events may change, so only it takes this key");
        return 0;
}

static int parse_group(const struct yx *c, const yaml_node_t *n, struct cvm_policy_group *g) {
        static const char *const classes[] = { "os", "cloud-native", "instance" };
        static const char *const on_error[] = { "halt", "continue" };
        static const char *const on_missing[] = { "event", "error", "ignore" };
        const yaml_node_t *items = NULL, *class = NULL, *must_not_change = NULL;
        int r = 0, v;

        g->rtmr = g->pcr = -1;
        if (n->type != YAML_MAPPING_NODE)
                return yx_at(c, n, "a group is a mapping (name, class, items, ...)");
        for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top && r >= 0; p++) {
                const yaml_node_t *k = yx_node(c, p->key), *val = yx_node(c, p->value);
                const char *key = yx_scalar(k);

                if (!key)
                        r = yx_at(c, k, "a group key must be a string");
                else if ((r = yx_unique(c, n, p)) < 0)
                        break;
                else if (strcmp(key, "name") == 0)
                        r = yx_string(c, val, key, &g->name);
                else if (strcmp(key, "class") == 0) {
                        class = val;
                        if ((r = yx_enum(c, val, key, classes, 3, &v)) >= 0)
                                g->class = (enum cvm_measure_class) v;
                } else if (strcmp(key, "must_not_change") == 0) {
                        must_not_change = val;
                        r = yx_bool(c, val, key, &g->must_not_change);
                } else if (strcmp(key, "secret") == 0)
                        r = yx_bool(c, val, key, &g->secret);
                else if (strcmp(key, "rtmr") == 0)
                        r = get_int(c, val, key, 0, 3, &g->rtmr);
                else if (strcmp(key, "pcr") == 0)
                        r = get_int(c, val, key, 0, 23, &g->pcr);
                else if (strcmp(key, "on_error") == 0) {
                        if ((r = yx_enum(c, val, key, on_error, 2, &v)) >= 0)
                                g->on_error = (enum cvm_on_error) v;
                } else if (strcmp(key, "on_missing") == 0) {
                        if ((r = yx_enum(c, val, key, on_missing, 3, &v)) >= 0)
                                g->on_missing = (enum cvm_on_missing) v;
                } else if (strcmp(key, "items") == 0)
                        items = val;
                else
                        r = yx_at(c, k, "unknown group key '%s' (expected name, class, rtmr, pcr, on_error, on_missing, must_not_change, secret, items)", key);
        }
        if (r < 0 || (r = check_group(c, n, g, class, must_not_change)) < 0)
                return r;
        if (!items || items->type != YAML_SEQUENCE_NODE || items->data.sequence.items.top == items->data.sequence.items.start)
                return yx_at(c, items ? items : n, "group '%s' needs a non-empty items list", g->name);
        g->nitems = (size_t) (items->data.sequence.items.top - items->data.sequence.items.start);
        g->items = calloc(g->nitems, sizeof(*g->items));
        if (!g->items)
                return cvm_error_set(c->err, ENOMEM, "out of memory");
        for (size_t i = 0; i < g->nitems; i++)
                if ((r = parse_item(c, yx_node(c, items->data.sequence.items.start[i]), &g->items[i])) < 0)
                        return r;
        return 0;
}

static int parse_root(const struct yx *c, const yaml_node_t *root, struct cvm_policy *p) {
        const yaml_node_t *groups = NULL;
        int r = 0, version = 0;

        if (!root || root->type != YAML_MAPPING_NODE)
                return root ? yx_at(c, root, "the policy is a mapping (version, groups, ...)")
                            : cvm_error_set(c->err, EINVAL, "%s: empty policy", c->name);
        for (yaml_node_pair_t *pr = root->data.mapping.pairs.start; pr < root->data.mapping.pairs.top && r >= 0; pr++) {
                const yaml_node_t *k = yx_node(c, pr->key), *v = yx_node(c, pr->value);
                const char *key = yx_scalar(k);

                if (!key)
                        r = yx_at(c, k, "a policy key must be a string");
                else if ((r = yx_unique(c, root, pr)) < 0)
                        break;
                else if (strcmp(key, "version") == 0)
                        r = get_int(c, v, key, 1, 1, &version);
                else if (strcmp(key, "require_device") == 0)
                        r = yx_bool(c, v, key, &p->require_device);
                else if (strcmp(key, "groups") == 0)
                        groups = v;
                else
                        r = yx_at(c, k, "unknown policy key '%s' (expected version, require_device, groups)", key);
        }
        if (r < 0)
                return r;
        if (version != 1)
                return yx_at(c, root, "the policy needs 'version: 1'");
        if (!groups || groups->type != YAML_SEQUENCE_NODE || groups->data.sequence.items.top == groups->data.sequence.items.start)
                return yx_at(c, groups ? groups : root, "'groups' must be a non-empty list");
        p->ngroups = (size_t) (groups->data.sequence.items.top - groups->data.sequence.items.start);
        p->groups = calloc(p->ngroups, sizeof(*p->groups));
        if (!p->groups)
                return cvm_error_set(c->err, ENOMEM, "out of memory");
        for (size_t i = 0; i < p->ngroups; i++) {
                const yaml_node_t *g = yx_node(c, groups->data.sequence.items.start[i]);
                if ((r = parse_group(c, g, &p->groups[i])) < 0)
                        return r;
                for (size_t j = 0; j < i; j++)
                        if (strcmp(p->groups[j].name, p->groups[i].name) == 0)
                                return yx_at(c, g, "a second group named '%s'", p->groups[i].name);
        }
        return 0;
}

int cvm_policy_parse(const uint8_t *buf, size_t len, const char *name, struct cvm_policy **ret, cvm_error *err) {
        struct cvm_policy *p = calloc(1, sizeof(*p));
        yaml_document_t doc;
        struct yx c = { &doc, name, err };
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
        r = yx_load(buf, len, name, &doc, err);
        if (r < 0) {
                cvm_policy_free(p);
                return r;
        }
        r = parse_root(&c, yaml_document_get_root_node(&doc), p);
        yaml_document_delete(&doc);
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
        return c == CVM_CLASS_OS ? "os" : c == CVM_CLASS_INSTANCE ? "instance" : "cloud-native";
}

/*
 * Instance state shares the OS register: TDX has no fifth RTMR, and verify
 * tells the two classes apart by event, not by register.
 */
uint32_t cvm_policy_group_register(const struct cvm_policy_group *g, enum cvm_reg_space space) {
        bool cn = g->class == CVM_CLASS_CLOUD_NATIVE;

        if (space == CVM_SPACE_CCMR)
                return (uint32_t) cvm_rtmr_to_ccmr((uint32_t) (g->rtmr >= 0 ? g->rtmr : cn ? 3 : 2));
        return (uint32_t) (g->pcr >= 0 ? g->pcr : cn ? 16 : 23);
}
