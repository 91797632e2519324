/* SPDX-License-Identifier: Apache-2.0 */
/* The entries of a segment to be written: from host files, host trees, or an image's entries. */

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "fileset.h"

int cvm_initrd_fileset_new(cvm_initrd_fileset **ret) {
        *ret = calloc(1, sizeof(**ret));
        return *ret ? 0 : -ENOMEM;
}

static void entry_clear(struct fs_entry *e) {
        free(e->path);
        free(e->link);
        free(e->hardlink);
        free(e->src);
        free(e->data);
}

void cvm_initrd_fileset_free(cvm_initrd_fileset *fs) {
        if (!fs)
                return;
        for (size_t i = 0; i < fs->n; i++)
                entry_clear(&fs->e[i]);
        free(fs->e);
        free(fs);
}

static int oom(cvm_error *err) {
        return cvm_error_set(err, ENOMEM, "out of memory");
}

struct fs_entry *fileset_push(cvm_initrd_fileset *fs, const char *dest, cvm_error *err) {
        char norm[PATH_MAX];
        struct fs_entry *e;
        int r;

        r = cvm_initrd_path_normalise(dest, norm, sizeof(norm));
        if (r < 0) {
                cvm_error_set(err, -r, "destination '%s' is empty, too long or has a '..' component", dest);
                return NULL;
        }
        if (fs->n == fs->cap) {
                size_t nc = fs->cap ? fs->cap * 2 : 64;
                struct fs_entry *p = realloc(fs->e, nc * sizeof(*p));
                if (!p) {
                        oom(err);
                        return NULL;
                }
                fs->e = p;
                fs->cap = nc;
        }
        e = &fs->e[fs->n];
        *e = (struct fs_entry) { .seq = fs->next_seq++ };
        if (!(e->path = strdup(norm))) {
                oom(err);
                return NULL;
        }
        fs->n++;
        fs->sorted = false;
        return e;
}

int cvm_initrd_fileset_add_file(cvm_initrd_fileset *fs, const char *src, const char *dest, mode_t mode,
                                cvm_error *err) {
        struct fs_entry *e;
        struct stat st;
        int fd;

        if (mode & ~(mode_t) 07777)
                return cvm_error_set(err, EINVAL, "%s: mode %o has bits beyond 07777", src, (unsigned) mode);
        /* Opened, not just stat'ed: a FIFO or a device is refused here, before anything is written. */
        fd = open_regular(src, CVM_INITRD_MAX_ENTRY, false, &st, err);
        if (fd < 0)
                return fd;
        close(fd);
        e = fileset_push(fs, dest, err);
        if (!e)
                return -err->code;
        e->mode = S_IFREG | (mode ? mode : (st.st_mode & 07777));
        e->size = (uint64_t) st.st_size;
        e->mtime = st.st_mtime;
        e->src = strdup(src);
        return e->src ? 0 : oom(err);
}

static int add_node(cvm_initrd_fileset *fs, const char *host, const char *dest, cvm_error *err);

/* Each member of a host directory; its names are read first, so a deep tree holds no descriptor per level. */
static int add_dir(cvm_initrd_fileset *fs, const char *host, const char *dest, cvm_error *err) {
        struct dirent **names;
        int n = scandir(host, &names, NULL, alphasort), r = 0;

        if (n < 0)
                return cvm_error_set(err, errno, "%s: %s", host, strerror(errno));
        for (int i = 0; i < n; i++) {
                const char *name = names[i]->d_name;
                _cleanup_free_ char *h = NULL, *t = NULL;

                if (r < 0 || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
                        continue;
                if (asprintf(&h, "%s/%s", host, name) < 0 || asprintf(&t, "%s/%s", dest, name) < 0) {
                        h = t = NULL;
                        r = oom(err);
                        continue;
                }
                if (strlen(h) >= PATH_MAX || strlen(t) >= PATH_MAX)
                        r = cvm_error_set(err, ENAMETOOLONG, "%s: path too long (a cpio name holds at most %d bytes)",
                                          h, PATH_MAX - 1);
                else
                        r = add_node(fs, h, t, err);
        }
        for (int i = 0; i < n; i++)
                free(names[i]);
        free(names);
        return r;
}

/* One host node by lstat: links stay links, sockets are skipped (cpio cannot carry them). */
static int add_node(cvm_initrd_fileset *fs, const char *host, const char *dest, cvm_error *err) {
        struct fs_entry *e;
        struct stat st;

        if (lstat(host, &st) < 0)
                return cvm_error_set(err, errno, "%s: %s", host, strerror(errno));
        if (S_ISSOCK(st.st_mode))
                return 0;
        e = fileset_push(fs, dest, err);
        if (!e)
                return -err->code;
        e->mode = st.st_mode & (S_IFMT | 07777);
        e->mtime = st.st_mtime;
        if (S_ISREG(st.st_mode)) {
                if ((uint64_t) st.st_size > CVM_INITRD_MAX_ENTRY)
                        return cvm_error_set(err, EFBIG, "%s: %llu bytes, more than a cpio newc entry can hold (%llu bytes)",
                                             host, (unsigned long long) st.st_size,
                                             (unsigned long long) CVM_INITRD_MAX_ENTRY);
                e->size = (uint64_t) st.st_size;
                e->src = strdup(host);
                e->src_nofollow = true;
                return e->src ? 0 : oom(err);
        }
        if (S_ISLNK(st.st_mode)) {
                char target[PATH_MAX];
                ssize_t n = readlink(host, target, sizeof(target) - 1);
                if (n < 0)
                        return cvm_error_set(err, errno, "%s: %s", host, strerror(errno));
                target[n] = '\0';
                e->link = strdup(target);
                return e->link ? 0 : oom(err);
        }
        if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
                e->rdev_major = major(st.st_rdev);
                e->rdev_minor = minor(st.st_rdev);
                return 0;
        }
        if (S_ISDIR(st.st_mode))
                return add_dir(fs, host, dest, err);
        return 0;
}

int cvm_initrd_fileset_add_tree(cvm_initrd_fileset *fs, const char *dir, const char *dest, cvm_error *err) {
        struct stat st;

        if (stat(dir, &st) < 0)
                return cvm_error_set(err, errno, "%s: %s", dir, strerror(errno));
        if (!S_ISDIR(st.st_mode))
                return cvm_error_set(err, ENOTDIR, "%s: is %s, not a directory", dir, file_type_name(st.st_mode));
        return add_node(fs, dir, dest, err);
}

/* Split "A:B" at the first colon into a (joined under base when relative) and b. */
static int split_spec(const char *spec, const char *base, char *a, size_t asize, char **b, cvm_error *err) {
        const char *colon = strchr(spec, ':');
        size_t n = colon ? (size_t) (colon - spec) : 0;

        if (!colon || n == 0 || !colon[1])
                return cvm_error_set(err, EINVAL, "'%s': expected SOURCE:DEST", spec);
        if ((size_t) snprintf(a, asize, "%s%s%.*s", base && spec[0] != '/' ? base : "", base && spec[0] != '/' ? "/" : "",
                              (int) n, spec) >= asize)
                return cvm_error_set(err, ENAMETOOLONG, "'%s': path too long", spec);
        *b = strdup(colon + 1);
        return *b ? 0 : oom(err);
}

/*
 * SRC:DEST[:MODE].  Neither SRC nor DEST can hold a ':' (the separator); a
 * third field is always a mode, octal and at most 07777, never part of DEST.
 */
int cvm_initrd_fileset_add_spec(cvm_initrd_fileset *fs, const char *spec, const char *base, cvm_error *err) {
        char src[PATH_MAX], *dest, *mode_s;
        unsigned long mode = 0;
        int r;

        if ((r = split_spec(spec, base, src, sizeof(src), &dest, err)) < 0)
                return r;
        mode_s = strchr(dest, ':');
        if (mode_s) {
                *mode_s++ = '\0';
                size_t n = strlen(mode_s);
                mode = n > 0 && n <= 8 && strspn(mode_s, "01234567") == n ? strtoul(mode_s, NULL, 8) : ~0UL;
                if (mode > 07777) {
                        r = cvm_error_set(err, EINVAL,
                                          "'%s': mode '%s' is not an octal mode of at most 07777 (SRC:DEST[:MODE]; "
                                          "a destination cannot contain ':')",
                                          spec, mode_s);
                        free(dest);
                        return r;
                }
        }
        r = cvm_initrd_fileset_add_file(fs, src, dest, (mode_t) mode, err);
        free(dest);
        return r;
}

int cvm_initrd_fileset_add_tree_spec(cvm_initrd_fileset *fs, const char *spec, const char *base, cvm_error *err) {
        char dir[PATH_MAX], *dest;
        int r;

        if ((r = split_spec(spec, base, dir, sizeof(dir), &dest, err)) < 0)
                return r;
        if (strchr(dest, ':'))
                r = cvm_error_set(err, EINVAL, "'%s': expected DIR:DEST (a tree takes no mode; a destination cannot "
                                  "contain ':')", spec);
        else
                r = cvm_initrd_fileset_add_tree(fs, dir, dest, err);
        free(dest);
        return r;
}

int cvm_initrd_fileset_add_entry(cvm_initrd_fileset *fs, const struct cvm_initrd_entry *in, cvm_error *err) {
        struct fs_entry *e = fileset_push(fs, in->path, err);

        if (!e)
                return -err->code;
        e->mode = in->mode;
        e->mtime = in->mtime;
        e->rdev_major = in->rdev_major;
        e->rdev_minor = in->rdev_minor;
        if (in->link && !(e->link = strdup(in->link)))
                return oom(err);
        if (in->hardlink && !(e->hardlink = strdup(in->hardlink)))
                return oom(err);
        /* A hard link may carry its group's content (newc puts it on the last link). */
        if (S_ISREG(in->mode)) {
                e->size = in->size;
                if (in->size > 0) {
                        if (!in->data)
                                return cvm_error_set(err, EINVAL, "'%s': entry added without its content", in->path);
                        if (!(e->data = malloc(in->size)))
                                return oom(err);
                        memcpy(e->data, in->data, in->size);
                }
        }
        return 0;
}

static int cmp_entry(const void *a, const void *b) {
        const struct fs_entry *x = a, *y = b;
        int c = strcmp(x->path, y->path);
        return c ? c : (x->seq < y->seq ? -1 : x->seq > y->seq);
}

/* Sort byte-wise by path; of two entries with one path the one added last stays. */
void fileset_sort(cvm_initrd_fileset *fs) {
        size_t o = 0;

        if (fs->sorted)
                return;
        qsort(fs->e, fs->n, sizeof(fs->e[0]), cmp_entry);
        for (size_t i = 0; i < fs->n; i++) {
                if (i + 1 < fs->n && strcmp(fs->e[i].path, fs->e[i + 1].path) == 0) {
                        entry_clear(&fs->e[i]);
                        continue;
                }
                fs->e[o++] = fs->e[i];
        }
        fs->n = o;
        fs->sorted = true;
}

static char *dup_or_null(const char *s, bool *failed) {
        char *d = s ? strdup(s) : NULL;
        if (s && !d)
                *failed = true;
        return d;
}

int fileset_clone(const cvm_initrd_fileset *fs, cvm_initrd_fileset **ret) {
        _cleanup_(cvm_initrd_fileset_freep) cvm_initrd_fileset *c = calloc(1, sizeof(*c));
        bool failed = false;

        if (!c || !(c->e = calloc(fs->n ? fs->n : 1, sizeof(*c->e))))
                return -ENOMEM;
        c->cap = fs->n ? fs->n : 1;
        c->next_seq = fs->next_seq;
        c->sorted = fs->sorted;
        for (size_t i = 0; i < fs->n; i++) {
                const struct fs_entry *e = &fs->e[i];
                struct fs_entry *d = &c->e[c->n++];

                *d = *e;
                d->path = dup_or_null(e->path, &failed);
                d->link = dup_or_null(e->link, &failed);
                d->hardlink = dup_or_null(e->hardlink, &failed);
                d->src = dup_or_null(e->src, &failed);
                d->data = NULL;
                if (e->data && !(d->data = malloc(e->size ? e->size : 1)))
                        failed = true;
                else if (e->data)
                        memcpy(d->data, e->data, e->size);
                if (failed)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(c);
        return 0;
}

static bool same_string(const char *a, const char *b) {
        return a == b || (a && b && strcmp(a, b) == 0);
}

static bool same_entry(const struct fs_entry *a, const struct fs_entry *b) {
        return same_string(a->path, b->path) && a->mode == b->mode && a->mtime == b->mtime && a->size == b->size &&
               same_string(a->link, b->link) && same_string(a->hardlink, b->hardlink) &&
               same_string(a->src, b->src) && a->src_nofollow == b->src_nofollow &&
               a->rdev_major == b->rdev_major && a->rdev_minor == b->rdev_minor && !a->data == !b->data &&
               (!a->data || memcmp(a->data, b->data, a->size) == 0);
}

bool fileset_same(cvm_initrd_fileset *a, cvm_initrd_fileset *b) {
        fileset_sort(a);
        fileset_sort(b);
        if (a->n != b->n)
                return false;
        for (size_t i = 0; i < a->n; i++)
                if (!same_entry(&a->e[i], &b->e[i]))
                        return false;
        return true;
}

static bool under(const char *path, const char *top) {
        size_t n = strlen(top);
        if (strcmp(top, ".") == 0)
                return true;
        return strncmp(path, top, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

size_t cvm_initrd_fileset_remove(cvm_initrd_fileset *fs, const char *path) {
        char norm[PATH_MAX];
        size_t o = 0, removed;

        if (cvm_initrd_path_normalise(path, norm, sizeof(norm)) < 0)
                return 0;
        fileset_sort(fs);
        for (size_t i = 0; i < fs->n; i++) {
                if (under(fs->e[i].path, norm)) {
                        entry_clear(&fs->e[i]);
                        continue;
                }
                fs->e[o++] = fs->e[i];
        }
        removed = fs->n - o;
        fs->n = o;
        return removed;
}

struct fs_entry *fileset_find(const cvm_initrd_fileset *fs, size_t n, const char *path) {
        size_t lo = 0, hi = n;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                int c = strcmp(fs->e[mid].path, path);
                if (c == 0)
                        return &fs->e[mid];
                if (c < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return NULL;
}

/* Whether parent is already there: in the set's first n (sorted) entries, among those pushed after them, or in view. */
static bool parent_present(const cvm_initrd_fileset *fs, size_t n, const cvm_initrd_fileset *view, const char *parent) {
        if (fileset_find(fs, n, parent))
                return true;
        for (size_t j = n; j < fs->n; j++)
                if (strcmp(fs->e[j].path, parent) == 0)
                        return true;
        /* Resolved paths meet only directories in view: a link was followed, anything else refused. */
        return view && fileset_find(view, view->n, parent);
}

int fileset_add_parents_over(cvm_initrd_fileset *fs, const cvm_initrd_fileset *view, cvm_error *err) {
        size_t n;

        fileset_sort(fs);
        n = fs->n;
        for (size_t i = 0; i < n; i++) {
                char parent[PATH_MAX];
                char *slash;

                snprintf(parent, sizeof(parent), "%s", fs->e[i].path);
                while ((slash = strrchr(parent, '/'))) {
                        struct fs_entry *e;
                        *slash = '\0';
                        if (parent_present(fs, n, view, parent))
                                break;
                        e = fileset_push(fs, parent, err);
                        if (!e)
                                return -err->code;
                        e->mode = S_IFDIR | 0755;
                }
        }
        fs->sorted = false;
        fileset_sort(fs);
        return 0;
}

int cvm_initrd_fileset_add_parents(cvm_initrd_fileset *fs, cvm_error *err) {
        return fileset_add_parents_over(fs, NULL, err);
}

size_t cvm_initrd_fileset_count(const cvm_initrd_fileset *fs) {
        return fs->n;
}

bool cvm_initrd_fileset_contains(cvm_initrd_fileset *fs, const char *path) {
        char norm[PATH_MAX];

        if (cvm_initrd_path_normalise(path, norm, sizeof(norm)) < 0)
                return false;
        fileset_sort(fs);
        return fileset_find(fs, fs->n, norm) != NULL;
}
