/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Extracting an image into a directory without ever leaving it.  Every
 * parent is opened with openat2(RESOLVE_IN_ROOT) relative to the target, so
 * an archive symlink ("bin -> /usr/bin", or a hostile "x -> /etc") resolves
 * inside the target as it would inside the booted initramfs; the last
 * component is created relative to that parent, never followed.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "initrd_internal.h"

/*
 * Permission bits kept: set-user-ID and set-group-ID are dropped, so that a
 * hostile image extracted by root cannot plant a setuid-root program in DIR.
 * Device nodes are never made (cvm-initrd list shows them): a hostile image
 * could otherwise plant a world-writable node for a host disk.
 */
#define KEPT_MODE 01777

struct extract {
        const cvm_initrd *rd;
        int root;
        char *const *only;
        size_t n_only;
        cvm_error *err;
};

static int open_in_root(int root, const char *path, int flags) {
        struct open_how how = {
                .flags = (uint64_t) (flags | O_CLOEXEC),
                .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
        };
        return (int) syscall(SYS_openat2, root, path, &how, sizeof(how));
}

/*
 * Why component `comp` of entry `entry` is not a directory inside root: when
 * it is a symlink, name its target (the archive's own, resolved inside root).
 */
static int parent_error(int root, const char *entry, const char *comp, int e, cvm_error *err) {
        char target[PATH_MAX];
        int fd = open_in_root(root, comp, O_PATH | O_NOFOLLOW);
        ssize_t n = fd >= 0 ? readlinkat(fd, "", target, sizeof(target) - 1) : -1;

        if (fd >= 0)
                close(fd);
        if (n < 0)
                return cvm_error_set(err, e, "'%s': its parent '%s' cannot be opened or created: %s", entry, comp,
                                     strerror(e));
        target[n] = '\0';
        return cvm_error_set(err, e,
                             "'%s': its parent '%s' is a symlink to '%s', which is not a directory inside the "
                             "extraction directory (%s)",
                             entry, comp, target, strerror(e));
}

/*
 * The directory path opened O_PATH inside root, creating missing components
 * 0755 one at a time: each is made by mkdirat() relative to its parent's
 * fd, which was itself resolved inside root, so no symlink leads out.
 */
static int open_dir_p(int root, const char *path, const char *entry, cvm_error *err) {
        char buf[PATH_MAX];
        int fd = open_in_root(root, ".", O_PATH | O_DIRECTORY);

        snprintf(buf, sizeof(buf), "%s", path);
        for (char *p = buf; fd >= 0;) {
                char *end = p + strcspn(p, "/"), c = *end;
                int next, e;

                *end = '\0';
                next = open_in_root(root, buf, O_PATH | O_DIRECTORY);
                if (next < 0 && errno == ENOENT) {
                        if (mkdirat(fd, p, 0755) < 0 && errno != EEXIST) {
                                e = errno;
                                close(fd);
                                return cvm_error_set(err, e, "'%s': cannot create '%s': %s", entry, buf, strerror(e));
                        }
                        next = open_in_root(root, buf, O_PATH | O_DIRECTORY);
                }
                e = errno;
                close(fd);
                if (next < 0)
                        return parent_error(root, entry, buf, e, err);
                fd = next;
                if (c == '\0')
                        break;
                *end = c;
                p = end + 1;
        }
        return fd >= 0 ? fd : cvm_error_set(err, errno, "'%s': %s", entry, strerror(errno));
}

static bool wanted(const struct extract *x, const char *path) {
        if (!x->only)
                return true;
        for (size_t i = 0; i < x->n_only; i++) {
                size_t n = strlen(x->only[i]);
                if (strncmp(path, x->only[i], n) == 0 && (path[n] == '\0' || path[n] == '/'))
                        return true;
        }
        return false;
}

static int write_file(int pfd, const char *name, const struct cvm_initrd_entry *e, cvm_error *err) {
        int fd = openat(pfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        int r;

        if (fd < 0)
                return cvm_error_set(err, errno, "'%s': cannot create: %s", e->path, strerror(errno));
        r = write_all(fd, e->data, e->data ? e->size : 0, NULL, err);
        if (r == 0 && fchmod(fd, e->mode & KEPT_MODE) < 0)
                r = cvm_error_set(err, errno, "'%s': %s", e->path, strerror(errno));
        close(fd);
        return r;
}

/*
 * A hard link to an earlier entry, as the kernel's maybe_link() makes it:
 * the target's parent is resolved inside the root and its last component is
 * not followed; content the link carries (newc puts it on the last link) is
 * then written into the shared inode.
 */
static int make_hardlink(int root, int pfd, const char *name, const struct cvm_initrd_entry *e, cvm_error *err) {
        char parent[PATH_MAX];
        const char *base;
        struct stat st;
        char *slash;
        int tfd, r = 0;

        snprintf(parent, sizeof(parent), "%s", e->hardlink);
        slash = strrchr(parent, '/');
        base = slash ? slash + 1 : e->hardlink;
        if (slash)
                *slash = '\0';
        tfd = open_in_root(root, slash ? parent : ".", O_PATH | O_DIRECTORY);
        /* Only to a regular file: a later entry may have replaced the target by a symlink to a host file. */
        if (tfd >= 0 && fstatat(tfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISREG(st.st_mode))
                r = cvm_error_set(err, EINVAL, "'%s': a hard link to '%s', which is %s by now, not a regular file",
                                  e->path, e->hardlink, file_type_name(st.st_mode));
        else if (tfd < 0 || linkat(tfd, base, pfd, name, 0) < 0)
                r = cvm_error_set(err, errno, "'%s': cannot link to '%s': %s", e->path, e->hardlink, strerror(errno));
        if (tfd >= 0)
                close(tfd);
        if (r == 0 && e->data && e->size > 0) {
                int fd = openat(pfd, name, O_WRONLY | O_TRUNC | O_NOFOLLOW | O_CLOEXEC);
                if (fd < 0)
                        return cvm_error_set(err, errno, "'%s': %s", e->path, strerror(errno));
                r = write_all(fd, e->data, e->size, NULL, err);
                close(fd);
        }
        return r;
}

/* An earlier entry of another type at this name is removed, as the kernel does. */
static int clear_name(int pfd, const char *name, const struct cvm_initrd_entry *e, cvm_error *err) {
        struct stat st;

        if (fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? 0 : cvm_error_set(err, errno, "'%s': %s", e->path, strerror(errno));
        if (S_ISDIR(st.st_mode) && S_ISDIR(e->mode))
                return 1;
        if (unlinkat(pfd, name, S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0) < 0)
                return cvm_error_set(err, errno, "'%s': cannot replace the earlier entry: %s", e->path, strerror(errno));
        return 0;
}

static int extract_entry(struct extract *x, const struct cvm_initrd_entry *e) {
        char parent[PATH_MAX];
        const char *name;
        char *slash;
        int pfd, r;

        if (!wanted(x, e->path) || strcmp(e->path, ".") == 0)
                return 0;
        snprintf(parent, sizeof(parent), "%s", e->path);
        slash = strrchr(parent, '/');
        if (slash) {
                *slash = '\0';
                name = slash + 1;
                pfd = open_dir_p(x->root, parent, e->path, x->err);
        } else {
                name = e->path;
                pfd = open_in_root(x->root, ".", O_PATH | O_DIRECTORY);
        }
        if (pfd < 0)
                return -x->err->code;
        r = clear_name(pfd, name, e, x->err);
        if (r < 0)
                goto out;
        if (r == 1) {
                r = fchmodat(pfd, name, e->mode & KEPT_MODE, 0) < 0 ? cvm_error_set(x->err, errno, "'%s': %s", e->path,
                                                                                  strerror(errno))
                                                                : 0;
                goto out;
        }
        switch (e->mode & S_IFMT) {
        case S_IFREG:
                r = e->hardlink ? make_hardlink(x->root, pfd, name, e, x->err) : write_file(pfd, name, e, x->err);
                break;
        case S_IFDIR:
                r = mkdirat(pfd, name, 0700) < 0 || fchmodat(pfd, name, e->mode & KEPT_MODE, 0) < 0
                            ? cvm_error_set(x->err, errno, "'%s': %s", e->path, strerror(errno))
                            : 0;
                break;
        case S_IFLNK:
                r = symlinkat(e->link ? e->link : "", pfd, name) < 0
                            ? cvm_error_set(x->err, errno, "'%s': %s", e->path, strerror(errno))
                            : 0;
                break;
        case S_IFIFO:
                r = mkfifoat(pfd, name, e->mode & KEPT_MODE) < 0
                            ? cvm_error_set(x->err, errno, "'%s': %s", e->path, strerror(errno))
                            : 0;
                break;
        default:
                r = 0;
        }
out:
        close(pfd);
        return r;
}

/* One entry; what goes wrong is said with the image and segment it came from. */
static int extract_one(const struct cvm_initrd_entry *e, void *userdata) {
        struct extract *x = userdata;
        int r = initrd_check_interrupted(x->err);

        if (r == 0)
                r = extract_entry(x, e);
        return r < 0 ? cvm_error_prefix(x->err, "%s: segment %zu: ", initrd_name(x->rd), e->segment) : 0;
}

/* 0 when dir is absent or an empty directory (rename(2) replaces only those); else why not. */
static int check_target(const char *dir, cvm_error *err) {
        struct stat st;
        struct dirent *de;
        DIR *d;

        if (lstat(dir, &st) < 0)
                return errno == ENOENT ? 0 : cvm_error_set(err, errno, "%s: %s", dir, strerror(errno));
        if (!S_ISDIR(st.st_mode))
                return cvm_error_set(err, EEXIST, "%s: exists and is %s; extract makes a new directory", dir,
                                     file_type_name(st.st_mode));
        if (!(d = opendir(dir)))
                return cvm_error_set(err, errno, "%s: %s", dir, strerror(errno));
        while ((de = readdir(d)))
                if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
                        closedir(d);
                        return cvm_error_set(err, ENOTEMPTY,
                                             "%s: exists and is not empty; extract makes a new directory (or fills an "
                                             "empty one)",
                                             dir);
                }
        closedir(d);
        return 0;
}

static int no_op(const struct cvm_initrd_entry *e, void *userdata) {
        (void) e;
        (void) userdata;
        return 0;
}

/*
 * Everything is extracted into a temporary directory beside dir, renamed
 * onto dir only when every entry was good: a bad image leaves no dir and no
 * partial tree.
 */
int cvm_initrd_extract(const cvm_initrd *rd, const char *dir, char *const *only, size_t n_only, cvm_error *err) {
        struct extract x = { .rd = rd, .only = only, .n_only = n_only, .err = err };
        char tmp[PATH_MAX];
        mode_t mask;
        int r;

        r = check_target(dir, err);
        if (r < 0)
                return r;
        /* Every header first (names, sizes, truncation): a malformed image never touches the disk. */
        r = cvm_initrd_foreach(rd, SIZE_MAX, false, no_op, NULL, err);
        if (r < 0)
                return r;
        r = initrd_temp_dir(dir, tmp, sizeof(tmp), err);
        if (r < 0)
                return r;
        mask = umask(0);
        umask(mask);
        x.root = open(tmp, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (x.root < 0 || chmod(tmp, 0755 & ~mask) < 0)
                r = cvm_error_set(err, errno, "%s: %s", tmp, strerror(errno));
        if (r == 0)
                r = cvm_initrd_foreach(rd, SIZE_MAX, true, extract_one, &x, err);
        if (x.root >= 0)
                close(x.root);
        if (r == 0)
                r = rename_durable(tmp, dir, err);
        if (r < 0)
                remove_tree(tmp);
        initrd_temp_done();
        return r;
}
