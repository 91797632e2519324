/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * The step vocabulary, declared the virt-customize way: each kind names its
 * arguments once, each with a type, and brings its own run function (and,
 * for rules across its arguments, a validate function) in its own file;
 * steps.c is the table.  A type checks its values in one place for every
 * kind (guest paths, modes, host sources, ...), when the plan is made and
 * again just before the step runs: --plan validates exactly what the run will.
 */

#include <sys/types.h>

#include "session.h"

/* What a type accepts in plugin.yaml: a scalar, a list, or either (a list of words, or the words in one scalar). */
enum arg_shape { ARG_SCALAR, ARG_LIST, ARG_WORDS };

struct arg_type {
        const char *name;       /* as the step reference says it */
        enum arg_shape shape;
        /* The argument's values; NULL: any.  Errors name s->where and s->kind. */
        int (*check)(const struct step *s, const struct arg *a, cvm_error *err);
        /* Its host sources opened as the run will open them (so --plan refuses them); NULL: it names none. */
        int (*open)(const struct step *s, const struct arg *a, cvm_error *err);
};

/* The types (step_types.c). */
extern const struct arg_type arg_text;          /* any scalar: file content, a line, a command, a name */
extern const struct arg_type arg_secret;        /* a password (hidden wherever shown: secrecy follows the value, see arg.secret) */
extern const struct arg_type arg_user;          /* a user or group: a name in the guest's passwd/group, or a number */
extern const struct arg_type arg_guest_path;    /* an absolute guest path without '.' or '..' components */
extern const struct arg_type arg_guest_paths;   /* a list of guest paths below / */
extern const struct arg_type arg_guest_folder;  /* an absolute guest folder below /, no trailing '/' */
extern const struct arg_type arg_mode;          /* octal, up to 7777 */
extern const struct arg_type arg_bool;          /* true or false */
extern const struct arg_type arg_install;       /* yes, auto or no */
extern const struct arg_type arg_crypt_hash;    /* a crypt(3) SHA-512 or yescrypt hash */
extern const struct arg_type arg_host_source;   /* a host file or folder (see host_source_open) */
extern const struct arg_type arg_host_files;    /* a list of host regular files */
extern const struct arg_type arg_host_file_specs;       /* a list of SOURCE:DEST[:MODE], SOURCE a host regular file */
extern const struct arg_type arg_host_tree_specs;       /* a list of SOURCE:DEST, SOURCE a host folder */
extern const struct arg_type arg_packages;      /* words, each a file the user gave a host-files parameter */
extern const struct arg_type arg_words;         /* words: kernel command-line arguments */
extern const struct arg_type arg_list;          /* a list of anything */
extern const struct arg_type arg_file_names;    /* a list of plain file names (programs, sonames) */
extern const struct arg_type arg_scripts;       /* a list of initramfs-tools PHASE/NAME */
extern const struct arg_type arg_modules;       /* a list of kernel module names */

#define STEP_MAX_ARGS 7

struct arg_decl {
        const char *key;
        const struct arg_type *type;
        bool required;
};

struct step_kind {
        const char *name;
        struct arg_decl args[STEP_MAX_ARGS];    /* ends at the first NULL key */
        /* Rules across its arguments, after each argument's type has checked it; NULL: none. */
        int (*validate)(const struct step *s, cvm_error *err);
        int (*run)(struct session *ss, const struct step *s);
};

/* The kinds, each defined in its own file (step_files.c, step_accounts.c, step_system.c, boot_cmdline.c, ...). */
extern const struct step_kind kind_mkdir, kind_copy, kind_write, kind_append_line, kind_replace, kind_delete, kind_chmod,
        kind_link, kind_touch, kind_move;
extern const struct step_kind kind_chown, kind_ssh_inject, kind_password;
extern const struct step_kind kind_run, kind_firstboot, kind_hostname, kind_timezone, kind_install, kind_enable_service;
extern const struct step_kind kind_kernel_cmdline, kind_initrd_append, kind_bundle, kind_ima_label, kind_validate,
        kind_resize, kind_kernel, kind_library;

/* The kind named name, or NULL. */
const struct step_kind *step_kind_find(const char *name);

/* Whether path is one of the files the user gave the plugin's host-files parameters (never a plugin's own literal). */
bool user_host_file(const struct plugin *pl, const char *path);

/* What the executors share (step_util.c). */

/* The mode argument as a number, or dflt when the step has none. */
int step_mode(const struct step *s, int dflt);
/* path's mode set when mode >= 0. */
int step_chmod_if(struct session *ss, const struct step *s, const char *path, int mode);
/* An open host source's descriptor as a path the host's libraries open (libguestfs, the initrd writer): no new lookup by name. */
void step_fd_path(int fd, const char *tail, char *out, size_t size);
