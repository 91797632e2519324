/* SPDX-License-Identifier: Apache-2.0 */
/* The reference-value manifest written beside the output image. */

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cvm/cvm.h"
#include "cvmbase/base.h"
#include "firmware_predict.h"
#include "manifest.h"

struct manifest {
        struct json_object *root, *steps, *boot, *build, *seconds;
        struct atomic_file out;         /* OUT.manifest.json while it is written */
};

static struct json_object *str(const char *s) {
        return s ? json_object_new_string(s) : NULL;
}

static struct json_object *params_json(const struct param *ps, size_t n) {
        struct json_object *o = json_object_new_object();
        for (size_t i = 0; i < n; i++)
                json_object_object_add(o, ps[i].name, str(param_is_secret(ps[i].name) ? "(not recorded)" : ps[i].value));
        return o;
}

static struct json_object *step_json(const struct step *s) {
        struct json_object *o = json_object_new_object(), *args = json_object_new_object();
        json_object_object_add(o, "kind", str(s->kind));
        for (size_t i = 0; i < s->nargs; i++) {
                /* A secret parameter's value is never written anywhere, nor what it was substituted into. */
                if (s->args[i].secret) {
                        json_object_object_add(args, s->args[i].key, str("(not recorded)"));
                } else if (s->args[i].list) {
                        struct json_object *l = json_object_new_array();
                        for (char **w = s->args[i].list; *w; w++)
                                json_object_array_add(l, str(*w));
                        json_object_object_add(args, s->args[i].key, l);
                } else {
                        json_object_object_add(args, s->args[i].key, str(s->args[i].value));
                }
        }
        json_object_object_add(o, "args", args);
        json_object_object_add(o, "where", str(s->where));
        return o;
}

struct json_object *plan_to_json(const struct recipe *r) {
        struct json_object *o = json_object_new_object(), *pl = json_object_new_array();
        json_object_object_add(o, "path", str(r->path));
        json_object_object_add(o, "sha256", str(r->sha256));
        json_object_object_add(o, "name", str(r->name));
        json_object_object_add(o, "format", str(r->format));
        json_object_object_add(o, "compression", str(r->compression));
        json_object_object_add(o, "size", json_object_new_int64(r->size));
        json_object_object_add(o, "network", json_object_new_boolean(r->network));
        json_object_object_add(o, "target", str(cvm_target_name(r->target)));
        json_object_object_add(o, "tdx_extend", str(tdx_extend_name(r->tdx_extend)));
        json_object_object_add(o, "params", params_json(r->params, r->nparams));
        for (size_t i = 0; i < r->nplugins; i++) {
                const struct plugin *p = &r->plugins[i];
                struct json_object *po = json_object_new_object(), *steps = json_object_new_array();
                json_object_object_add(po, "name", str(p->name));
                json_object_object_add(po, "dir", str(p->dir));
                json_object_object_add(po, "digest", str(p->digest));
                json_object_object_add(po, "params", params_json(p->params, p->nparams));
                for (size_t j = 0; j < p->nsteps; j++)
                        json_object_array_add(steps, step_json(&p->steps[j]));
                json_object_object_add(po, "steps", steps);
                json_object_array_add(pl, po);
        }
        json_object_object_add(o, "plugins", pl);
        return o;
}

struct manifest *manifest_new(const struct recipe *r, const char *input, const char *input_sha256) {
        struct manifest *m = calloc(1, sizeof(*m));
        struct json_object *in;

        if (!m)
                return NULL;
        m->out.fd = -1;
        m->root = json_object_new_object();
        m->steps = json_object_new_array();
        m->boot = json_object_new_array();
        json_object_object_add(m->root, "tool", str("cvm-rewrite"));
        json_object_object_add(m->root, "version", str(cvm_version()));
        json_object_object_add(m->root, "recipe", plan_to_json(r));
        in = json_object_new_object();
        json_object_object_add(in, "sha256", str(input_sha256));
        json_object_object_add(m->root, "input", in);
        json_object_object_add(m->root, "steps", m->steps);
        json_object_object_add(m->root, "boot", m->boot);
        /* What differs from one build of the same input and recipe to the next: the host's paths, the times, the output's bytes. */
        m->build = json_object_new_object();
        m->seconds = json_object_new_array();
        json_object_object_add(m->build, "input", str(input));
        json_object_object_add(m->build, "step_seconds", m->seconds);
        json_object_object_add(m->root, "build", m->build);
        return m;
}

void manifest_free(struct manifest *m) {
        if (!m)
                return;
        json_object_put(m->root);
        free(m);
}

void manifest_guest(struct manifest *m, const char *type, const char *distro, int major, int minor, const char *arch,
                    const char *root) {
        struct json_object *g = json_object_new_object();
        json_object_object_add(g, "type", str(type));
        json_object_object_add(g, "distro", str(distro));
        json_object_object_add(g, "major", json_object_new_int(major));
        json_object_object_add(g, "minor", json_object_new_int(minor));
        json_object_object_add(g, "arch", str(arch));
        json_object_object_add(g, "root", str(root));
        json_object_object_add(m->root, "guest", g);
}

void manifest_step(struct manifest *m, const struct plugin *p, const struct step *s, double seconds) {
        struct json_object *o = step_json(s);
        json_object_object_add(o, "plugin", str(p->name));
        json_object_array_add(m->steps, o);
        json_object_array_add(m->seconds, json_object_new_double(seconds));
}

void manifest_boot_file(struct manifest *m, const char *path, const char *kind, const char *sha256, const char *sha384) {
        struct json_object *o = json_object_new_object();
        json_object_object_add(o, "path", str(path));
        json_object_object_add(o, "kind", str(kind));
        json_object_object_add(o, "sha256", str(sha256));
        json_object_object_add(o, "sha384", str(sha384));
        json_object_array_add(m->boot, o);
}

void manifest_cmdline(struct manifest *m, const char *cmdline) {
        json_object_object_add(m->root, "cmdline", str(cmdline));
}

static struct json_object *cap_json(const struct kernel_cap *c) {
        struct json_object *o = json_object_new_object();
        json_object_object_add(o, "yes", json_object_new_boolean(c->yes));
        json_object_object_add(o, "basis", str(c->basis));
        json_object_object_add(o, "interface", str(c->interface));
        return o;
}

void manifest_kernel(struct manifest *m, const struct kernel_facts *f, const struct kernel_caps *c) {
        static const char *const values[] = { "unset", "m", "y" };
        struct json_object *o = json_object_new_object(), *cfg = json_object_new_object();

        json_object_object_add(o, "version", str(f->version));
        if (f->has_config)
                for (size_t i = 0; i < KSYM_COUNT; i++)
                        json_object_object_add(cfg, kernel_config_symbols[i], str(values[f->config.value[i]]));
        json_object_object_add(o, "config", f->has_config ? cfg : (json_object_put(cfg), NULL));
        json_object_object_add(o, "tdx_module", str(f->tdx_module));
        json_object_object_add(o, "tdx_read", cap_json(&c->read));
        json_object_object_add(o, "tdx_extend", cap_json(&c->extend));
        json_object_object_add(o, "tdx_quote", cap_json(&c->quote));
        json_object_object_add(o, "tpm", cap_json(&c->tpm));
        json_object_object_add(m->root, "boot_kernel", o);
}

void manifest_boot_chain(struct manifest *m, struct json_object *chain) {
        json_object_object_add(m->root, "boot_chain", chain);
}

int manifest_firmware(struct manifest *m, const char *firmware, const char *firmware_vars, cvm_error *err) {
        const struct firmware_inputs in = { .firmware = firmware, .vars = firmware_vars };
        struct json_object *chain, *ref = NULL, *tdx = NULL;
        int r;

        if (!json_object_object_get_ex(m->root, "boot_chain", &chain))
                return cvm_error_set(err, EINVAL, "manifest_firmware: no boot_chain yet");
        json_object_object_get_ex(m->root, "reference_values", &ref);
        if ((r = firmware_predict(&in, chain, ref, &tdx, err)) < 0)
                return r;
        json_object_object_add(m->root, "boot_chain_tdx", tdx);
        return 0;
}

void manifest_reference(struct manifest *m, struct json_object *ref) {
        json_object_object_add(m->root, "reference_values", json_object_get(ref));
}

void manifest_output(struct manifest *m, const char *path, const char *sha256, const char *format, char **warnings,
                     size_t nwarnings) {
        struct json_object *o = json_object_new_object(), *w = json_object_new_array();
        json_object_object_add(o, "path", str(path));
        json_object_object_add(o, "format", str(format));
        json_object_object_add(o, "sha256", str(sha256));
        json_object_object_add(m->build, "output", o);
        for (size_t i = 0; i < nwarnings; i++)
                json_object_array_add(w, str(warnings[i]));
        json_object_object_add(m->root, "warnings", w);
}

int manifest_write(struct manifest *m, const char *out, cvm_error *err) {
        const char *text = json_object_to_json_string_ext(m->root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
        char final[PATH_MAX];
        int r;

        if ((size_t) snprintf(final, sizeof(final), "%s.manifest.json", out) >= sizeof(final))
                return cvm_error_set(err, ENAMETOOLONG, "%s: path too long", out);
        if ((r = atomic_file_open(&m->out, final, "cvm-rewrite", err)) < 0)
                return r;
        if ((r = write_all(m->out.fd, text, strlen(text), m->out.tmp, err)) < 0 ||
            (r = write_all(m->out.fd, "\n", 1, m->out.tmp, err)) < 0 || (r = atomic_file_finish(&m->out, 0644, err)) < 0)
                atomic_file_abort(&m->out);
        return r;
}

int manifest_commit(struct manifest *m, cvm_error *err) {
        return atomic_file_commit(&m->out, 0644, err);
}

void manifest_abort(struct manifest *m) {
        if (m)
                atomic_file_abort(&m->out);
}
