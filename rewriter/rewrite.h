/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * cvm-rewrite's model: a recipe names plugins; a plugin declares typed
 * parameters and ordered steps; resolving both (with --set) gives a plan,
 * an ordered list of steps whose arguments are fully substituted.  The plan
 * is what --plan prints and what one libguestfs session executes.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cvm/error.h"
#include "kernel_caps.h"

/* host-files: files on the build host the user names (never a plugin's default), space-separated;
 * resolved to absolute paths (relative to the recipe's folder, or to the working directory for --set). */
enum param_type { PARAM_STRING, PARAM_INT, PARAM_BOOL, PARAM_HOST_FILES };

struct param {
        char *name;
        enum param_type type;
        char *value;            /* the default, then the recipe's, then --set's; NULL = required and unset */
        char *description;
        bool required;
        char *where;            /* file:line:column of the value that was set last (for type errors) */
        bool ranged;            /* an int with min and max (plugin.yaml "min", "max") */
        int64_t min, max;
        char **values;          /* a string's allowed values (plugin.yaml "values"), NULL-terminated; NULL = any */
        char *pattern;          /* a string's anchored POSIX ERE (plugin.yaml "pattern"); NULL = any */
};

/* One key: value argument of a step, after substitution. */
struct arg {
        char *key;
        char *value;
        char **list;            /* list values (install files, kernel-cmdline add/remove): NULL-terminated */
        bool secret;            /* a secret parameter was substituted into it: never printed or recorded */
};

struct step {
        char *kind;             /* mkdir, copy, write, ... */
        struct arg *args;
        size_t nargs;
        char *where;            /* plugin.yaml:line:column */
        const struct plugin *plugin;
        char **secrets;         /* the secret values substituted into its arguments (NULL-terminated or NULL), hidden in its errors */
};

struct plugin {
        char *name;
        char *dir;              /* the plugin folder */
        char *description;
        char **families;        /* guest families it supports (debian, ubuntu, ...); NULL = any */
        bool changes_kernel;    /* its steps may change the kernel the image boots (plugin.yaml "changes-kernel") */
        struct param *params;
        size_t nparams;
        struct step *steps;
        size_t nsteps;
        char digest[65];        /* sha256 over the folder's files, names and modes */
};

struct recipe {
        char *path;
        char sha256[65];
        char *name;
        char *format;           /* raw or qcow2 */
        char *compression;      /* none or zlib (qcow2 only) */
        int64_t size;           /* bytes the output disk grows to; 0 = as the input */
        bool network;           /* run steps may use the network */
        enum cvm_target target; /* what the boot kernel must be able to do (none: not checked) */
        enum tdx_extend tdx_extend;     /* how the TD's kernel extends RTMRs (ioctl: the recipe's assertion) */
        struct param *params;   /* global parameters, visible to every plugin */
        size_t nparams;
        struct plugin *plugins; /* resolved, in order, with their parameters set */
        size_t nplugins;
};

/* value against p's type; at names where the value came from. */
int param_check(const struct param *p, const char *value, const char *at, cvm_error *err);

/* Parse a plugin folder (plugin.yaml + files/). */
int plugin_load(const char *dir, struct plugin *ret, cvm_error *err);
void plugin_clear(struct plugin *p);

/*
 * Parse the recipe, find each plugin on the search path (dirs in order),
 * apply `sets` (KEY=VALUE or PLUGIN.KEY=VALUE), check every parameter's type
 * and that the required ones are set, and substitute ${name} in every step.
 */
int recipe_load(const char *path, char *const *dirs, size_t ndirs, char *const *sets, size_t nsets,
                struct recipe **ret, cvm_error *err);
void recipe_free(struct recipe *r);

/* The first plugin of r whose steps may change the boot kernel (a kernel step, or changes-kernel: true), or NULL. */
const struct plugin *recipe_kernel_changer(const struct recipe *r);

/* The argument key of step s, or NULL. */
const char *step_arg(const struct step *s, const char *key);
const struct arg *step_arg_full(const struct step *s, const char *key);

/* The words of argument a, NULL-terminated (*n of them): list entries and the scalar, split on
 * blanks (a parameter substituted into one entry may hold several); NULL when out of memory. */
char **step_words(const struct arg *a, size_t *n);

/* Guest paths: absolute, no "." or ".." component (the appliance resolves them inside the guest). */
bool step_guest_path_ok(const char *p);

/*
 * The one rule for every host file a step reads: a path relative to the
 * plugin's files/ (not absolute, no ".."), resolved beneath files/ so that no
 * symlink leads out, or a file the user gave a host-files parameter.  Opens it
 * (non-blocking, close-on-exec) into *fd when it is of type want (S_IFREG,
 * S_IFDIR, or 0 for either); errors name the step's plugin.yaml position.
 * Called when the plan is made and again when the step runs, which then reads
 * the file through *fd.
 */
int host_source_open(const struct step *s, const char *src, mode_t want, int *fd, cvm_error *err);

/* The step kinds (step_kind.h): whether kind exists, and its arguments checked against its declaration (errors name s->where). */
bool step_kind_known(const char *kind);
int step_validate(const struct step *s, cvm_error *err);

/* Replace ${name} in in with the parameters' values; an unknown name is an error naming where. */
int subst(const char *in, const struct param *const *scopes, const size_t *nscopes, size_t nscope, const char *where,
          char **ret, cvm_error *err);

/* Whether a parameter's value must never be printed or recorded (its name holds "password" or "secret"). */
bool param_is_secret(const char *name);

/* What may be shown of argument a's scalar value: SECRET_SHOWN when it is secret. */
#define SECRET_SHOWN "(hidden)"
const char *arg_shown(const struct arg *a);

/* Replace every secret value of step s in err's message with SECRET_SHOWN; returns -err->code. */
int step_redact(const struct step *s, cvm_error *err);

/* The resolved plan as text (--plan) or JSON (--plan --json). */
void plan_print(const struct recipe *r, bool json);
