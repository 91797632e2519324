/* SPDX-License-Identifier: Apache-2.0 */
/* A plugin folder: plugin.yaml (name, description, families, typed params, steps) and its files/. */

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <openssl/evp.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cvmbase/base.h"
#include "cvm/encoding.h"
#include "rewrite.h"

#define PLUGIN_MAX (1u << 20)
#define FILES_MAX 4096

static const char *const type_names[] = { "string", "int", "bool", "host-files" };

static char *where(const struct yx *c, const yaml_node_t *n) {
        char *w = NULL;
        if (asprintf(&w, "%s:%zu:%zu", c->name, n->start_mark.line + 1, n->start_mark.column + 1) < 0)
                return NULL;
        return w;
}

static bool valid_name(const char *s) {
        if (!*s || !((*s >= 'a' && *s <= 'z') || *s == '_'))
                return false;
        return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_-") == strlen(s);
}

bool param_is_secret(const char *name) {
        return strstr(name, "password") || strstr(name, "secret");
}

/* Whether value matches the anchored POSIX ERE pattern (compiled at load, so it compiles here). */
static bool pattern_matches(const char *pattern, const char *value) {
        regex_t re;
        bool ok;

        if (regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB) != 0)
                return false;
        ok = regexec(&re, value, 0, NULL, 0) == 0;
        regfree(&re);
        return ok;
}

/* A parameter's value against its type; where names the value. */
int param_check(const struct param *p, const char *value, const char *at, cvm_error *err) {
        const char *shown = param_is_secret(p->name) ? SECRET_SHOWN : value;
        char *end;

        switch (p->type) {
        case PARAM_INT: {
                long long v;
                errno = 0;
                v = strtoll(value, &end, 10);
                if (!*value || *end || errno)
                        return cvm_error_set(err, EINVAL, "%s: parameter '%s' is an int, got '%s'", at, p->name, shown);
                if (p->ranged && (v < p->min || v > p->max))
                        return cvm_error_set(err, ERANGE, "%s: parameter '%s' is an int from %lld to %lld, got '%s'", at, p->name,
                                             (long long) p->min, (long long) p->max, shown);
                return 0;
        }
        case PARAM_BOOL:
                if (strcmp(value, "true") && strcmp(value, "false"))
                        return cvm_error_set(err, EINVAL, "%s: parameter '%s' is a bool (true or false), got '%s'", at,
                                             p->name, shown);
                return 0;
        default:
                for (char **v = p->values; v && *v; v++)
                        if (strcmp(*v, value) == 0)
                                return 0;
                if (p->values) {
                        char list[512] = "";
                        for (char **v = p->values; *v; v++)
                                snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", v == p->values ? "" : ", ", *v);
                        return cvm_error_set(err, EINVAL, "%s: parameter '%s' is one of %s, got '%s'", at, p->name, list, shown);
                }
                if (p->pattern && !pattern_matches(p->pattern, value))
                        return cvm_error_set(err, EINVAL, "%s: parameter '%s' must match %s, got '%s'", at, p->name, p->pattern,
                                             shown);
                return 0;
        }
}

/* min or max of an int parameter: a decimal int64. */
static int parse_bound(const struct yx *c, const yaml_node_t *v, const char *key, const char *name, int64_t *ret) {
        const char *s = yx_scalar(v);
        char *end;

        errno = 0;
        if (s)
                *ret = strtoll(s, &end, 10);
        if (!s || !*s || *end || errno)
                return yx_at(c, v, "parameter '%s': %s must be a decimal int", name, key);
        return 0;
}

/* values: the strings a string parameter accepts. */
static int parse_values(const struct yx *c, const yaml_node_t *v, struct param *p) {
        size_t n;

        if (v->type != YAML_SEQUENCE_NODE || v->data.sequence.items.top == v->data.sequence.items.start)
                return yx_at(c, v, "parameter '%s': values must be a non-empty list of strings", p->name);
        n = (size_t) (v->data.sequence.items.top - v->data.sequence.items.start);
        if (!(p->values = calloc(n + 1, sizeof(char *))))
                return cvm_error_set(c->err, ENOMEM, "out of memory");
        for (size_t i = 0; i < n; i++) {
                int r = yx_string(c, yx_node(c, v->data.sequence.items.start[i]), "values", &p->values[i]);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* pattern: an anchored (^...$) POSIX extended regular expression a string parameter's value must match. */
static int parse_pattern(const struct yx *c, const yaml_node_t *v, struct param *p) {
        const char *s = yx_scalar(v);
        char msg[128];
        regex_t re;
        size_t n;
        int r;

        if (!s || (n = strlen(s)) < 2 || s[0] != '^' || s[n - 1] != '$' || (n >= 3 && s[n - 2] == '\\'))
                return yx_at(c, v, "parameter '%s': pattern must be an anchored POSIX extended regular expression, ^...$", p->name);
        if ((r = regcomp(&re, s, REG_EXTENDED | REG_NOSUB)) != 0) {
                regerror(r, &re, msg, sizeof(msg));
                return yx_at(c, v, "parameter '%s': pattern '%s': %s", p->name, s, msg);
        }
        regfree(&re);
        if (!(p->pattern = strdup(s)))
                return cvm_error_set(c->err, ENOMEM, "out of memory");
        return 0;
}

static int parse_param(const struct yx *c, const yaml_node_t *k, const yaml_node_t *v, struct param *p) {
        const char *name = yx_scalar(k);
        bool has_min = false, has_max = false;
        int r = 0, t;

        if (!name || !valid_name(name))
                return yx_at(c, k, "parameter name '%s': expected [a-z_][a-z0-9_-]*", name ? name : "?");
        if (!(p->name = strdup(name)))
                return cvm_error_set(c->err, ENOMEM, "out of memory");
        if (v->type != YAML_MAPPING_NODE)
                return yx_at(c, v, "parameter '%s': expected {type, default, description, required}", name);
        p->required = true;
        for (yaml_node_pair_t *q = v->data.mapping.pairs.start; q < v->data.mapping.pairs.top && r >= 0; q++) {
                const yaml_node_t *qk = yx_node(c, q->key), *qv = yx_node(c, q->value);
                const char *key = yx_scalar(qk);
                if (!key)
                        r = yx_at(c, qk, "a parameter key must be a string");
                else if ((r = yx_unique(c, v, q)) < 0)
                        break;
                else if (strcmp(key, "type") == 0) {
                        if ((r = yx_enum(c, qv, key, type_names, 4, &t)) >= 0)
                                p->type = (enum param_type) t;
                } else if (strcmp(key, "default") == 0) {
                        const char *d = yx_scalar(qv);
                        if (!d)
                                r = yx_at(c, qv, "parameter '%s': default must be a scalar", name);
                        else if (!(p->value = strdup(d)) || !(p->where = where(c, qv)))
                                r = cvm_error_set(c->err, ENOMEM, "out of memory");
                        p->required = false;
                } else if (strcmp(key, "description") == 0)
                        r = yx_string(c, qv, key, &p->description);
                else if (strcmp(key, "required") == 0)
                        r = yx_bool(c, qv, key, &p->required);
                else if (strcmp(key, "min") == 0)
                        r = parse_bound(c, qv, key, name, &p->min), has_min = true;
                else if (strcmp(key, "max") == 0)
                        r = parse_bound(c, qv, key, name, &p->max), has_max = true;
                else if (strcmp(key, "values") == 0)
                        r = parse_values(c, qv, p);
                else if (strcmp(key, "pattern") == 0)
                        r = parse_pattern(c, qv, p);
                else
                        r = yx_at(c, qk, "unknown parameter key '%s' (expected type, default, description, required, min, max, values, pattern)", key);
        }
        if (r < 0)
                return r;
        if ((has_min || has_max) && (p->type != PARAM_INT || !has_min || !has_max || p->min > p->max))
                return yx_at(c, v, "parameter '%s': min and max go together, on an int, min <= max", name);
        p->ranged = has_min;
        if (p->values && p->type != PARAM_STRING)
                return yx_at(c, v, "parameter '%s': values is for a string parameter", name);
        if (p->pattern && p->type != PARAM_STRING)
                return yx_at(c, v, "parameter '%s': pattern is for a string parameter", name);
        if (!p->description)
                return yx_at(c, v, "parameter '%s' needs a description", name);
        /* A plugin must not choose host files itself: they would leave the build host unasked. */
        if (p->type == PARAM_HOST_FILES && p->value)
                return yx_at(c, v, "parameter '%s': a host-files parameter has no default (the files are the user's)", name);
        if (p->value)
                return param_check(p, p->value, p->where, c->err);
        return 0;
}

/* A step: a mapping of one key (the kind) to a mapping of arguments (scalars or lists of scalars). */
static int parse_step(const struct yx *c, const yaml_node_t *n, struct plugin *pl, struct step *s) {
        const yaml_node_t *k, *v;
        size_t na;

        if (n->type != YAML_MAPPING_NODE || n->data.mapping.pairs.top - n->data.mapping.pairs.start != 1)
                return yx_at(c, n, "a step is a mapping of one key, its kind (mkdir, copy, write, ...)");
        k = yx_node(c, n->data.mapping.pairs.start->key);
        v = yx_node(c, n->data.mapping.pairs.start->value);
        if (!yx_scalar(k) || !step_kind_known(yx_scalar(k)))
                return yx_at(c, k, "unknown step '%s'", yx_scalar(k) ? yx_scalar(k) : "?");
        s->plugin = pl;
        if (!(s->kind = strdup(yx_scalar(k))) || !(s->where = where(c, k)))
                return cvm_error_set(c->err, ENOMEM, "out of memory");
        if (v->type != YAML_MAPPING_NODE)
                return yx_at(c, v, "step %s: its arguments are a mapping", s->kind);
        na = (size_t) (v->data.mapping.pairs.top - v->data.mapping.pairs.start);
        s->args = calloc(na ? na : 1, sizeof(*s->args));
        if (!s->args)
                return cvm_error_set(c->err, ENOMEM, "out of memory");
        for (yaml_node_pair_t *q = v->data.mapping.pairs.start; q < v->data.mapping.pairs.top; q++) {
                const yaml_node_t *qk = yx_node(c, q->key), *qv = yx_node(c, q->value);
                struct arg *a = &s->args[s->nargs];
                int r;

                if (!yx_scalar(qk))
                        return yx_at(c, qk, "step %s: an argument name must be a string", s->kind);
                if ((r = yx_unique(c, v, q)) < 0)
                        return r;
                if (!(a->key = strdup(yx_scalar(qk))))
                        return cvm_error_set(c->err, ENOMEM, "out of memory");
                s->nargs++;
                if (qv->type == YAML_SEQUENCE_NODE) {
                        size_t ni = (size_t) (qv->data.sequence.items.top - qv->data.sequence.items.start);
                        a->list = calloc(ni + 1, sizeof(char *));
                        if (!a->list)
                                return cvm_error_set(c->err, ENOMEM, "out of memory");
                        for (size_t i = 0; i < ni; i++) {
                                const yaml_node_t *it = yx_node(c, qv->data.sequence.items.start[i]);
                                if (!yx_scalar(it))
                                        return yx_at(c, it, "step %s: %s: list items must be scalars", s->kind, a->key);
                                if (!(a->list[i] = strdup(yx_scalar(it))))
                                        return cvm_error_set(c->err, ENOMEM, "out of memory");
                        }
                } else if (yx_scalar(qv)) {
                        if (!(a->value = strdup(yx_scalar(qv))))
                                return cvm_error_set(c->err, ENOMEM, "out of memory");
                } else
                        return yx_at(c, qv, "step %s: %s: expected a scalar or a list of scalars", s->kind, a->key);
        }
        return 0;
}

static int parse_plugin(const struct yx *c, const yaml_node_t *root, struct plugin *p) {
        const yaml_node_t *params = NULL, *steps = NULL;
        int r = 0;

        if (!root || root->type != YAML_MAPPING_NODE)
                return root ? yx_at(c, root, "plugin.yaml is a mapping (name, description, params, steps)")
                            : cvm_error_set(c->err, EINVAL, "%s: empty file", c->name);
        for (yaml_node_pair_t *q = root->data.mapping.pairs.start; q < root->data.mapping.pairs.top && r >= 0; q++) {
                const yaml_node_t *k = yx_node(c, q->key), *v = yx_node(c, q->value);
                const char *key = yx_scalar(k);
                if (!key)
                        r = yx_at(c, k, "a plugin key must be a string");
                else if ((r = yx_unique(c, root, q)) < 0)
                        break;
                else if (strcmp(key, "name") == 0)
                        r = yx_string(c, v, key, &p->name);
                else if (strcmp(key, "description") == 0)
                        r = yx_string(c, v, key, &p->description);
                else if (strcmp(key, "families") == 0) {
                        size_t n;
                        if (v->type != YAML_SEQUENCE_NODE)
                                return yx_at(c, v, "families: expected a list (debian, ubuntu, ...)");
                        n = (size_t) (v->data.sequence.items.top - v->data.sequence.items.start);
                        if (!(p->families = calloc(n + 1, sizeof(char *))))
                                return cvm_error_set(c->err, ENOMEM, "out of memory");
                        for (size_t i = 0; i < n && r >= 0; i++)
                                r = yx_string(c, yx_node(c, v->data.sequence.items.start[i]), key, &p->families[i]);
                } else if (strcmp(key, "changes-kernel") == 0)
                        r = yx_bool(c, v, key, &p->changes_kernel);
                else if (strcmp(key, "params") == 0)
                        params = v;
                else if (strcmp(key, "steps") == 0)
                        steps = v;
                else
                        r = yx_at(c, k, "unknown plugin key '%s' (expected name, description, families, changes-kernel, params, steps)", key);
        }
        if (r < 0)
                return r;
        if (!p->name || !valid_name(p->name))
                return yx_at(c, root, "a plugin needs a name matching [a-z_][a-z0-9_-]*");
        if (!p->description)
                return yx_at(c, root, "plugin '%s' needs a description", p->name);
        if (params) {
                if (params->type != YAML_MAPPING_NODE)
                        return yx_at(c, params, "params: expected a mapping of name: {type, default, description}");
                p->nparams = (size_t) (params->data.mapping.pairs.top - params->data.mapping.pairs.start);
                if (!(p->params = calloc(p->nparams ? p->nparams : 1, sizeof(*p->params))))
                        return cvm_error_set(c->err, ENOMEM, "out of memory");
                for (size_t i = 0; i < p->nparams; i++) {
                        yaml_node_pair_t *q = &params->data.mapping.pairs.start[i];
                        if ((r = yx_unique(c, params, q)) < 0 ||
                            (r = parse_param(c, yx_node(c, q->key), yx_node(c, q->value), &p->params[i])) < 0)
                                return r;
                }
        }
        if (!steps || steps->type != YAML_SEQUENCE_NODE || steps->data.sequence.items.top == steps->data.sequence.items.start)
                return yx_at(c, steps ? steps : root, "plugin '%s' needs a non-empty steps list", p->name);
        p->nsteps = (size_t) (steps->data.sequence.items.top - steps->data.sequence.items.start);
        if (!(p->steps = calloc(p->nsteps, sizeof(*p->steps))))
                return cvm_error_set(c->err, ENOMEM, "out of memory");
        for (size_t i = 0; i < p->nsteps; i++)
                if ((r = parse_step(c, yx_node(c, steps->data.sequence.items.start[i]), p, &p->steps[i])) < 0)
                        return r;
        return 0;
}

struct file_rec {
        char *rel;
        struct stat st;
};

static int cmp_rec(const void *a, const void *b) {
        return strcmp(((const struct file_rec *) a)->rel, ((const struct file_rec *) b)->rel);
}

/*
 * Everything under the folder, for its digest, refusing what could lead out of
 * it: a symlink whose target is absolute or climbs above the folder, or
 * anything but files, directories and links.
 */
static int collect(const char *top, const char *rel, struct file_rec **recs, size_t *n, cvm_error *err) {
        char path[PATH_MAX];
        struct dirent *de;
        DIR *d;
        int r = 0;

        snprintf(path, sizeof(path), "%s%s%s", top, *rel ? "/" : "", rel);
        if (!(d = opendir(path)))
                return cvm_error_set(err, errno, "%s: %s", path, strerror(errno));
        while (r == 0 && (de = readdir(d))) {
                char sub[PATH_MAX], full[PATH_MAX];
                struct file_rec *fr;
                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                if ((size_t) snprintf(sub, sizeof(sub), "%s%s%s", rel, *rel ? "/" : "", de->d_name) >= sizeof(sub) ||
                    (size_t) snprintf(full, sizeof(full), "%s/%s", top, sub) >= sizeof(full)) {
                        r = cvm_error_set(err, ENAMETOOLONG, "%s/%s: path too long", path, de->d_name);
                        break;
                }
                if (*n == FILES_MAX) {
                        r = cvm_error_set(err, E2BIG, "%s: more than %d files", top, FILES_MAX);
                        break;
                }
                fr = &(*recs)[(*n)];
                if (lstat(full, &fr->st) < 0) {
                        r = cvm_error_set(err, errno, "%s: %s", full, strerror(errno));
                        break;
                }
                if (!(fr->rel = strdup(sub))) {
                        r = cvm_error_set(err, ENOMEM, "out of memory");
                        break;
                }
                (*n)++;
                if (S_ISLNK(fr->st.st_mode)) {
                        char target[PATH_MAX];
                        ssize_t tl = readlink(full, target, sizeof(target) - 1);
                        int depth = 0;
                        if (tl < 0) {
                                r = cvm_error_set(err, errno, "%s: %s", full, strerror(errno));
                                break;
                        }
                        target[tl] = '\0';
                        for (const char *s = sub; *s; s++)
                                depth += *s == '/';
                        /* Out as soon as a ".." climbs above the folder, even if the target comes back in ("../../x/in"). */
                        for (char *t = target, *save, *tok = strtok_r(t, "/", &save); tok && depth >= 0; tok = strtok_r(NULL, "/", &save))
                                depth += strcmp(tok, "..") == 0 ? -1 : strcmp(tok, ".") == 0 ? 0 : 1;
                        if (target[0] == '/' || tl == 0 || depth < 0)
                                r = cvm_error_set(err, EPERM, "%s: a symlink out of the plugin folder", full);
                } else if (S_ISDIR(fr->st.st_mode)) {
                        r = collect(top, sub, recs, n, err);
                } else if (!S_ISREG(fr->st.st_mode)) {
                        r = cvm_error_set(err, EPERM, "%s: only files, directories and symlinks may be in a plugin", full);
                }
        }
        closedir(d);
        return r;
}

/* sha256 over each entry's relative path, mode and content (or link target), in byte order. */
static int folder_digest(const char *dir, char out[65], cvm_error *err) {
        struct file_rec *recs = calloc(FILES_MAX, sizeof(*recs));
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        size_t n = 0;
        uint8_t md[32];
        int r;

        if (!recs || !ctx) {
                free(recs);
                EVP_MD_CTX_free(ctx);
                return cvm_error_set(err, ENOMEM, "out of memory");
        }
        r = collect(dir, "", &recs, &n, err);
        qsort(recs, n, sizeof(*recs), cmp_rec);
        EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
        for (size_t i = 0; r == 0 && i < n; i++) {
                char full[PATH_MAX], line[64];
                snprintf(full, sizeof(full), "%s/%s", dir, recs[i].rel);
                snprintf(line, sizeof(line), "\n%o\n", (unsigned) recs[i].st.st_mode);
                EVP_DigestUpdate(ctx, recs[i].rel, strlen(recs[i].rel) + 1);
                EVP_DigestUpdate(ctx, line, strlen(line));
                if (S_ISREG(recs[i].st.st_mode)) {
                        uint8_t *buf;
                        size_t len;
                        if ((r = read_file(full, (size_t) 1 << 30, &buf, &len, err)) < 0)
                                break;
                        EVP_DigestUpdate(ctx, buf, len);
                        free(buf);
                } else if (S_ISLNK(recs[i].st.st_mode)) {
                        char t[PATH_MAX];
                        ssize_t tl = readlink(full, t, sizeof(t));
                        EVP_DigestUpdate(ctx, t, tl > 0 ? (size_t) tl : 0);
                }
        }
        EVP_DigestFinal_ex(ctx, md, NULL);
        cvm_hex(md, sizeof(md), out);
        for (size_t i = 0; i < n; i++)
                free(recs[i].rel);
        free(recs);
        EVP_MD_CTX_free(ctx);
        return r;
}

int plugin_load(const char *dir, struct plugin *p, cvm_error *err) {
        char path[PATH_MAX];
        yaml_document_t doc;
        struct yx c = { &doc, path, err };
        uint8_t *buf;
        size_t len;
        int r;

        *p = (struct plugin) { 0 };
        if (!(p->dir = strdup(dir)))
                return cvm_error_set(err, ENOMEM, "out of memory");
        snprintf(path, sizeof(path), "%s/plugin.yaml", dir);
        if ((r = read_file(path, PLUGIN_MAX, &buf, &len, err)) < 0)
                return r;
        r = yx_load(buf, len, path, &doc, err);
        free(buf);
        if (r < 0)
                return r;
        r = parse_plugin(&c, yaml_document_get_root_node(&doc), p);
        yaml_document_delete(&doc);
        if (r == 0)
                r = folder_digest(dir, p->digest, err);
        return r;
}

void plugin_clear(struct plugin *p) {
        for (size_t i = 0; i < p->nparams; i++) {
                free(p->params[i].name);
                free(p->params[i].value);
                free(p->params[i].description);
                free(p->params[i].where);
                for (char **v = p->params[i].values; v && *v; v++)
                        free(*v);
                free(p->params[i].values);
                free(p->params[i].pattern);
        }
        free(p->params);
        for (size_t i = 0; i < p->nsteps; i++) {
                struct step *s = &p->steps[i];
                for (size_t j = 0; j < s->nargs; j++) {
                        free(s->args[j].key);
                        free(s->args[j].value);
                        for (char **l = s->args[j].list; l && *l; l++)
                                free(*l);
                        free(s->args[j].list);
                }
                free(s->args);
                for (char **v = s->secrets; v && *v; v++)
                        free(*v);
                free(s->secrets);
                free(s->kind);
                free(s->where);
        }
        free(p->steps);
        for (char **f = p->families; f && *f; f++)
                free(*f);
        free(p->families);
        free(p->name);
        free(p->dir);
        free(p->description);
        *p = (struct plugin) { 0 };
}
