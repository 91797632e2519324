/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The step vocabulary: each kind's arguments, checked when the plan is made,
 * and its executor over the libguestfs handle.  Guest paths are absolute and
 * resolved by the appliance inside the guest root; host sources come only
 * from the plugin's files/ folder, relative, without "..".
 */

#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cvmbase/base.h"
#include "cvminitrd/initrd.h"
#include "accounts.h"
#include "session.h"

#define MAX_ARGS 6

struct kind {
        const char *name;
        const char *required[MAX_ARGS];
        const char *optional[MAX_ARGS];
        int (*run)(struct session *ss, const struct step *s);
};

const char *arg_shown(const struct arg *a) {
        return a->secret ? SECRET_SHOWN : a->value;
}

int step_redact(const struct step *s, cvm_error *err) {
        const size_t pl = strlen(SECRET_SHOWN);

        for (char **v = s->secrets; err && v && *v; v++)
                for (char *m = strstr(err->msg, *v); m; m = strstr(m + pl, *v)) {
                        size_t at = (size_t) (m - err->msg), vl = strlen(*v), tail = strlen(m + vl);
                        /* The placeholder may be longer than the value: the message is cut rather than overrun. */
                        if (at + pl >= sizeof(err->msg)) {
                                *m = '\0';
                                break;
                        }
                        if (at + pl + tail >= sizeof(err->msg))
                                tail = sizeof(err->msg) - 1 - at - pl;
                        memmove(m + pl, m + vl, tail);
                        m[pl + tail] = '\0';
                        memcpy(m, SECRET_SHOWN, pl);
                }
        return err ? -err->code : -EIO;
}

int step_fail(struct session *ss, const struct step *s, const char *fmt, ...) {
        char msg[768];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        cvm_error_set(ss->err, EIO, "%s: step %s (plugin %s): %s", s->where, s->kind, s->plugin->name, msg);
        return step_redact(s, ss->err);
}

/* The libguestfs error of the call that just failed. */
int step_gfail(struct session *ss, const struct step *s, const char *what) {
        const char *e = guestfs_last_error(ss->g);
        return step_fail(ss, s, "%s: %s", what, e ? e : "failed");
}

const char *step_arg(const struct step *s, const char *key) {
        const struct arg *a = step_arg_full(s, key);
        return a ? a->value : NULL;
}

char **step_words(const struct arg *a, size_t *n) {
        char **v = calloc(1, sizeof(char *));
        const char *one[2] = { a ? a->value : NULL, NULL };

        *n = 0;
        for (const char *const *e = a && a->list ? (const char *const *) a->list : one; v && *e; e++) {
                char *copy = strdup(*e), *save;
                if (!copy) {
                        strv_free(v, *n);
                        return NULL;
                }
                for (char *w = strtok_r(copy, " \t", &save); v && w; w = strtok_r(NULL, " \t", &save)) {
                        char **bigger = realloc(v, (*n + 2) * sizeof(char *));
                        if (!bigger || !(bigger[*n] = strdup(w))) {
                                strv_free(bigger ? bigger : v, *n);
                                v = NULL;
                                break;
                        }
                        v = bigger;
                        v[++*n] = NULL;
                }
                free(copy);
        }
        return v;
}

const struct arg *step_arg_full(const struct step *s, const char *key) {
        for (size_t i = 0; i < s->nargs; i++)
                if (strcmp(s->args[i].key, key) == 0)
                        return &s->args[i];
        return NULL;
}

static int mode_of(const struct step *s, int dflt) {
        const char *m = step_arg(s, "mode");
        return m ? (int) strtol(m, NULL, 8) : dflt;
}

/* Whether path is one of the files the user gave the plugin's host-files parameters (never a plugin's own literal). */
static bool user_host_file(const struct plugin *pl, const char *path) {
        for (size_t i = 0; i < pl->nparams; i++) {
                const char *v = pl->params[i].value;
                size_t l = strlen(path);
                if (pl->params[i].type != PARAM_HOST_FILES || !v || l == 0)
                        continue;
                for (const char *m = strstr(v, path); m; m = strstr(m + 1, path))
                        if ((m == v || m[-1] == ' ') && (m[l] == ' ' || !m[l]))
                                return true;
        }
        return false;
}

static const char *type_name(mode_t want) {
        return want == S_IFREG ? "a regular file" : want == S_IFDIR ? "a directory" : "a regular file or a directory";
}

/*
 * Where openat2 is missing (kernels before 5.6, valgrind): the real path must
 * be below the real files/, and its last component is opened without
 * following a link.  A link swapped in between is not caught here.
 */
static int open_beneath_by_name(const char *files, const char *rel, int flags) {
        char top[PATH_MAX], joined[PATH_MAX * 2], real[PATH_MAX];
        size_t tl;

        snprintf(joined, sizeof(joined), "%s/%s", files, rel);
        if (!realpath(files, top) || !realpath(joined, real))
                return -1;
        tl = strlen(top);
        if (strncmp(real, top, tl) != 0 || real[tl] != '/') {
                errno = EXDEV;
                return -1;
        }
        return open(real, flags | O_NOFOLLOW);
}

int host_source_open(const struct step *s, const char *src, mode_t want, int *ret, cvm_error *err) {
        struct open_how how = { .flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY,
                                .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS };
        char files[PATH_MAX], norm[PATH_MAX];
        struct stat st;
        int dir, fd, e;

        if (user_host_file(s->plugin, src)) {
                /* Resolved to a real path when the recipe was loaded: no link to follow now. */
                fd = open(src, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY | O_NOFOLLOW);
        } else {
                if (!*src || src[0] == '/' || cvm_initrd_path_normalise(src, norm, sizeof(norm)) < 0 || strcmp(norm, ".") == 0)
                        return cvm_error_set(err, EPERM, "%s: step %s: host source '%s' must be a path relative to the plugin's files/, without '..' (or a file given to a host-files parameter)",
                                             s->where, s->kind, src);
                if ((size_t) snprintf(files, sizeof(files), "%s/files", s->plugin->dir) >= sizeof(files))
                        return cvm_error_set(err, ENAMETOOLONG, "%s: step %s: %s/files: path too long", s->where, s->kind, s->plugin->dir);
                if ((dir = open(files, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
                        return cvm_error_set(err, errno, "%s: step %s: host source '%s': %s: %s", s->where, s->kind, src, files,
                                             strerror(errno));
                /* Beneath files/: a ".." or a symlink that leads out fails with EXDEV, whenever it appeared. */
                fd = (int) syscall(SYS_openat2, dir, norm, &how, sizeof(how));
                e = errno;
                close(dir);
                errno = e;
                if (fd < 0 && errno == ENOSYS)
                        fd = open_beneath_by_name(files, norm, how.flags);
        }
        if (fd < 0)
                return cvm_error_set(err, errno == EXDEV ? EPERM : errno, "%s: step %s: host source '%s': %s", s->where, s->kind, src,
                                     errno == EXDEV || errno == ELOOP ? "a symlink leads out of the plugin's files/"
                                                                      : strerror(errno));
        if (fstat(fd, &st) < 0 || !((want ? (st.st_mode & S_IFMT) == want : S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)))) {
                close(fd);
                return cvm_error_set(err, EINVAL, "%s: step %s: host source '%s' is %s, expected %s", s->where, s->kind, src,
                                     S_ISREG(st.st_mode) ? "a regular file" : file_type_name(st.st_mode), type_name(want));
        }
        *ret = fd;
        return 0;
}

/* The source's descriptor as a path the host's libraries open (libguestfs, the initrd writer): no new lookup by name. */
static void fd_path(int fd, const char *tail, char *out, size_t size) {
        snprintf(out, size, "/proc/self/fd/%d%s", fd, tail);
}

static int chmod_if(struct session *ss, const struct step *s, const char *path, int mode) {
        if (mode >= 0 && guestfs_chmod(ss->g, mode, path) < 0)
                return step_gfail(ss, s, path);
        return 0;
}

static int run_mkdir(struct session *ss, const struct step *s) {
        const char *p = step_arg(s, "path");
        if (guestfs_mkdir_p(ss->g, p) < 0)
                return step_gfail(ss, s, p);
        return chmod_if(ss, s, p, mode_of(s, -1));
}

static int run_write(struct session *ss, const struct step *s) {
        const char *p = step_arg(s, "path"), *c = step_arg(s, "content");
        if (guestfs_write(ss->g, p, c, strlen(c)) < 0)
                return step_gfail(ss, s, p);
        return chmod_if(ss, s, p, mode_of(s, -1));
}

static int run_copy(struct session *ss, const struct step *s) {
        const char *src = step_arg(s, "src"), *dest = step_arg(s, "dest");
        char host[64], target[PATH_MAX];
        _cleanup_(closep) int fd = -1;
        struct stat st;

        if (host_source_open(s, src, 0, &fd, ss->err) < 0 || fstat(fd, &st) < 0)
                return fd < 0 ? -ss->err->code : step_fail(ss, s, "%s: %s", src, strerror(errno));
        if (S_ISDIR(st.st_mode)) {
                /* copy-in puts DIR itself inside dest, as cp -r does (tar keeps the links inside as links). */
                char dir[PATH_MAX];
                if ((size_t) snprintf(dir, sizeof(dir), "%s/files/%s", s->plugin->dir, src) >= sizeof(dir))
                        return step_fail(ss, s, "%s: path too long", src);
                if (guestfs_mkdir_p(ss->g, dest) < 0 || guestfs_copy_in(ss->g, dir, dest) < 0)
                        return step_gfail(ss, s, dest);
                return 0;
        }
        fd_path(fd, "", host, sizeof(host));
        if ((size_t) snprintf(target, sizeof(target), "%s%s", dest, dest[strlen(dest) - 1] == '/' ? (strrchr(src, '/') ? strrchr(src, '/') + 1 : src) : "") >= sizeof(target))
                return step_fail(ss, s, "%s: path too long", dest);
        if (guestfs_upload(ss->g, host, target) < 0)
                return step_gfail(ss, s, target);
        return chmod_if(ss, s, target, mode_of(s, (int) (st.st_mode & 07777)));
}

static int run_append_line(struct session *ss, const struct step *s) {
        const char *p = step_arg(s, "path"), *line = step_arg(s, "line");
        _cleanup_free_ char *old = NULL, *text = NULL;
        size_t n = 0;

        if (guestfs_exists(ss->g, p) > 0 && !(old = guestfs_read_file(ss->g, p, &n)))
                return step_gfail(ss, s, p);
        /* As virt-customize: a missing final newline is added before the line. */
        if (asprintf(&text, "%s%s%s\n", old ? old : "", n > 0 && old[n - 1] != '\n' ? "\n" : "", line) < 0)
                return step_fail(ss, s, "out of memory");
        if (guestfs_write(ss->g, p, text, strlen(text)) < 0)
                return step_gfail(ss, s, p);
        return 0;
}

struct buf {
        char *p;
        size_t n, cap;
        bool oom;
};

static void buf_add(struct buf *b, const char *s, size_t n) {
        if (b->oom)
                return;
        if (b->n + n + 1 > b->cap) {
                size_t cap = (b->n + n + 1) * 2;
                char *p = realloc(b->p, cap);
                if (!p) {
                        b->oom = true;
                        return;
                }
                b->p = p;
                b->cap = cap;
        }
        memcpy(b->p + b->n, s, n);
        b->n += n;
        b->p[b->n] = '\0';
}

/* Every match of the extended regex, with \0-\9 in the replacement; no match is an error. */
static int run_replace(struct session *ss, const struct step *s) {
        const char *p = step_arg(s, "path"), *pat = step_arg(s, "pattern"), *rep = step_arg(s, "replacement");
        _cleanup_free_ char *text = NULL;
        struct buf out = { 0 };
        const char *cur;
        regmatch_t m[10];
        size_t n, count = 0;
        regex_t re;
        int r = 0;

        if (regcomp(&re, pat, REG_EXTENDED | REG_NEWLINE) != 0)
                return step_fail(ss, s, "pattern '%s' is not an extended regular expression", pat);
        if (!(text = guestfs_read_file(ss->g, p, &n))) {
                regfree(&re);
                return step_gfail(ss, s, p);
        }
        if (strlen(text) != n) {
                regfree(&re);
                return step_fail(ss, s, "%s holds NUL bytes: not a text file", p);
        }
        for (cur = text; regexec(&re, cur, 10, m, cur == text ? 0 : REG_NOTBOL) == 0; count++) {
                buf_add(&out, cur, (size_t) m[0].rm_so);
                for (const char *q = rep; *q; q++) {
                        int g = q[0] == '\\' && q[1] >= '0' && q[1] <= '9' ? q[1] - '0' : -1;
                        if (g >= 0 && m[g].rm_so >= 0) {
                                buf_add(&out, cur + m[g].rm_so, (size_t) (m[g].rm_eo - m[g].rm_so));
                                q++;
                        } else {
                                buf_add(&out, q, 1);
                        }
                }
                if (m[0].rm_eo > m[0].rm_so) {
                        cur += m[0].rm_eo;
                } else if (cur[m[0].rm_eo]) {
                        /* An empty match: keep one character and go on after it. */
                        buf_add(&out, cur + m[0].rm_eo, 1);
                        cur += m[0].rm_eo + 1;
                } else {
                        cur += m[0].rm_eo;
                        break;
                }
        }
        buf_add(&out, cur, strlen(cur));
        regfree(&re);
        if (out.oom)
                r = step_fail(ss, s, "out of memory");
        else if (count == 0)
                r = step_fail(ss, s, "pattern '%s' does not match in %s", pat, p);
        else if (guestfs_write(ss->g, p, out.p ? out.p : "", out.n) < 0)
                r = step_gfail(ss, s, p);
        free(out.p);
        return r;
}

static int run_delete(struct session *ss, const struct step *s) {
        const char *p = step_arg(s, "path");
        return guestfs_rm_rf(ss->g, p) < 0 ? step_gfail(ss, s, p) : 0;
}

static int run_chmod(struct session *ss, const struct step *s) {
        return chmod_if(ss, s, step_arg(s, "path"), mode_of(s, 0));
}

/* A user or group name from the guest's passwd/group, or a number; *err says why not. */
static int guest_id(struct session *ss, const char *file, const char *name, uint32_t *id, uint32_t *gid, char **home) {
        _cleanup_free_ char *text = NULL;
        struct account a;
        size_t n;
        int r;

        if (strspn(name, "0123456789") == strlen(name) && *name && strlen(name) < 10) {
                *id = (uint32_t) strtoul(name, NULL, 10);
                return 0;
        }
        if (!(text = guestfs_read_file(ss->g, file, &n)))
                return cvm_error_set(ss->err, ENOENT, "the guest's %s: %s", file, guestfs_last_error(ss->g));
        if ((r = accounts_find(text, n, file, name, home != NULL, &a, ss->err)) < 0)
                return r;
        *id = a.id;
        if (gid)
                *gid = a.gid;
        if (home)
                *home = a.home;
        return 0;
}

static int run_chown(struct session *ss, const struct step *s) {
        const char *p = step_arg(s, "path"), *owner = step_arg(s, "owner"), *group = step_arg(s, "group");
        _cleanup_free_ char *home = NULL;
        uint32_t uid, gid = UINT32_MAX, primary = UINT32_MAX;

        if (guest_id(ss, "/etc/passwd", owner, &uid, &primary, &home) < 0)
                return step_fail(ss, s, "owner: %s", ss->err->msg);
        if (group && guest_id(ss, "/etc/group", group, &gid, NULL, NULL) < 0)
                return step_fail(ss, s, "group: %s", ss->err->msg);
        if (guestfs_chown(ss->g, (int) uid, (int) (gid != UINT32_MAX ? gid : primary != UINT32_MAX ? primary : uid), p) < 0)
                return step_gfail(ss, s, p);
        return 0;
}

static int run_link(struct session *ss, const struct step *s) {
        const char *p = step_arg(s, "path");
        return guestfs_ln_sf(ss->g, step_arg(s, "target"), p) < 0 ? step_gfail(ss, s, p) : 0;
}

static int run_touch(struct session *ss, const struct step *s) {
        const char *p = step_arg(s, "path");
        return guestfs_touch(ss->g, p) < 0 ? step_gfail(ss, s, p) : 0;
}

static int run_move(struct session *ss, const struct step *s) {
        const char *d = step_arg(s, "dest");
        return guestfs_mv(ss->g, step_arg(s, "src"), d) < 0 ? step_gfail(ss, s, d) : 0;
}

static int run_run(struct session *ss, const struct step *s) {
        const char *cmd = step_arg(s, "command");
        _cleanup_free_ char *out = guestfs_sh(ss->g, cmd);

        if (!out)
                return step_gfail(ss, s, cmd);
        return 0;
}

#define FIRSTBOOT_DIR "/usr/local/lib/cvm-firstboot"
#define FIRSTBOOT_UNIT "/etc/systemd/system/cvm-firstboot.service"

static int run_firstboot(struct session *ss, const struct step *s) {
        static const char unit[] =
                "[Unit]\nDescription=cvm-rewrite first-boot commands\nConditionDirectoryNotEmpty=" FIRSTBOOT_DIR
                "\nAfter=network-online.target\n\n[Service]\nType=oneshot\n"
                "ExecStart=/bin/sh -c 'for f in " FIRSTBOOT_DIR "/*.sh; do \"$f\" && rm -f \"$f\"; done'\n\n"
                "[Install]\nWantedBy=multi-user.target\n";
        char path[PATH_MAX];
        _cleanup_free_ char *script = NULL;
        char **ls;
        size_t n = 0;

        if (guestfs_mkdir_p(ss->g, FIRSTBOOT_DIR) < 0 || !(ls = guestfs_ls(ss->g, FIRSTBOOT_DIR)))
                return step_gfail(ss, s, FIRSTBOOT_DIR);
        while (ls[n])
                free(ls[n++]);
        free(ls);
        snprintf(path, sizeof(path), FIRSTBOOT_DIR "/%02zu-%s.sh", n, s->plugin->name);
        if (asprintf(&script, "#!/bin/sh\n%s\n", step_arg(s, "command")) < 0)
                return step_fail(ss, s, "out of memory");
        if (guestfs_write(ss->g, path, script, strlen(script)) < 0 || guestfs_chmod(ss->g, 0755, path) < 0 ||
            guestfs_write(ss->g, FIRSTBOOT_UNIT, unit, sizeof(unit) - 1) < 0 ||
            guestfs_mkdir_p(ss->g, "/etc/systemd/system/multi-user.target.wants") < 0 ||
            guestfs_ln_sf(ss->g, FIRSTBOOT_UNIT, "/etc/systemd/system/multi-user.target.wants/cvm-firstboot.service") < 0)
                return step_gfail(ss, s, path);
        return 0;
}

static int run_ssh_inject(struct session *ss, const struct step *s) {
        const char *user = step_arg(s, "user"), *key = step_arg(s, "key");
        _cleanup_free_ char *home = NULL, *old = NULL, *text = NULL;
        char dir[PATH_MAX], keys[PATH_MAX];
        uint32_t uid, gid = UINT32_MAX;
        size_t n = 0;

        if (guest_id(ss, "/etc/passwd", user, &uid, &gid, &home) < 0)
                return step_fail(ss, s, "user: %s", ss->err->msg);
        if (!home || !step_guest_path_ok(home))
                return step_fail(ss, s, "user '%s' has no absolute home directory in the guest's /etc/passwd", user);
        if ((size_t) snprintf(dir, sizeof(dir), "%s/.ssh", home) >= sizeof(dir) ||
            (size_t) snprintf(keys, sizeof(keys), "%s/authorized_keys", dir) >= sizeof(keys))
                return step_fail(ss, s, "home directory '%s' is too long", home);
        if (guestfs_mkdir_p(ss->g, dir) < 0 || guestfs_chmod(ss->g, 0700, dir) < 0 ||
            guestfs_chown(ss->g, (int) uid, (int) gid, dir) < 0)
                return step_gfail(ss, s, dir);
        if (guestfs_exists(ss->g, keys) > 0 && !(old = guestfs_read_file(ss->g, keys, &n)))
                return step_gfail(ss, s, keys);
        if (old && strstr(old, key))
                return 0;
        if (asprintf(&text, "%s%s%s\n", old ? old : "", n && old[n - 1] != '\n' ? "\n" : "", key) < 0)
                return step_fail(ss, s, "out of memory");
        if (guestfs_write(ss->g, keys, text, strlen(text)) < 0 || guestfs_chmod(ss->g, 0600, keys) < 0 ||
            guestfs_chown(ss->g, (int) uid, (int) gid, keys) < 0)
                return step_gfail(ss, s, keys);
        return 0;
}

/* SHA-512 crypt with 16 random salt characters; a given hash is taken as is. */
static int run_password(struct session *ss, const struct step *s) {
        static const char abc[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789./";
        const char *user = step_arg(s, "user"), *pw = step_arg(s, "password"), *hash = step_arg(s, "hash");
        _cleanup_free_ char *shadow = NULL, *out = NULL;
        char salt[3 + 16 + 1] = "$6$";
        struct crypt_data cd = { 0 };
        uint8_t rnd[16];
        size_t n, o = 0;
        int fd;

        if (!hash) {
                if (!pw || !*pw)
                        return step_fail(ss, s, "an empty password is refused; give password or hash");
                fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
                if (fd < 0 || read(fd, rnd, sizeof(rnd)) != (ssize_t) sizeof(rnd)) {
                        if (fd >= 0)
                                close(fd);
                        return step_fail(ss, s, "no randomness for the salt");
                }
                close(fd);
                for (int i = 0; i < 16; i++)
                        salt[3 + i] = abc[rnd[i] % 64];
                hash = crypt_r(pw, salt, &cd);
                if (!hash || hash[0] != '$')
                        return step_fail(ss, s, "crypt failed");
        } else if (strncmp(hash, "$6$", 3) != 0 && strncmp(hash, "$y$", 3) != 0) {
                return step_fail(ss, s, "hash must be a crypt SHA-512 ($6$) or yescrypt ($y$) hash");
        }
        if (!(shadow = guestfs_read_file(ss->g, "/etc/shadow", &n)))
                return step_gfail(ss, s, "/etc/shadow");
        if (accounts_shadow_set(shadow, n, "the guest's /etc/shadow", user, hash, &out, &o, ss->err) < 0)
                return step_fail(ss, s, "%s", ss->err->msg);
        if (guestfs_write(ss->g, "/etc/shadow", out, o) < 0)
                return step_gfail(ss, s, "/etc/shadow");
        return 0;
}

static int run_hostname(struct session *ss, const struct step *s) {
        const char *name = step_arg(s, "name");
        _cleanup_free_ char *text = NULL, *hosts = NULL, *out = NULL;
        size_t n = 0;

        if (asprintf(&text, "%s\n", name) < 0)
                return step_fail(ss, s, "out of memory");
        if (guestfs_write(ss->g, "/etc/hostname", text, strlen(text)) < 0)
                return step_gfail(ss, s, "/etc/hostname");
        if (guestfs_exists(ss->g, "/etc/hosts") > 0 && !(hosts = guestfs_read_file(ss->g, "/etc/hosts", &n)))
                return step_gfail(ss, s, "/etc/hosts");
        if (!(out = malloc(n + strlen(name) + 32)))
                return step_fail(ss, s, "out of memory");
        out[0] = '\0';
        for (char *save, *line = hosts ? strtok_r(hosts, "\n", &save) : NULL; line; line = strtok_r(NULL, "\n", &save))
                if (strncmp(line, "127.0.1.1", 9) != 0)
                        strcat(strcat(out, line), "\n");
        strcat(strcat(strcat(out, "127.0.1.1\t"), name), "\n");
        if (guestfs_write(ss->g, "/etc/hosts", out, strlen(out)) < 0)
                return step_gfail(ss, s, "/etc/hosts");
        return 0;
}

static int run_timezone(struct session *ss, const struct step *s) {
        const char *zone = step_arg(s, "zone");
        char zp[PATH_MAX], text[PATH_MAX];

        snprintf(zp, sizeof(zp), "/usr/share/zoneinfo/%s", zone);
        /* tzdata ships UTC and many zones as symlinks (UTC -> Etc/UTC). */
        if (guestfs_is_file_opts(ss->g, zp, GUESTFS_IS_FILE_OPTS_FOLLOWSYMLINKS, 1, -1) <= 0)
                return step_fail(ss, s, "%s is not in the guest (no such time zone, or tzdata missing)", zp);
        snprintf(text, sizeof(text), "%s\n", zone);
        if (guestfs_ln_sf(ss->g, zp, "/etc/localtime") < 0 || guestfs_write(ss->g, "/etc/timezone", text, strlen(text)) < 0)
                return step_gfail(ss, s, "/etc/localtime");
        return 0;
}

static int run_install(struct session *ss, const struct step *s) {
        const struct arg *files = step_arg_full(s, "files");
        const char *cache = "/var/cache/cvm-install";
        char cmd[8192] = "", host[64], guest[PATH_MAX];
        bool deb = false, rpm = false;
        _cleanup_free_ char *out = NULL;

        if (guestfs_mkdir_p(ss->g, cache) < 0)
                return step_gfail(ss, s, cache);
        for (char **f = files->list; *f; f++) {
                const char *base = strrchr(*f, '/') ? strrchr(*f, '/') + 1 : *f;
                _cleanup_(closep) int fd = -1;
                if (host_source_open(s, *f, S_IFREG, &fd, ss->err) < 0)
                        return -ss->err->code;
                fd_path(fd, "", host, sizeof(host));
                snprintf(guest, sizeof(guest), "%s/%s", cache, base);
                if (guestfs_upload(ss->g, host, guest) < 0)
                        return step_gfail(ss, s, *f);
                deb |= strstr(base, ".deb") != NULL;
                rpm |= strstr(base, ".rpm") != NULL;
        }
        if (deb)
                snprintf(cmd, sizeof(cmd), "DEBIAN_FRONTEND=noninteractive dpkg -i --force-confold %s/*.deb", cache);
        else if (rpm)
                snprintf(cmd, sizeof(cmd), "rpm -Uvh --replacepkgs %s/*.rpm", cache);
        if (!(out = guestfs_sh(ss->g, cmd)))
                return step_gfail(ss, s, cmd);
        if (guestfs_rm_rf(ss->g, cache) < 0)
                return step_gfail(ss, s, cache);
        return 0;
}

static int run_enable_service(struct session *ss, const struct step *s) {
        static const char *const dirs[] = { "/etc/systemd/system", "/usr/lib/systemd/system", "/lib/systemd/system" };
        const char *name = step_arg(s, "name");
        _cleanup_free_ char *text = NULL;
        char unit[PATH_MAX] = "", *save, *line;
        size_t n, targets = 0;

        for (size_t i = 0; i < 3 && !*unit; i++) {
                snprintf(unit, sizeof(unit), "%s/%s", dirs[i], name);
                if (guestfs_is_file_opts(ss->g, unit, GUESTFS_IS_FILE_OPTS_FOLLOWSYMLINKS, 1, -1) <= 0)
                        unit[0] = '\0';
        }
        if (!*unit)
                return step_fail(ss, s, "unit %s is not in the guest's systemd unit directories", name);
        if (!(text = guestfs_read_file(ss->g, unit, &n)))
                return step_gfail(ss, s, unit);
        for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char *v, *tsave;
                if (strncmp(line, "WantedBy=", 9) != 0 && strncmp(line, "RequiredBy=", 11) != 0)
                        continue;
                v = strchr(line, '=') + 1;
                for (char *t = strtok_r(v, " \t", &tsave); t; t = strtok_r(NULL, " \t", &tsave)) {
                        char wants[PATH_MAX], link[PATH_MAX + 64];
                        snprintf(wants, sizeof(wants), "/etc/systemd/system/%s.%s", t, line[0] == 'W' ? "wants" : "requires");
                        snprintf(link, sizeof(link), "%s/%s", wants, name);
                        if (guestfs_mkdir_p(ss->g, wants) < 0 || guestfs_ln_sf(ss->g, unit, link) < 0)
                                return step_gfail(ss, s, link);
                        targets++;
                }
        }
        if (targets == 0)
                return step_fail(ss, s, "%s has no WantedBy= or RequiredBy= in [Install]; nothing to enable it from", unit);
        return 0;
}

static const struct kind kinds[] = {
        { "mkdir", { "path" }, { "mode" }, run_mkdir },
        { "copy", { "src", "dest" }, { "mode" }, run_copy },
        { "write", { "path", "content" }, { "mode" }, run_write },
        { "append-line", { "path", "line" }, { 0 }, run_append_line },
        { "replace", { "path", "pattern", "replacement" }, { 0 }, run_replace },
        { "delete", { "path" }, { 0 }, run_delete },
        { "chmod", { "path", "mode" }, { 0 }, run_chmod },
        { "chown", { "path", "owner" }, { "group" }, run_chown },
        { "link", { "target", "path" }, { 0 }, run_link },
        { "touch", { "path" }, { 0 }, run_touch },
        { "move", { "src", "dest" }, { 0 }, run_move },
        { "run", { "command" }, { 0 }, run_run },
        { "firstboot", { "command" }, { 0 }, run_firstboot },
        { "ssh-inject", { "user", "key" }, { 0 }, run_ssh_inject },
        { "password", { "user" }, { "password", "hash" }, run_password },
        { "hostname", { "name" }, { 0 }, run_hostname },
        { "timezone", { "zone" }, { 0 }, run_timezone },
        { "install", { "files" }, { 0 }, run_install },
        { "enable-service", { "name" }, { 0 }, run_enable_service },
        { "kernel-cmdline", { 0 }, { "add", "remove" }, kernel_cmdline_run },
        { "initrd-append", { 0 }, { "add", "tree", "guest", "initramfs-tools", "compress", "modules" }, initrd_append_run },
        { "bundle", { "programs" }, { "libs", "prefix" }, bundle_run },
        { "ima-label", { "paths" }, { "hash" }, ima_label_run },
        { "validate", { 0 }, { 0 }, validate_run },
        { "resize", { 0 }, { 0 }, resize_run },
        { "kernel", { "packages" }, { "default" }, kernel_run },
        { "library", { 0 }, { "install" }, library_run },
};

static const struct kind *find_kind(const char *name) {
        for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
                if (strcmp(kinds[i].name, name) == 0)
                        return &kinds[i];
        return NULL;
}

bool step_kind_known(const char *kind) {
        return find_kind(kind) != NULL;
}

static bool listed(const char *const *l, const char *key) {
        for (size_t i = 0; i < MAX_ARGS && l[i]; i++)
                if (strcmp(l[i], key) == 0)
                        return true;
        return false;
}

bool step_guest_path_ok(const char *p) {
        char norm[PATH_MAX];
        return p[0] == '/' && cvm_initrd_path_normalise(p, norm, sizeof(norm)) == 0 && !strstr(p, "/./") &&
               strcmp(p + strlen(p) - (strlen(p) >= 2 ? 2 : 0), "/.") != 0;
}

static const char *const list_args[] = { "files", "add", "remove", "tree", "guest", "initramfs-tools", "programs", "libs", "paths",
                                         "packages", "modules" };

/* A file name of this project's programs, a soname or an initramfs-tools script: no '/', no leading '.'. */
static bool name_ok(const char *n) {
        return *n && *n != '.' && strspn(n, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._+-") == strlen(n);
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

/* The list arguments of initrd-append and bundle, and bundle's prefix. */
static int step_validate_lists(const struct step *s, cvm_error *err) {
        const struct arg *a;
        const char *prefix = step_arg(s, "prefix");

        if ((a = step_arg_full(s, "guest")))
                for (char **f = a->list; *f; f++)
                        if (!step_guest_path_ok(*f) || strcmp(*f, "/") == 0)
                                return cvm_error_set(err, EINVAL, "%s: step %s: guest path '%s' must be absolute, below /, without '.' or '..'",
                                                     s->where, s->kind, *f);
        if ((a = step_arg_full(s, "packages"))) {
                size_t n;
                char **w = step_words(a, &n);
                if (!w)
                        return cvm_error_set(err, ENOMEM, "out of memory");
                for (size_t i = 0; i < n; i++)
                        if (!user_host_file(s->plugin, w[i])) {
                                int r = cvm_error_set(err, EPERM, "%s: step %s: package '%s' is not a file given to one of the plugin's host-files parameters",
                                                      s->where, s->kind, w[i]);
                                strv_free(w, n);
                                return r;
                        }
                strv_free(w, n);
                if (n == 0)
                        return cvm_error_set(err, EINVAL, "%s: step %s: no packages", s->where, s->kind);
        }
        if ((a = step_arg_full(s, "initramfs-tools")))
                for (char **f = a->list; *f; f++) {
                        const char *slash = strchr(*f, '/');
                        if (!slash || !phase_ok(*f, (size_t) (slash - *f)) || !name_ok(slash + 1))
                                return cvm_error_set(err, EINVAL, "%s: step %s: initramfs-tools script '%s' must be PHASE/NAME, PHASE one of init-top, init-premount, local-top, local-block, local-premount, local-bottom, init-bottom",
                                                     s->where, s->kind, *f);
                }
        /* Kernel module names (tdx_guest or tdx-guest): matched in modules.dep, never a path. */
        if ((a = step_arg_full(s, "modules")))
                for (char **f = a->list; *f; f++)
                        if (!**f || strspn(*f, "abcdefghijklmnopqrstuvwxyz0123456789_-") != strlen(*f))
                                return cvm_error_set(err, EINVAL, "%s: step %s: module '%s' must be a kernel module name ([a-z0-9_-]+)",
                                                     s->where, s->kind, *f);
        for (const char *key = "programs"; key; key = strcmp(key, "programs") == 0 ? "libs" : NULL)
                if ((a = step_arg_full(s, key)))
                        for (char **f = a->list; *f; f++)
                                if (!name_ok(*f))
                                        return cvm_error_set(err, EPERM, "%s: step %s: %s entry '%s' must be a plain file name",
                                                             s->where, s->kind, key, *f);
        if (prefix && (!step_guest_path_ok(prefix) || strcmp(prefix, "/") == 0 || prefix[strlen(prefix) - 1] == '/'))
                return cvm_error_set(err, EINVAL, "%s: step %s: prefix '%s' must be an absolute guest folder below /",
                                     s->where, s->kind, prefix);
        return 0;
}

/* A crypt(3) SHA-512 or yescrypt hash: its alphabet only (no ':' or line break to forge a shadow field). */
static bool crypt_hash_ok(const char *h) {
        return (strncmp(h, "$6$", 3) == 0 || strncmp(h, "$y$", 3) == 0) &&
               strspn(h, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789./$") == strlen(h);
}

/* Check one host source now (so --plan refuses it), as the step will open it. */
static int check_source(const struct step *s, const char *src, mode_t want, cvm_error *err) {
        int fd, r = host_source_open(s, src, want, &fd, err);
        if (r == 0)
                close(fd);
        return r;
}

/* The SOURCE of an initrd-append "SOURCE:DEST[:MODE]" entry, into out. */
static int spec_source(const struct step *s, const char *spec, char *out, size_t size, cvm_error *err) {
        size_t n = strcspn(spec, ":");
        if (!spec[n] || n == 0 || !spec[n + 1] || n >= size)
                return cvm_error_set(err, EINVAL, "%s: step %s: '%s': expected SOURCE:DEST", s->where, s->kind, spec);
        memcpy(out, spec, n);
        out[n] = '\0';
        return 0;
}

/* Every host source of the step, whatever its kind: copy src, install files, initrd-append add and tree, kernel packages. */
static int step_validate_sources(const struct step *s, cvm_error *err) {
        const struct arg *a;
        char src[PATH_MAX];
        int r = 0;

        if (strcmp(s->kind, "copy") == 0)
                return check_source(s, step_arg(s, "src"), 0, err);
        if (strcmp(s->kind, "install") == 0)
                for (char **f = step_arg_full(s, "files")->list; r == 0 && *f; f++)
                        r = check_source(s, *f, S_IFREG, err);
        for (const char *key = "add"; r == 0 && key && strcmp(s->kind, "initrd-append") == 0;
             key = strcmp(key, "add") == 0 ? "tree" : NULL)
                for (char **f = (a = step_arg_full(s, key)) ? a->list : NULL; r == 0 && f && *f; f++)
                        if ((r = spec_source(s, *f, src, sizeof(src), err)) == 0)
                                r = check_source(s, src, strcmp(key, "add") == 0 ? S_IFREG : S_IFDIR, err);
        if (r == 0 && (a = step_arg_full(s, "packages"))) {
                size_t n;
                char **w = step_words(a, &n);
                if (!w)
                        return cvm_error_set(err, ENOMEM, "out of memory");
                for (size_t i = 0; i < n && r == 0; i++)
                        r = check_source(s, w[i], S_IFREG, err);
                strv_free(w, n);
        }
        return r;
}

int step_validate(const struct step *s, cvm_error *err) {
        const struct kind *k = find_kind(s->kind);
        int r;

        for (size_t i = 0; i < MAX_ARGS && k->required[i]; i++)
                if (!step_arg_full(s, k->required[i]))
                        return cvm_error_set(err, EINVAL, "%s: step %s needs '%s'", s->where, s->kind, k->required[i]);
        for (size_t i = 0; i < s->nargs; i++) {
                const struct arg *a = &s->args[i];
                bool is_list = false;
                if (!listed(k->required, a->key) && !listed(k->optional, a->key))
                        return cvm_error_set(err, EINVAL, "%s: step %s has no argument '%s'", s->where, s->kind, a->key);
                for (size_t j = 0; j < sizeof(list_args) / sizeof(list_args[0]); j++)
                        is_list |= strcmp(a->key, list_args[j]) == 0;
                if (is_list != (a->list != NULL) && !(is_list && strcmp(s->kind, "kernel-cmdline") == 0))
                        return cvm_error_set(err, EINVAL, "%s: step %s: '%s' must be %s", s->where, s->kind, a->key,
                                             is_list ? "a list" : "a scalar");
                if (strcmp(a->key, "mode") == 0 &&
                    (!*a->value || strspn(a->value, "01234567") != strlen(a->value) || strtol(a->value, NULL, 8) > 07777))
                        return cvm_error_set(err, EINVAL, "%s: step %s: mode '%s' is not octal up to 7777", s->where,
                                             s->kind, a->value);
                if ((strcmp(a->key, "path") == 0 || strcmp(a->key, "dest") == 0 ||
                     (strcmp(a->key, "src") == 0 && strcmp(s->kind, "move") == 0)) &&
                    !step_guest_path_ok(a->value))
                        return cvm_error_set(err, EINVAL, "%s: step %s: guest path '%s' must be absolute, without '.' or '..'",
                                             s->where, s->kind, a->value);
        }
        if ((r = step_validate_lists(s, err)) < 0 || (r = step_validate_sources(s, err)) < 0 ||
            (strcmp(s->kind, "ima-label") == 0 && (r = ima_label_validate(s, err)) < 0))
                return r;
        if (step_arg(s, "default") && strcmp(step_arg(s, "default"), "true") && strcmp(step_arg(s, "default"), "false"))
                return cvm_error_set(err, EINVAL, "%s: step %s: default must be true or false", s->where, s->kind);
        if (step_arg(s, "install") && strcmp(step_arg(s, "install"), "yes") && strcmp(step_arg(s, "install"), "auto") &&
            strcmp(step_arg(s, "install"), "no"))
                return cvm_error_set(err, EINVAL, "%s: step %s: install must be yes, auto or no, got '%s'", s->where, s->kind,
                                     step_arg(s, "install"));
        if (strcmp(s->kind, "password") == 0 && !step_arg(s, "password") == !step_arg(s, "hash"))
                return cvm_error_set(err, EINVAL, "%s: step password needs exactly one of password and hash", s->where);
        /* The hash goes into a shadow line as is (and is secret: never shown). */
        if (strcmp(s->kind, "password") == 0 && step_arg(s, "hash") && !crypt_hash_ok(step_arg(s, "hash")))
                return cvm_error_set(err, EINVAL, "%s: step password: hash must be a crypt SHA-512 ($6$) or yescrypt ($y$) hash of [A-Za-z0-9./$]",
                                     s->where);
        return 0;
}

int step_run(struct session *ss, const struct step *s) {
        int verbose = guestfs_get_verbose(ss->g), trace = guestfs_get_trace(ss->g), r;

        /* libguestfs's trace and the appliance's debug lines would show a secret step's arguments. */
        if (s->secrets) {
                guestfs_set_verbose(ss->g, 0);
                guestfs_set_trace(ss->g, 0);
        }
        r = find_kind(s->kind)->run(ss, s);
        if (s->secrets) {
                guestfs_set_verbose(ss->g, verbose > 0);
                guestfs_set_trace(ss->g, trace > 0);
        }
        return r < 0 ? step_redact(s, ss->err) : r;
}
