/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The argument types of the step vocabulary (step_kind.h): each checks its
 * values, and opens its host sources, in this one place for every kind that
 * declares an argument of that type.
 */

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cvmbase/base.h"
#include "cvminitrd/initrd.h"
#include "step_kind.h"

bool step_guest_path_ok(const char *p) {
        char norm[PATH_MAX];
        return p[0] == '/' && cvm_initrd_path_normalise(p, norm, sizeof(norm)) == 0 && !strstr(p, "/./") &&
               strcmp(p + strlen(p) - (strlen(p) >= 2 ? 2 : 0), "/.") != 0;
}

static int check_guest_path(const struct step *s, const struct arg *a, cvm_error *err) {
        if (!step_guest_path_ok(a->value))
                return cvm_error_set(err, EINVAL, "%s: step %s: guest path '%s' must be absolute, without '.' or '..'", s->where,
                                     s->kind, a->value);
        return 0;
}

static int check_guest_paths(const struct step *s, const struct arg *a, cvm_error *err) {
        for (char **f = a->list; *f; f++)
                if (!step_guest_path_ok(*f) || strcmp(*f, "/") == 0)
                        return cvm_error_set(err, EINVAL, "%s: step %s: guest path '%s' must be absolute, below /, without '.' or '..'",
                                             s->where, s->kind, *f);
        return 0;
}

static int check_guest_folder(const struct step *s, const struct arg *a, cvm_error *err) {
        const char *p = a->value;

        if (!step_guest_path_ok(p) || strcmp(p, "/") == 0 || p[strlen(p) - 1] == '/')
                return cvm_error_set(err, EINVAL, "%s: step %s: %s '%s' must be an absolute guest folder below /", s->where,
                                     s->kind, a->key, p);
        return 0;
}

static int check_mode(const struct step *s, const struct arg *a, cvm_error *err) {
        if (!*a->value || strspn(a->value, "01234567") != strlen(a->value) || strtol(a->value, NULL, 8) > 07777)
                return cvm_error_set(err, EINVAL, "%s: step %s: %s '%s' is not octal up to 7777", s->where, s->kind, a->key,
                                     a->value);
        return 0;
}

static int check_bool(const struct step *s, const struct arg *a, cvm_error *err) {
        if (strcmp(a->value, "true") != 0 && strcmp(a->value, "false") != 0)
                return cvm_error_set(err, EINVAL, "%s: step %s: %s must be true or false", s->where, s->kind, a->key);
        return 0;
}

static int check_install(const struct step *s, const struct arg *a, cvm_error *err) {
        if (strcmp(a->value, "yes") != 0 && strcmp(a->value, "auto") != 0 && strcmp(a->value, "no") != 0)
                return cvm_error_set(err, EINVAL, "%s: step %s: %s must be yes, auto or no, got '%s'", s->where, s->kind, a->key,
                                     a->value);
        return 0;
}

/* A crypt(3) SHA-512 or yescrypt hash: its alphabet only (no ':' or line break to forge a shadow field).  It goes into a
 * shadow line as is. */
static int check_crypt_hash(const struct step *s, const struct arg *a, cvm_error *err) {
        const char *h = a->value;

        if ((strncmp(h, "$6$", 3) != 0 && strncmp(h, "$y$", 3) != 0) ||
            strspn(h, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789./$") != strlen(h))
                return cvm_error_set(err, EINVAL, "%s: step %s: %s must be a crypt SHA-512 ($6$) or yescrypt ($y$) hash of [A-Za-z0-9./$]",
                                     s->where, s->kind, a->key);
        return 0;
}

/* A file name of this project's programs, a soname or an initramfs-tools script: no '/', no leading '.'. */
static bool name_ok(const char *n) {
        return *n && *n != '.' && strspn(n, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._+-") == strlen(n);
}

static int check_file_names(const struct step *s, const struct arg *a, cvm_error *err) {
        for (char **f = a->list; *f; f++)
                if (!name_ok(*f))
                        return cvm_error_set(err, EPERM, "%s: step %s: %s entry '%s' must be a plain file name", s->where, s->kind,
                                             a->key, *f);
        return 0;
}

/* initramfs-tools run phases a script may be added to (scripts/PHASE/ORDER). */
static bool phase_ok(const char *p, size_t n) {
        static const char *const phases[] = { "init-top", "init-premount", "local-top", "local-block",
                                              "local-premount", "local-bottom", "init-bottom" };
        for (size_t i = 0; i < sizeof(phases) / sizeof(phases[0]); i++)
                if (strlen(phases[i]) == n && strncmp(phases[i], p, n) == 0)
                        return true;
        return false;
}

static int check_scripts(const struct step *s, const struct arg *a, cvm_error *err) {
        for (char **f = a->list; *f; f++) {
                const char *slash = strchr(*f, '/');
                if (!slash || !phase_ok(*f, (size_t) (slash - *f)) || !name_ok(slash + 1))
                        return cvm_error_set(err, EINVAL, "%s: step %s: initramfs-tools script '%s' must be PHASE/NAME, PHASE one of init-top, init-premount, local-top, local-block, local-premount, local-bottom, init-bottom",
                                             s->where, s->kind, *f);
        }
        return 0;
}

/* Kernel module names (tdx_guest or tdx-guest): matched in modules.dep, never a path. */
static int check_modules(const struct step *s, const struct arg *a, cvm_error *err) {
        for (char **f = a->list; *f; f++)
                if (!**f || strspn(*f, "abcdefghijklmnopqrstuvwxyz0123456789_-") != strlen(*f))
                        return cvm_error_set(err, EINVAL, "%s: step %s: module '%s' must be a kernel module name ([a-z0-9_-]+)",
                                             s->where, s->kind, *f);
        return 0;
}

/* fn on each word of a (*n of them) until one fails. */
static int each_word(const struct step *s, const struct arg *a, int (*fn)(const struct step *s, const char *w, cvm_error *err),
                     size_t *n, cvm_error *err) {
        char **w = step_words(a, n);
        int r = 0;

        if (!w)
                return cvm_error_set(err, ENOMEM, "out of memory");
        for (size_t i = 0; i < *n && r == 0; i++)
                r = fn(s, w[i], err);
        strv_free(w, *n);
        return r;
}

static int user_package(const struct step *s, const char *w, cvm_error *err) {
        if (!user_host_file(s->plugin, w))
                return cvm_error_set(err, EPERM, "%s: step %s: package '%s' is not a file given to one of the plugin's host-files parameters",
                                     s->where, s->kind, w);
        return 0;
}

static int check_packages(const struct step *s, const struct arg *a, cvm_error *err) {
        size_t n;
        int r = each_word(s, a, user_package, &n, err);

        if (r == 0 && n == 0)
                r = cvm_error_set(err, EINVAL, "%s: step %s: no packages", s->where, s->kind);
        return r;
}

/* Open one host source now, as the step will, and close it. */
static int check_source(const struct step *s, const char *src, mode_t want, cvm_error *err) {
        int fd, r = host_source_open(s, src, want, &fd, err);
        if (r == 0)
                close(fd);
        return r;
}

static int open_file(const struct step *s, const char *src, cvm_error *err) {
        return check_source(s, src, S_IFREG, err);
}

static int open_host_source(const struct step *s, const struct arg *a, cvm_error *err) {
        return check_source(s, a->value, 0, err);
}

static int open_host_files(const struct step *s, const struct arg *a, cvm_error *err) {
        int r = 0;
        for (char **f = a->list; r == 0 && *f; f++)
                r = open_file(s, *f, err);
        return r;
}

/* The SOURCE of each "SOURCE:DEST[:MODE]" entry, a host source of type want. */
static int open_specs(const struct step *s, const struct arg *a, mode_t want, cvm_error *err) {
        char src[PATH_MAX];
        int r = 0;

        for (char **f = a->list; r == 0 && *f; f++) {
                size_t n = strcspn(*f, ":");
                if (!(*f)[n] || n == 0 || !(*f)[n + 1] || n >= sizeof(src))
                        return cvm_error_set(err, EINVAL, "%s: step %s: '%s': expected SOURCE:DEST", s->where, s->kind, *f);
                memcpy(src, *f, n);
                src[n] = '\0';
                r = check_source(s, src, want, err);
        }
        return r;
}

static int open_file_specs(const struct step *s, const struct arg *a, cvm_error *err) {
        return open_specs(s, a, S_IFREG, err);
}

static int open_tree_specs(const struct step *s, const struct arg *a, cvm_error *err) {
        return open_specs(s, a, S_IFDIR, err);
}

static int open_packages(const struct step *s, const struct arg *a, cvm_error *err) {
        size_t n;
        return each_word(s, a, open_file, &n, err);
}

const struct arg_type arg_text = { "text", ARG_SCALAR, NULL, NULL };
const struct arg_type arg_secret = { "secret", ARG_SCALAR, NULL, NULL };
const struct arg_type arg_user = { "user", ARG_SCALAR, NULL, NULL };
const struct arg_type arg_guest_path = { "guest path", ARG_SCALAR, check_guest_path, NULL };
const struct arg_type arg_guest_paths = { "guest paths", ARG_LIST, check_guest_paths, NULL };
const struct arg_type arg_guest_folder = { "guest folder", ARG_SCALAR, check_guest_folder, NULL };
const struct arg_type arg_mode = { "mode", ARG_SCALAR, check_mode, NULL };
const struct arg_type arg_bool = { "bool", ARG_SCALAR, check_bool, NULL };
const struct arg_type arg_install = { "enum yes|auto|no", ARG_SCALAR, check_install, NULL };
const struct arg_type arg_crypt_hash = { "crypt hash", ARG_SCALAR, check_crypt_hash, NULL };
const struct arg_type arg_host_source = { "host source", ARG_SCALAR, NULL, open_host_source };
const struct arg_type arg_host_files = { "host files", ARG_LIST, NULL, open_host_files };
const struct arg_type arg_host_file_specs = { "host file specs", ARG_LIST, NULL, open_file_specs };
const struct arg_type arg_host_tree_specs = { "host folder specs", ARG_LIST, NULL, open_tree_specs };
const struct arg_type arg_packages = { "packages", ARG_LIST, check_packages, open_packages };
const struct arg_type arg_words = { "words", ARG_WORDS, NULL, NULL };
const struct arg_type arg_list = { "list", ARG_LIST, NULL, NULL };
const struct arg_type arg_file_names = { "file names", ARG_LIST, check_file_names, NULL };
const struct arg_type arg_scripts = { "initramfs-tools scripts", ARG_LIST, check_scripts, NULL };
const struct arg_type arg_modules = { "module names", ARG_LIST, check_modules, NULL };
