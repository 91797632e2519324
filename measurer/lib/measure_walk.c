/* SPDX-License-Identifier: Apache-2.0 */
/* Finding what a policy item names under the root: files, trees and globs, never leaving the root. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "measure_internal.h"

#define MAX_DEPTH 128
#define MAX_ENTRIES (4u << 20)

static struct entry *entry_add(struct entries *es, const char *path, const struct cvm_policy_group *g) {
        struct entry *e;

        if (es->n == es->cap) {
                size_t cap = es->cap ? es->cap * 2 : 64;
                struct entry *v;
                if (es->cap >= MAX_ENTRIES || !(v = realloc(es->v, cap * sizeof(*v))))
                        return NULL;
                es->v = v;
                es->cap = cap;
        }
        e = &es->v[es->n];
        memset(e, 0, sizeof(*e));
        e->path = strdup(path);
        if (!e->path)
                return NULL;
        e->group = g;
        es->n++;
        return e;
}

static int add_error(struct entries *es, const char *path, const struct cvm_policy_group *g, int kind, const char *reason,
                     cvm_error *err) {
        struct entry *e = entry_add(es, path, g);

        if (!e || (reason && !(e->reason = strdup(reason))))
                return cvm_error_set(err, ENOMEM, "out of memory or more than %u entries", MAX_ENTRIES);
        e->kind = (enum entry_kind) kind;
        return 0;
}

/* The directory holding path, opened inside the root; base points at the last component. */
static int open_parent(int rootfd, const char *path, const char **base) {
        struct open_how how = { .flags = O_PATH | O_DIRECTORY | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
        char dir[PATH_MAX];
        const char *slash = strrchr(path, '/');
        size_t len = (size_t) (slash - path);

        *base = slash + 1;
        if (len >= sizeof(dir))
                return -ENAMETOOLONG;
        memcpy(dir, path, len);
        dir[len] = '\0';
        if (len == 0)
                strcpy(dir, "/");
        long fd = syscall(SYS_openat2, rootfd, dir, &how, sizeof(how));
        return fd < 0 ? -errno : (int) fd;
}

static const char *special_type(mode_t m) {
        return S_ISFIFO(m) ? "fifo" : S_ISSOCK(m) ? "socket" : S_ISCHR(m) ? "char-device" : S_ISBLK(m) ? "block-device" : "unknown";
}

static int cmp_path(const void *a, const void *b) {
        return strcmp(((const struct entry *) a)->path, ((const struct entry *) b)->path);
}

static int walk_dir(int dfd, char *path, size_t plen, int depth, const struct cvm_policy_group *g, struct entries *out, cvm_error *err);

/* One name in directory dfd, classified; directories are descended into when tree is set. */
static int add_at(int dfd, const char *name, char *path, size_t plen, int depth, bool tree, const struct cvm_policy_group *g,
                  struct entries *out, cvm_error *err) {
        struct stat st;
        struct entry *e;
        char reason[PATH_MAX + 64];

        if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                if (errno == ENOENT)
                        return add_error(out, path, g, ENTRY_MISSING, NULL, err);
                snprintf(reason, sizeof(reason), "cannot stat: %s", strerror(errno));
                return add_error(out, path, g, ENTRY_ERROR, reason, err);
        }
        if (S_ISDIR(st.st_mode)) {
                int sub;
                if (!tree)
                        return add_error(out, path, g, ENTRY_ERROR, "is a directory (measure it as a tree)", err);
                if (depth >= MAX_DEPTH)
                        return add_error(out, path, g, ENTRY_ERROR, "directory nesting deeper than 128", err);
                sub = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (sub < 0) {
                        snprintf(reason, sizeof(reason), "cannot open directory: %s", strerror(errno));
                        return add_error(out, path, g, ENTRY_ERROR, reason, err);
                }
                return walk_dir(sub, path, plen, depth + 1, g, out, err);
        }
        if (!(e = entry_add(out, path, g)))
                return cvm_error_set(err, ENOMEM, "out of memory or more than %u entries", MAX_ENTRIES);
        e->mode = st.st_mode;
        e->size = (uint64_t) st.st_size;
        e->dev = st.st_dev;
        e->ino = st.st_ino;
        if (S_ISREG(st.st_mode))
                e->kind = ENTRY_FILE;
        else if (S_ISLNK(st.st_mode)) {
                char target[PATH_MAX];
                ssize_t n = readlinkat(dfd, name, target, sizeof(target) - 1);
                if (n < 0) {
                        e->kind = ENTRY_ERROR;
                        snprintf(reason, sizeof(reason), "cannot read link: %s", strerror(errno));
                        e->reason = strdup(reason);
                        return e->reason ? 0 : cvm_error_set(err, ENOMEM, "out of memory");
                }
                target[n] = '\0';
                e->kind = ENTRY_SYMLINK;
                e->target = strdup(target);
                if (!e->target)
                        return cvm_error_set(err, ENOMEM, "out of memory");
        } else {
                e->kind = ENTRY_SKIPPED;
                e->type = special_type(st.st_mode);
        }
        return 0;
}

/* Every entry below the open directory dfd (consumed), whose path is path[0..plen). */
static int walk_dir(int dfd, char *path, size_t plen, int depth, const struct cvm_policy_group *g, struct entries *out, cvm_error *err) {
        DIR *d = fdopendir(dfd);
        struct dirent *de;
        int r = 0;

        if (!d) {
                close(dfd);
                return add_error(out, path, g, ENTRY_ERROR, "cannot read directory", err);
        }
        while (r >= 0 && (errno = 0, de = readdir(d))) {
                size_t nlen = strlen(de->d_name), off = plen == 1 ? 1 : plen + 1;   /* "/" + name for the root itself */
                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                if (off + nlen >= PATH_MAX) {
                        r = add_error(out, path, g, ENTRY_ERROR, "a path below it is longer than PATH_MAX", err);
                        continue;
                }
                path[off - 1] = '/';
                memcpy(path + off, de->d_name, nlen + 1);
                r = add_at(dirfd(d), de->d_name, path, off + nlen, depth, true, g, out, err);
                path[plen] = '\0';
                errno = 0;
        }
        if (r >= 0 && errno)
                r = add_error(out, path, g, ENTRY_ERROR, "cannot read directory", err);
        closedir(d);
        return r;
}

/* A file or tree item at path. */
static int walk_path(int rootfd, const char *path, bool tree, const struct cvm_policy_group *g, struct entries *out, cvm_error *err) {
        char buf[PATH_MAX], reason[PATH_MAX + 64];
        const char *base;
        int pfd, r;

        if (strlen(path) >= sizeof(buf))
                return add_error(out, path, g, ENTRY_ERROR, "path longer than PATH_MAX", err);
        strcpy(buf, path);
        while (strlen(buf) > 1 && buf[strlen(buf) - 1] == '/')
                buf[strlen(buf) - 1] = '\0';
        if (strcmp(buf, "/") == 0) {
                int dfd = openat(rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (!tree)
                        return add_error(out, buf, g, ENTRY_ERROR, "is a directory (measure it as a tree)", err);
                if (dfd < 0)
                        return cvm_error_set(err, errno, "cannot open the root: %s", strerror(errno));
                return walk_dir(dfd, buf, 1, 0, g, out, err);
        }
        pfd = open_parent(rootfd, buf, &base);
        if (pfd == -ENOENT || pfd == -ENOTDIR)
                return add_error(out, buf, g, ENTRY_MISSING, NULL, err);
        if (pfd < 0) {
                snprintf(reason, sizeof(reason), "cannot open its directory: %s", strerror(-pfd));
                return add_error(out, buf, g, ENTRY_ERROR, reason, err);
        }
        r = add_at(pfd, base, buf, strlen(buf), 0, tree, g, out, err);
        close(pfd);
        return r;
}

static bool has_magic(const char *s, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (s[i] == '*' || s[i] == '?' || s[i] == '[')
                        return true;
        return false;
}

/*
 * Paths under dfd (at path) matching the components of pat from *rest on; dfd is consumed.
 * A directory component is opened by its path from the root, so a symlink to a
 * directory is followed inside the root, as a file or tree item's directories are.
 */
static int glob_dir(int rootfd, int dfd, char *path, size_t plen, const char *rest, struct entries *m, cvm_error *err) {
        size_t clen;
        char comp[NAME_MAX + 1];
        DIR *d;
        struct dirent *de;
        int r = 0;

        while (*rest == '/')
                rest++;
        clen = strcspn(rest, "/");
        if (clen > NAME_MAX) {
                close(dfd);
                return 0;
        }
        memcpy(comp, rest, clen);
        comp[clen] = '\0';
        rest += clen;
        while (*rest == '/')
                rest++;
        if (!(d = fdopendir(dfd))) {
                close(dfd);
                return 0;
        }
        while (r >= 0 && (de = readdir(d))) {
                size_t nlen = strlen(de->d_name);
                if (de->d_name[0] == '.' && (nlen == 1 || (nlen == 2 && de->d_name[1] == '.')))
                        continue;
                if (has_magic(comp, clen) ? fnmatch(comp, de->d_name, FNM_PERIOD) != 0 : strcmp(comp, de->d_name) != 0)
                        continue;
                if (plen + 1 + nlen >= PATH_MAX)
                        continue;
                path[plen] = '/';
                memcpy(path + plen + 1, de->d_name, nlen + 1);
                if (!*rest) {
                        if (!entry_add(m, path, NULL))
                                r = cvm_error_set(err, ENOMEM, "out of memory");
                } else {
                        struct open_how how = { .flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC,
                                                .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
                        long sub = syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
                        if (sub >= 0)
                                r = glob_dir(rootfd, (int) sub, path, plen + 1 + nlen, rest, m, err);
                }
                path[plen] = '\0';
        }
        closedir(d);
        return r;
}

static int walk_glob(int rootfd, const char *pattern, const struct cvm_policy_group *g, struct entries *out, cvm_error *err) {
        struct entries matches = { 0 };
        char path[PATH_MAX] = "";
        int dfd, r;

        dfd = openat(rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return cvm_error_set(err, errno, "cannot open the root: %s", strerror(errno));
        r = glob_dir(rootfd, dfd, path, 0, pattern, &matches, err);
        if (r >= 0 && matches.n == 0)
                r = add_error(out, pattern, g, ENTRY_MISSING, NULL, err);
        if (matches.n)
                qsort(matches.v, matches.n, sizeof(*matches.v), cmp_path);
        for (size_t i = 0; r >= 0 && i < matches.n; i++)
                r = walk_path(rootfd, matches.v[i].path, true, g, out, err);
        entries_free(&matches);
        return r;
}

int walk_item(int rootfd, const struct cvm_policy_item *it, const struct cvm_policy_group *g, struct entries *out, cvm_error *err) {
        size_t first = out->n;
        int r;

        switch (it->kind) {
        case CVM_ITEM_FILE:
                r = walk_path(rootfd, it->value, false, g, out, err);
                break;
        case CVM_ITEM_TREE:
                r = walk_path(rootfd, it->value, true, g, out, err);
                break;
        case CVM_ITEM_GLOB:
                r = walk_glob(rootfd, it->value, g, out, err);
                break;
        default:
                return 0;
        }
        if (r >= 0 && out->n - first > 1)
                qsort(out->v + first, out->n - first, sizeof(*out->v), cmp_path);
        return r;
}

void entries_free(struct entries *es) {
        for (size_t i = 0; i < es->n; i++) {
                free(es->v[i].path);
                free(es->v[i].target);
                free(es->v[i].reason);
        }
        free(es->v);
        es->v = NULL;
        es->n = es->cap = 0;
}
