/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The step vocabulary's table (step_kind.h): which kinds exist, and the one
 * validation every step gets, from its kind's declaration, when the plan is
 * made and again just before it runs.
 */

#include <assert.h>
#include <errno.h>
#include <string.h>

#include "step_kind.h"

static const struct step_kind *const kinds[] = {
        &kind_mkdir,       &kind_copy,      &kind_write,          &kind_append_line,   &kind_replace,  &kind_delete,
        &kind_chmod,       &kind_chown,     &kind_link,           &kind_touch,         &kind_move,     &kind_run,
        &kind_firstboot,   &kind_ssh_inject, &kind_password,      &kind_hostname,      &kind_timezone, &kind_install,
        &kind_enable_service, &kind_kernel_cmdline, &kind_initrd_append, &kind_bundle, &kind_ima_label, &kind_validate,
        &kind_resize,      &kind_kernel,    &kind_library,
};

const struct step_kind *step_kind_find(const char *name) {
        for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
                if (strcmp(kinds[i]->name, name) == 0)
                        return kinds[i];
        return NULL;
}

bool step_kind_known(const char *kind) {
        return step_kind_find(kind) != NULL;
}

static const struct arg_decl *declared(const struct step_kind *k, const char *key) {
        for (size_t i = 0; i < STEP_MAX_ARGS && k->args[i].key; i++)
                if (strcmp(k->args[i].key, key) == 0)
                        return &k->args[i];
        return NULL;
}

/* One argument against its declaration: declared, of its type's shape, with values its type accepts. */
static int check_arg(const struct step *s, const struct step_kind *k, const struct arg *a, cvm_error *err) {
        const struct arg_decl *d = declared(k, a->key);
        bool list = a->list != NULL;

        if (!d)
                return cvm_error_set(err, EINVAL, "%s: step %s has no argument '%s'", s->where, s->kind, a->key);
        if ((d->type->shape == ARG_LIST && !list) || (d->type->shape == ARG_SCALAR && list))
                return cvm_error_set(err, EINVAL, "%s: step %s: '%s' must be %s", s->where, s->kind, a->key,
                                     d->type->shape == ARG_LIST ? "a list" : "a scalar");
        return d->type->check ? d->type->check(s, a, err) : 0;
}

int step_validate(const struct step *s, cvm_error *err) {
        const struct step_kind *k = step_kind_find(s->kind);
        int r;

        assert(k);      /* plugin_load refuses unknown kinds */
        for (size_t i = 0; i < STEP_MAX_ARGS && k->args[i].key; i++)
                if (k->args[i].required && !step_arg_full(s, k->args[i].key))
                        return cvm_error_set(err, EINVAL, "%s: step %s needs '%s'", s->where, s->kind, k->args[i].key);
        for (size_t i = 0; i < s->nargs; i++)
                if ((r = check_arg(s, k, &s->args[i], err)) < 0)
                        return r;
        /* The host sources last, once every argument is known to be well-formed. */
        for (size_t i = 0; i < s->nargs; i++) {
                const struct arg_type *t = declared(k, s->args[i].key)->type;
                if (t->open && (r = t->open(s, &s->args[i], err)) < 0)
                        return r;
        }
        return k->validate ? k->validate(s, err) : 0;
}

int step_run(struct session *ss, const struct step *s) {
        const struct step_kind *k = step_kind_find(s->kind);
        int verbose, trace, r;

        assert(k);
        /* What --plan checked, checked again: a host source may have changed since. */
        if ((r = step_validate(s, ss->err)) < 0)
                return step_redact(s, ss->err);
        assert(ss->g);
        /* libguestfs's trace and the appliance's debug lines would show a secret step's arguments. */
        verbose = guestfs_get_verbose(ss->g);
        trace = guestfs_get_trace(ss->g);
        if (s->secrets) {
                guestfs_set_verbose(ss->g, 0);
                guestfs_set_trace(ss->g, 0);
        }
        r = k->run(ss, s);
        if (s->secrets) {
                guestfs_set_verbose(ss->g, verbose > 0);
                guestfs_set_trace(ss->g, trace > 0);
        }
        return r < 0 ? step_redact(s, ss->err) : r;
}
