/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Extracting an image into a directory without ever leaving it.  Every
 * parent is opened with openat2(RESOLVE_IN_ROOT) relative to the target, so
 * an archive symlink ("bin -> /usr/bin", or a hostile "x -> /etc") resolves
 * inside the target as it would inside the booted initramfs; the last
 * component is created relative to that parent, never followed.
 */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "initrd_internal.h"

struct extract {
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
 * The directory path opened O_PATH inside root, creating missing components
 * 0755 one at a time: each is made by mkdirat() relative to its parent's
 * fd, which was itself resolved inside root, so no symlink leads out.
 */
static int open_dir_p(int root, const char *path, cvm_error *err) {
        char buf[PATH_MAX];
        int fd = open_in_root(root, ".", O_PATH | O_DIRECTORY);

        snprintf(buf, sizeof(buf), "%s", path);
        for (char *p = buf; fd >= 0;) {
                char *end = p + strcspn(p, "/"), c = *end;
                int next;

                *end = '\0';
                next = open_in_root(root, buf, O_PATH | O_DIRECTORY);
                if (next < 0 && errno == ENOENT) {
                        if (mkdirat(fd, p, 0755) < 0 && errno != EEXIST) {
                                int e = errno;
                                close(fd);
                                return cvm_error_set(err, e, "'%s': cannot create: %s", buf, strerror(e));
                        }
                        next = open_in_root(root, buf, O_PATH | O_DIRECTORY);
                }
                close(fd);
                fd = next;
                if (c == '\0')
                        break;
                *end = c;
                p = end + 1;
        }
        return fd >= 0 ? fd : cvm_error_set(err, errno, "'%s': %s", path, strerror(errno));
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
        r = initrd_write_all(fd, e->data, e->data ? e->size : 0, err);
        if (r == 0 && fchmod(fd, e->mode & 07777) < 0)
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
        char *slash;
        int tfd, r = 0;

        snprintf(parent, sizeof(parent), "%s", e->hardlink);
        slash = strrchr(parent, '/');
        base = slash ? slash + 1 : e->hardlink;
        if (slash)
                *slash = '\0';
        tfd = open_in_root(root, slash ? parent : ".", O_PATH | O_DIRECTORY);
        if (tfd < 0 || linkat(tfd, base, pfd, name, 0) < 0)
                r = cvm_error_set(err, errno, "'%s': cannot link to '%s': %s", e->path, e->hardlink, strerror(errno));
        if (tfd >= 0)
                close(tfd);
        if (r == 0 && e->data && e->size > 0) {
                int fd = openat(pfd, name, O_WRONLY | O_TRUNC | O_NOFOLLOW | O_CLOEXEC);
                if (fd < 0)
                        return cvm_error_set(err, errno, "'%s': %s", e->path, strerror(errno));
                r = initrd_write_all(fd, e->data, e->size, err);
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

static int extract_one(const struct cvm_initrd_entry *e, void *userdata) {
        struct extract *x = userdata;
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
                pfd = open_dir_p(x->root, parent, x->err);
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
                r = fchmodat(pfd, name, e->mode & 07777, 0) < 0 ? cvm_error_set(x->err, errno, "'%s': %s", e->path,
                                                                                  strerror(errno))
                                                                : 0;
                goto out;
        }
        switch (e->mode & S_IFMT) {
        case S_IFREG:
                r = e->hardlink ? make_hardlink(x->root, pfd, name, e, x->err) : write_file(pfd, name, e, x->err);
                break;
        case S_IFDIR:
                r = mkdirat(pfd, name, 0700) < 0 || fchmodat(pfd, name, e->mode & 07777, 0) < 0
                            ? cvm_error_set(x->err, errno, "'%s': %s", e->path, strerror(errno))
                            : 0;
                break;
        case S_IFLNK:
                r = symlinkat(e->link ? e->link : "", pfd, name) < 0
                            ? cvm_error_set(x->err, errno, "'%s': %s", e->path, strerror(errno))
                            : 0;
                break;
        case S_IFCHR:
        case S_IFBLK:
        case S_IFIFO:
                /* Device nodes need CAP_MKNOD; without it they are left out, as unmkinitramfs does. */
                r = mknodat(pfd, name, e->mode, makedev(e->rdev_major, e->rdev_minor)) < 0 && errno != EPERM
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

int cvm_initrd_extract(const cvm_initrd *rd, const char *dir, char *const *only, size_t n_only, cvm_error *err) {
        struct extract x = { .only = only, .n_only = n_only, .err = err };
        int r;

        if (mkdir(dir, 0755) < 0 && errno != EEXIST)
                return cvm_error_set(err, errno, "%s: %s", dir, strerror(errno));
        x.root = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (x.root < 0)
                return cvm_error_set(err, errno, "%s: %s", dir, strerror(errno));
        r = cvm_initrd_foreach(rd, SIZE_MAX, true, extract_one, &x, err);
        close(x.root);
        return r;
}
