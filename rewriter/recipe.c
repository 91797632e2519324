/* SPDX-License-Identifier: Apache-2.0 */
/* A recipe: output, global parameters, plugins in order; resolved with --set into a substituted plan. */

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cvmbase/base.h"
#include "cvm/digest.h"
#include "cvm/encoding.h"
#include "rewrite.h"

#define RECIPE_MAX (1u << 20)

struct ctx {
        struct yx y;
        struct recipe *r;
        char *const *dirs;
        size_t ndirs;
};

static int oom(cvm_error *err) {
        return cvm_error_set(err, ENOMEM, "out of memory");
}

static char *where(const struct yx *c, const yaml_node_t *n) {
        char *w = NULL;
        if (asprintf(&w, "%s:%zu:%zu", c->name, n->start_mark.line + 1, n->start_mark.column + 1) < 0)
                return NULL;
        return w;
}

static struct param *find_param(struct param *ps, size_t n, const char *name) {
        for (size_t i = 0; i < n; i++)
                if (strcmp(ps[i].name, name) == 0)
                        return &ps[i];
        return NULL;
}

static int set_value(struct param *p, const char *value, const char *at, cvm_error *err) {
        char *v = strdup(value), *w = strdup(at);
        if (!v || !w) {
                free(v);
                free(w);
                return oom(err);
        }
        free(p->value);
        free(p->where);
        p->value = v;
        p->where = w;
        return param_check(p, value, at, err);
}

/* 4G, 512M, 10737418240: bytes. */
static int parse_size(const char *s, int64_t *ret) {
        char *end;
        unsigned long long v;
        int shift = 0;

        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno || end == s)
                return -EINVAL;
        switch (*end) {
        case 'K': shift = 10; end++; break;
        case 'M': shift = 20; end++; break;
        case 'G': shift = 30; end++; break;
        case 'T': shift = 40; end++; break;
        default: break;
        }
        if (*end || v > (UINT64_C(1) << (62 - shift)))
                return -EINVAL;
        *ret = (int64_t) (v << shift);
        return 0;
}

static int parse_output(struct ctx *c, const yaml_node_t *n) {
        static const char *const formats[] = { "raw", "qcow2" }, *const comps[] = { "none", "zlib" };
        const struct yx *y = &c->y;
        int r = 0, v;

        if (n->type != YAML_MAPPING_NODE)
                return yx_at(y, n, "output: expected {format, compression, size}");
        for (yaml_node_pair_t *q = n->data.mapping.pairs.start; q < n->data.mapping.pairs.top && r >= 0; q++) {
                const yaml_node_t *k = yx_node(y, q->key), *val = yx_node(y, q->value);
                const char *key = yx_scalar(k);
                if (!key)
                        r = yx_at(y, k, "an output key must be a string");
                else if ((r = yx_unique(y, n, q)) < 0)
                        break;
                else if (strcmp(key, "format") == 0) {
                        if ((r = yx_enum(y, val, key, formats, 2, &v)) >= 0 && !(c->r->format = strdup(formats[v])))
                                r = oom(y->err);
                } else if (strcmp(key, "compression") == 0) {
                        if ((r = yx_enum(y, val, key, comps, 2, &v)) >= 0 && !(c->r->compression = strdup(comps[v])))
                                r = oom(y->err);
                } else if (strcmp(key, "size") == 0) {
                        if (!yx_scalar(val) || parse_size(yx_scalar(val), &c->r->size) < 0)
                                r = yx_at(y, val, "size: expected bytes with an optional K, M, G or T suffix");
                } else
                        r = yx_at(y, k, "unknown output key '%s' (expected format, compression, size)", key);
        }
        return r;
}

/* name: value pairs into params (untyped: global parameters are strings). */
static int parse_globals(struct ctx *c, const yaml_node_t *n) {
        const struct yx *y = &c->y;

        if (n->type != YAML_MAPPING_NODE)
                return yx_at(y, n, "params: expected a mapping of name: value");
        c->r->nparams = (size_t) (n->data.mapping.pairs.top - n->data.mapping.pairs.start);
        if (!(c->r->params = calloc(c->r->nparams ? c->r->nparams : 1, sizeof(struct param))))
                return oom(y->err);
        for (size_t i = 0; i < c->r->nparams; i++) {
                yaml_node_pair_t *q = &n->data.mapping.pairs.start[i];
                const yaml_node_t *k = yx_node(y, q->key), *v = yx_node(y, q->value);
                struct param *p = &c->r->params[i];
                int r;
                if ((r = yx_unique(y, n, q)) < 0)
                        return r;
                if (!yx_scalar(k) || !yx_scalar(v))
                        return yx_at(y, k, "params: names and values are scalars");
                if (!(p->name = strdup(yx_scalar(k))) || !(p->description = strdup("recipe parameter")) ||
                    !(p->value = strdup(yx_scalar(v))) || !(p->where = where(y, v)))
                        return oom(y->err);
        }
        return 0;
}

/* Find NAME on the search path: a folder NN-NAME or NAME holding plugin.yaml. */
static int find_plugin(struct ctx *c, const char *name, const yaml_node_t *at, char *ret, size_t size) {
        for (size_t i = 0; i < c->ndirs; i++) {
                DIR *d = opendir(c->dirs[i]);
                struct dirent *de;
                if (!d)
                        continue;
                while ((de = readdir(d))) {
                        const char *base = de->d_name;
                        struct stat st;
                        if (strspn(base, "0123456789") == 2 && base[2] == '-')
                                base += 3;
                        if (strcmp(base, name) != 0)
                                continue;
                        snprintf(ret, size, "%s/%s/plugin.yaml", c->dirs[i], de->d_name);
                        if (stat(ret, &st) == 0) {
                                snprintf(ret, size, "%s/%s", c->dirs[i], de->d_name);
                                closedir(d);
                                return 0;
                        }
                }
                closedir(d);
        }
        return yx_at(&c->y, at, "plugin '%s' is not in the search path (--plugins, then the installed plugins)", name);
}

static int parse_plugin_ref(struct ctx *c, const yaml_node_t *n, struct plugin *pl) {
        const struct yx *y = &c->y;
        const yaml_node_t *name = NULL, *params = NULL;
        char dir[PATH_MAX];
        int r = 0;

        if (n->type != YAML_MAPPING_NODE)
                return yx_at(y, n, "a plugin entry is {name, params}");
        for (yaml_node_pair_t *q = n->data.mapping.pairs.start; q < n->data.mapping.pairs.top && r >= 0; q++) {
                const yaml_node_t *k = yx_node(y, q->key), *v = yx_node(y, q->value);
                const char *key = yx_scalar(k);
                if (!key)
                        r = yx_at(y, k, "a plugin entry key must be a string");
                else if ((r = yx_unique(y, n, q)) < 0)
                        break;
                else if (strcmp(key, "name") == 0)
                        name = v;
                else if (strcmp(key, "params") == 0)
                        params = v;
                else
                        r = yx_at(y, k, "unknown plugin entry key '%s' (expected name, params)", key);
        }
        if (r < 0)
                return r;
        if (!yx_scalar(name))
                return yx_at(y, name ? name : n, "a plugin entry needs a name");
        if ((r = find_plugin(c, yx_scalar(name), name, dir, sizeof(dir))) < 0)
                return r;
        if ((r = plugin_load(dir, pl, y->err)) < 0)
                return r;
        if (!params)
                return 0;
        if (params->type != YAML_MAPPING_NODE)
                return yx_at(y, params, "params: expected a mapping of name: value");
        for (yaml_node_pair_t *q = params->data.mapping.pairs.start; q < params->data.mapping.pairs.top; q++) {
                const yaml_node_t *k = yx_node(y, q->key), *v = yx_node(y, q->value);
                struct param *p = yx_scalar(k) ? find_param(pl->params, pl->nparams, yx_scalar(k)) : NULL;
                _cleanup_free_ char *at = where(y, v);
                if ((r = yx_unique(y, params, q)) < 0)
                        return r;
                if (!p)
                        return yx_at(y, k, "plugin '%s' has no parameter '%s'", pl->name, yx_scalar(k) ? yx_scalar(k) : "?");
                if (!yx_scalar(v))
                        return yx_at(y, v, "parameter '%s': expected a scalar", p->name);
                if (!at)
                        return oom(y->err);
                if ((r = set_value(p, yx_scalar(v), at, y->err)) < 0)
                        return r;
                p->required = false;
        }
        return 0;
}

/* target: none, tpm, tdx or both (what the boot kernel is checked for). */
static int parse_target(const struct yx *y, const yaml_node_t *v, enum cvm_target *ret) {
        const char *s = yx_scalar(v);
        if (!s || cvm_target_from_name(s, ret) < 0)
                return yx_at(y, v, "target: expected none, tpm, tdx or both");
        return 0;
}

/* tdx_extend: auto, sysfs or ioctl (ioctl: the recipe asserts the kernel carries the out-of-tree TDX_CMD_EXTEND_RTMR). */
static int parse_tdx_extend(const struct yx *y, const yaml_node_t *v, enum tdx_extend *ret) {
        const char *s = yx_scalar(v);
        if (!s || tdx_extend_from_name(s, ret) < 0)
                return yx_at(y, v, "tdx_extend: expected auto, sysfs or ioctl");
        return 0;
}

static int parse_recipe(struct ctx *c, const yaml_node_t *root) {
        const struct yx *y = &c->y;
        const yaml_node_t *plugins = NULL;
        int r = 0;

        if (!root || root->type != YAML_MAPPING_NODE)
                return root ? yx_at(y, root, "a recipe is a mapping (name, output, params, plugins)")
                            : cvm_error_set(y->err, EINVAL, "%s: empty recipe", y->name);
        for (yaml_node_pair_t *q = root->data.mapping.pairs.start; q < root->data.mapping.pairs.top && r >= 0; q++) {
                const yaml_node_t *k = yx_node(y, q->key), *v = yx_node(y, q->value);
                const char *key = yx_scalar(k);
                if (!key)
                        r = yx_at(y, k, "a recipe key must be a string");
                else if ((r = yx_unique(y, root, q)) < 0)
                        break;
                else if (strcmp(key, "name") == 0)
                        r = yx_string(y, v, key, &c->r->name);
                else if (strcmp(key, "output") == 0)
                        r = parse_output(c, v);
                else if (strcmp(key, "network") == 0)
                        r = yx_bool(y, v, key, &c->r->network);
                else if (strcmp(key, "target") == 0)
                        r = parse_target(y, v, &c->r->target);
                else if (strcmp(key, "tdx_extend") == 0)
                        r = parse_tdx_extend(y, v, &c->r->tdx_extend);
                else if (strcmp(key, "params") == 0)
                        r = parse_globals(c, v);
                else if (strcmp(key, "plugins") == 0)
                        plugins = v;
                else
                        r = yx_at(y, k, "unknown recipe key '%s' (expected name, output, network, target, tdx_extend, params, plugins)", key);
        }
        if (r < 0)
                return r;
        if (!c->r->name)
                return yx_at(y, root, "a recipe needs a name");
        if (!plugins || plugins->type != YAML_SEQUENCE_NODE || plugins->data.sequence.items.top == plugins->data.sequence.items.start)
                return yx_at(y, plugins ? plugins : root, "a recipe needs a non-empty plugins list");
        c->r->nplugins = (size_t) (plugins->data.sequence.items.top - plugins->data.sequence.items.start);
        if (!(c->r->plugins = calloc(c->r->nplugins, sizeof(struct plugin))))
                return oom(y->err);
        for (size_t i = 0; i < c->r->nplugins; i++)
                if ((r = parse_plugin_ref(c, yx_node(y, plugins->data.sequence.items.start[i]), &c->r->plugins[i])) < 0)
                        return r;
        return 0;
}

/* Edit distance of a and b, both at most 63 bytes (longer names are not compared). */
static size_t distance(const char *a, const char *b) {
        size_t la = strlen(a), lb = strlen(b), row[64];

        if (la > 63 || lb > 63)
                return SIZE_MAX;
        for (size_t j = 0; j <= lb; j++)
                row[j] = j;
        for (size_t i = 1; i <= la; i++) {
                size_t diag = row[0];
                row[0] = i;
                for (size_t j = 1; j <= lb; j++) {
                        size_t up = row[j], best = diag + (a[i - 1] != b[j - 1]);
                        best = up + 1 < best ? up + 1 : best;
                        best = row[j - 1] + 1 < best ? row[j - 1] + 1 : best;
                        diag = up;
                        row[j] = best;
                }
        }
        return row[lb];
}

/* Whether a parameter named key exists anywhere (recipe, a plugin, a step's ${key}); else the nearest name into near. */
static bool key_known(const struct recipe *r, const char *key, char *near, size_t size) {
        _cleanup_free_ char *ref = NULL;
        size_t best = 3;

        if (asprintf(&ref, "${%s}", key) < 0)
                return true;
        near[0] = '\0';
        for (size_t i = 0; i <= r->nplugins; i++) {
                const struct param *ps = i < r->nplugins ? r->plugins[i].params : r->params;
                size_t n = i < r->nplugins ? r->plugins[i].nparams : r->nparams;
                for (size_t j = 0; j < n; j++) {
                        size_t d = distance(key, ps[j].name);
                        if (d == 0)
                                return true;
                        if (d < best && (size_t) snprintf(near, size, "%s", ps[j].name) < size)
                                best = d;
                }
                for (size_t j = 0; i < r->nplugins && j < r->plugins[i].nsteps; j++)
                        for (size_t a = 0; a < r->plugins[i].steps[j].nargs; a++) {
                                const struct arg *ar = &r->plugins[i].steps[j].args[a];
                                if (ar->value && strstr(ar->value, ref))
                                        return true;
                                for (char **l = ar->list; l && *l; l++)
                                        if (strstr(*l, ref))
                                                return true;
                        }
        }
        return false;
}

/* --set KEY=VALUE (a global, and every plugin parameter of that name the recipe left alone) or PLUGIN.KEY=VALUE. */
static int apply_set(struct recipe *r, const char *set, bool *explicit_set, cvm_error *err) {
        _cleanup_free_ char *copy = strdup(set);
        char *eq = copy ? strchr(copy, '=') : NULL, *dot, at[64];
        bool used = false;
        int k;

        if (!copy)
                return oom(err);
        if (!eq || eq == copy)
                return cvm_error_set(err, EINVAL, "--set %s: expected KEY=VALUE or PLUGIN.KEY=VALUE", set);
        *eq++ = '\0';
        snprintf(at, sizeof(at), "--set %s", copy);
        dot = strchr(copy, '.');
        if (dot) {
                *dot++ = '\0';
                for (size_t i = 0; i < r->nplugins; i++) {
                        struct param *p;
                        if (strcmp(r->plugins[i].name, copy) != 0)
                                continue;
                        if (!(p = find_param(r->plugins[i].params, r->plugins[i].nparams, dot)))
                                return cvm_error_set(err, EINVAL, "--set: plugin '%s' has no parameter '%s'", copy, dot);
                        if ((k = set_value(p, eq, at, err)) < 0)
                                return k;
                        p->required = false;
                        used = true;
                }
                return used ? 0 : cvm_error_set(err, EINVAL, "--set: the recipe has no plugin '%s'", copy);
        }
        for (size_t i = 0; i < r->nparams; i++)
                if (strcmp(r->params[i].name, copy) == 0) {
                        if ((k = set_value(&r->params[i], eq, at, err)) < 0)
                                return k;
                        used = true;
                }
        if (!used) {
                char near[64];
                struct param *p, *np;
                /* A typo would otherwise set nothing, silently. */
                if (!key_known(r, copy, near, sizeof(near)))
                        return cvm_error_set(err, EINVAL, "--set %s: no parameter '%s' in the recipe (%s) or its plugins%s%s%s", copy, copy, r->path, near[0] ? " (did you mean '" : "", near, near[0] ? "'?)" : "");
                np = realloc(r->params, (r->nparams + 1) * sizeof(*np));
                if (!np)
                        return oom(err);
                r->params = np;
                p = &r->params[r->nparams];
                *p = (struct param) { 0 };
                if (!(p->name = strdup(copy)) || !(p->description = strdup("set on the command line")))
                        return oom(err);
                r->nparams++;
                if ((k = set_value(p, eq, at, err)) < 0)
                        return k;
        }
        *explicit_set = true;
        return 0;
}

/* A plugin parameter the recipe did not set takes a global of the same name; then every required one must be set. */
static int inherit_globals(struct recipe *r, cvm_error *err) {
        for (size_t i = 0; i < r->nplugins; i++)
                for (size_t j = 0; j < r->plugins[i].nparams; j++) {
                        struct param *p = &r->plugins[i].params[j], *g = find_param(r->params, r->nparams, p->name);
                        int k;
                        if (g && (!p->where || strncmp(p->where, r->plugins[i].dir, strlen(r->plugins[i].dir)) == 0)) {
                                if ((k = set_value(p, g->value, g->where, err)) < 0)
                                        return k;
                                p->required = false;
                        }
                        if (!p->value)
                                return cvm_error_set(err, EINVAL, "plugin '%s': required parameter '%s' is not set (%s)",
                                                     r->plugins[i].name, p->name, p->description);
                }
        return 0;
}

/*
 * A host-files value as absolute paths of regular files: relative ones from the recipe's folder
 * (its value came from the recipe) or the working directory (--set).
 */
static int resolve_host_files(const struct recipe *r, struct param *p, cvm_error *err) {
        _cleanup_free_ char *copy = strdup(p->value), *dir = strdup(r->path), *out = NULL;
        size_t rl = strlen(r->path), n = 0;
        bool from_recipe = !strncmp(p->where, r->path, rl) && p->where[rl] == ':';
        char *save, *slash;

        if (!copy || !dir || !(out = calloc(1, 1)))
                return oom(err);
        slash = strrchr(dir, '/');
        if (slash)
                slash[slash == dir] = '\0';
        for (char *w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
                char joined[PATH_MAX], real[PATH_MAX], *bigger;
                struct stat st;
                errno = 0;
                if ((size_t) snprintf(joined, sizeof(joined), "%s%s%s", w[0] != '/' && from_recipe && slash ? dir : "",
                                      w[0] != '/' && from_recipe && slash ? "/" : "", w) >= sizeof(joined) ||
                    !realpath(joined, real) || stat(real, &st) < 0)
                        return cvm_error_set(err, errno ? errno : ENAMETOOLONG, "%s: parameter '%s': host file '%s': %s",
                                             p->where, p->name, joined, strerror(errno ? errno : ENAMETOOLONG));
                if (!S_ISREG(st.st_mode))
                        return cvm_error_set(err, EINVAL, "%s: parameter '%s': host file '%s' is not a regular file",
                                             p->where, p->name, real);
                if (strpbrk(real, " \t\n"))
                        return cvm_error_set(err, EINVAL, "%s: parameter '%s': host file '%s' has a blank in its path (the list is space-separated)",
                                             p->where, p->name, real);
                if (!(bigger = realloc(out, n + strlen(real) + 2)))
                        return oom(err);
                out = bigger;
                n += (size_t) sprintf(out + n, "%s%s", n ? " " : "", real);
        }
        free(p->value);
        p->value = out;
        out = NULL;
        return 0;
}

static int resolve_all_host_files(struct recipe *r, cvm_error *err) {
        for (size_t i = 0; i < r->nplugins; i++)
                for (size_t j = 0; j < r->plugins[i].nparams; j++) {
                        struct param *p = &r->plugins[i].params[j];
                        int k;
                        if (p->type == PARAM_HOST_FILES && p->value && (k = resolve_host_files(r, p, err)) < 0)
                                return k;
                }
        return 0;
}

/* Builtins every step may use: ${recipe}, ${build_date} (SOURCE_DATE_EPOCH or now, UTC). */
static int builtins(const struct recipe *r, struct param out[2], cvm_error *err) {
        const char *sde = getenv("SOURCE_DATE_EPOCH");
        time_t t = sde && *sde ? (time_t) strtoll(sde, NULL, 10) : time(NULL);
        char date[32];
        struct tm tm;

        gmtime_r(&t, &tm);
        strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", &tm);
        out[0] = (struct param) { .name = "recipe", .value = r->name };
        out[1] = (struct param) { .name = "build_date", .value = strdup(date) };
        return out[1].value ? 0 : oom(err);
}

static int expand_builtins(struct param *p, const struct param bi[2], cvm_error *err) {
        const struct param *scopes[1] = { bi };
        const size_t ns[1] = { 2 };
        char *out;
        int k;

        if (!p->value || !strstr(p->value, "${"))
                return 0;
        if ((k = subst(p->value, scopes, ns, 1, p->where ? p->where : p->name, &out, err)) < 0)
                return k;
        free(p->value);
        p->value = out;
        return 0;
}

/* The parameter ${name} (n bytes) resolves to, as subst looks it up. */
static const struct param *scoped(const char *name, size_t n, const struct param *const *scopes, const size_t *ns, size_t nscope) {
        for (size_t s = 0; s < nscope; s++)
                for (size_t i = 0; i < ns[s]; i++)
                        if (strlen(scopes[s][i].name) == n && strncmp(scopes[s][i].name, name, n) == 0)
                                return &scopes[s][i];
        return NULL;
}

/*
 * Secrecy follows the value: an argument named like a secret, or into which
 * raw (its text before substitution) puts a secret parameter, is secret, and
 * the parameter's value joins the step's secrets (hidden in its errors).
 */
static int note_secrets(struct step *st, struct arg *a, const char *raw, const struct param *const *scopes, const size_t *ns,
                        size_t nscope, cvm_error *err) {
        a->secret |= param_is_secret(a->key);
        for (const char *p = strstr(raw, "${"), *end; p && (end = strchr(p + 2, '}')); p = strstr(end, "${")) {
                const struct param *q = scoped(p + 2, (size_t) (end - p - 2), scopes, ns, nscope);
                size_t n = 0;
                bool known = false;
                if (!q || !param_is_secret(q->name))
                        continue;
                a->secret = true;
                for (; st->secrets && st->secrets[n]; n++)
                        known |= strcmp(st->secrets[n], q->value) == 0;
                if (!known && *q->value) {
                        char **bigger = realloc(st->secrets, (n + 2) * sizeof(char *));
                        if (!bigger)
                                return oom(err);
                        st->secrets = bigger;
                        if (!(bigger[n] = strdup(q->value)))
                                return oom(err);
                        bigger[n + 1] = NULL;
                }
        }
        return 0;
}

static int substitute_steps(struct recipe *r, cvm_error *err) {
        struct param bi[2];
        int k = builtins(r, bi, err);

        /* Parameter values (defaults like "${recipe}") may use the builtins, and only those. */
        for (size_t i = 0; k == 0 && i < r->nplugins; i++)
                for (size_t j = 0; k == 0 && j < r->plugins[i].nparams; j++)
                        k = expand_builtins(&r->plugins[i].params[j], bi, err);
        for (size_t j = 0; k == 0 && j < r->nparams; j++)
                k = expand_builtins(&r->params[j], bi, err);
        for (size_t i = 0; k == 0 && i < r->nplugins; i++) {
                struct plugin *pl = &r->plugins[i];
                const struct param *scopes[3] = { pl->params, r->params, bi };
                const size_t ns[3] = { pl->nparams, r->nparams, 2 };
                for (size_t s = 0; k == 0 && s < pl->nsteps; s++) {
                        struct step *st = &pl->steps[s];
                        for (size_t a = 0; k == 0 && a < st->nargs; a++) {
                                char *out;
                                if (st->args[a].value)
                                        k = note_secrets(st, &st->args[a], st->args[a].value, scopes, ns, 3, err);
                                for (char **l = st->args[a].list; k == 0 && l && *l; l++)
                                        k = note_secrets(st, &st->args[a], *l, scopes, ns, 3, err);
                                if (k == 0 && st->args[a].value) {
                                        if ((k = subst(st->args[a].value, scopes, ns, 3, st->where, &out, err)) == 0) {
                                                free(st->args[a].value);
                                                st->args[a].value = out;
                                        }
                                }
                                for (char **l = st->args[a].list; k == 0 && l && *l; l++)
                                        if ((k = subst(*l, scopes, ns, 3, st->where, &out, err)) == 0) {
                                                free(*l);
                                                *l = out;
                                        }
                        }
                        if (k == 0 && (k = step_validate(st, err)) < 0)
                                step_redact(st, err);
                }
        }
        free(bi[1].value);
        return k;
}

static void sha256_file(const uint8_t *buf, size_t len, char out[65]) {
        uint8_t md[32];
        cvm_digest(CVM_ALG_SHA256, buf, len, md, NULL);
        cvm_hex(md, sizeof(md), out);
}

int recipe_load(const char *path, char *const *dirs, size_t ndirs, char *const *sets, size_t nsets,
                struct recipe **ret, cvm_error *err) {
        struct recipe *r = calloc(1, sizeof(*r));
        yaml_document_t doc;
        struct ctx c = { .y = { &doc, path, err }, .r = r, .dirs = dirs, .ndirs = ndirs };
        bool any = false;
        uint8_t *buf;
        size_t len;
        int k;

        if (!r || !(r->path = strdup(path)))
                return free(r), oom(err);
        if ((k = read_file(path, RECIPE_MAX, &buf, &len, err)) < 0)
                goto fail;
        sha256_file(buf, len, r->sha256);
        k = yx_load(buf, len, path, &doc, err);
        free(buf);
        if (k < 0)
                goto fail;
        k = parse_recipe(&c, yaml_document_get_root_node(&doc));
        yaml_document_delete(&doc);
        if (k < 0)
                goto fail;
        if ((!r->format && !(r->format = strdup("qcow2"))) || (!r->compression && !(r->compression = strdup("none")))) {
                k = oom(err);
                goto fail;
        }
        if (strcmp(r->format, "raw") == 0 && strcmp(r->compression, "none") != 0) {
                k = cvm_error_set(err, EINVAL, "%s: output compression %s needs format qcow2", path, r->compression);
                goto fail;
        }
        for (size_t i = 0; i < nsets; i++)
                if ((k = apply_set(r, sets[i], &any, err)) < 0)
                        goto fail;
        if ((k = inherit_globals(r, err)) < 0 || (k = resolve_all_host_files(r, err)) < 0 ||
            (k = substitute_steps(r, err)) < 0)
                goto fail;
        *ret = r;
        return 0;
fail:
        recipe_free(r);
        return k;
}

void recipe_free(struct recipe *r) {
        if (!r)
                return;
        for (size_t i = 0; i < r->nplugins; i++)
                plugin_clear(&r->plugins[i]);
        free(r->plugins);
        for (size_t i = 0; i < r->nparams; i++) {
                free(r->params[i].name);
                free(r->params[i].value);
                free(r->params[i].description);
                free(r->params[i].where);
        }
        free(r->params);
        free(r->path);
        free(r->name);
        free(r->format);
        free(r->compression);
        free(r);
}

/* The first plugin of the recipe whose steps may change the boot kernel (a kernel step, or changes-kernel: true), or NULL. */
const struct plugin *recipe_kernel_changer(const struct recipe *r) {
        for (size_t i = 0; i < r->nplugins; i++) {
                if (r->plugins[i].changes_kernel)
                        return &r->plugins[i];
                for (size_t j = 0; j < r->plugins[i].nsteps; j++)
                        if (strcmp(r->plugins[i].steps[j].kind, "kernel") == 0)
                                return &r->plugins[i];
        }
        return NULL;
}
