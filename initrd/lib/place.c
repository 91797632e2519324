/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Where an appended segment's entries land once the kernel has unpacked the
 * segments before it.  The kernel's unpacker (init/initramfs.c) creates each
 * entry by its name with the ordinary path walk, so a symlink an earlier
 * segment made is followed in every parent component (lib/modules/X lands in
 * usr/lib/modules/X when lib -> usr/lib); and do_name() first calls
 * clean_path(), which lstat()s the name and, when the existing entry has
 * another type, unlinks it (rmdir when it is a directory, which fails unless
 * it is empty).  So a directory entry "lib" silently replaces a merged-usr
 * image's lib -> usr/lib with an empty directory and /init no longer starts,
 * and a file over a full directory is silently lost.  Here each path is
 * resolved as the kernel will resolve it, written in that spelling, and an
 * entry that would replace one of another type is refused.
 *
 * Hand-written: no library resolves paths inside an archive's entries.  The
 * links are untrusted image data: they are followed inside the image's root
 * only (".." stops at the root, an absolute target starts from it, as
 * RESOLVE_IN_ROOT does), at most PLACE_MAX_LINKS of them (the kernel's 40).
 */

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "fileset.h"

#define PLACE_MAX_LINKS 40

/* An earlier segment's entry: its type, and its target when it is a link. */
static int view_add(const struct cvm_initrd_entry *in, void *userdata) {
        cvm_initrd_fileset *view = userdata;
        struct fs_entry *e = fileset_push(view, in->path, NULL);

        if (!e)
                return -ENOMEM;
        e->mode = in->mode;
        if (in->link && !(e->link = strdup(in->link)))
                return -ENOMEM;
        return 0;
}

int initrd_view_build(const cvm_initrd *rd, cvm_initrd_fileset **ret, cvm_error *err) {
        size_t n_segs = cvm_initrd_segment_count(rd);
        _cleanup_(cvm_initrd_fileset_freep) cvm_initrd_fileset *view = NULL;
        int r;

        if (cvm_initrd_fileset_new(&view) < 0)
                return cvm_error_set(err, ENOMEM, "out of memory");
        for (size_t i = 0; i < n_segs; i++) {
                r = cvm_initrd_foreach(rd, i, false, view_add, view, err);
                if (r == -ENOMEM)
                        return cvm_error_set(err, ENOMEM, "out of memory");
                if (r < 0)
                        return r;
        }
        fileset_sort(view);
        *ret = TAKE_PTR(view);
        return 0;
}

/* Replace the component just appended to out (at out + at) by target followed by rest. */
static int follow(char *out, size_t at, const char *target, char *todo, const char **rest, size_t size) {
        char next[2 * PATH_MAX];

        if ((size_t) snprintf(next, sizeof(next), "%s/%s", target, *rest) >= sizeof(next) || strlen(next) >= size)
                return -ENAMETOOLONG;
        out[target[0] == '/' ? 0 : at] = '\0';
        memcpy(todo, next, strlen(next) + 1);
        *rest = todo;
        return 0;
}

/* Append component p[0, n) to out, or take one away for "..", never above the root. */
static int step(char *out, size_t size, const char *p, size_t n) {
        size_t o = strlen(out);

        if (n == 1 && p[0] == '.')
                return 0;
        if (n == 2 && p[0] == '.' && p[1] == '.') {
                char *slash = strrchr(out, '/');
                out[slash ? (size_t) (slash - out) : 0] = '\0';
                return 0;
        }
        if (o + 1 + n + 1 > size)
                return -ENAMETOOLONG;
        if (o > 0)
                out[o++] = '/';
        memcpy(out + o, p, n);
        out[o + n] = '\0';
        return 0;
}

int initrd_place_resolve(const cvm_initrd_fileset *view, const char *path, char *out, size_t size, cvm_error *err) {
        char todo[2 * PATH_MAX];
        const char *rest = path;
        unsigned links = 0;

        if (size < 2 || strlen(path) >= size)
                return cvm_error_set(err, ENAMETOOLONG, "%s: path too long", path);
        out[0] = '\0';
        for (;;) {
                size_t n, at;
                const struct fs_entry *e;

                rest += strspn(rest, "/");
                n = strcspn(rest, "/");
                if (n == 0)
                        break;
                at = strlen(out);
                if (step(out, size, rest, n) < 0)
                        return cvm_error_set(err, ENAMETOOLONG, "%s: resolved through the image's symlinks, too long", path);
                rest += n;
                /* The last component is the entry itself: the kernel replaces it, it does not follow it. */
                if (rest[strspn(rest, "/")] == '\0' || !(e = fileset_find(view, view->n, out)))
                        continue;
                if (S_ISDIR(e->mode))
                        continue;
                if (!S_ISLNK(e->mode) || !e->link)
                        return cvm_error_set(err, ENOTDIR, "%s: '%s' is %s in an earlier segment, not a directory",
                                             path, out, file_type_name(e->mode));
                if (++links > PLACE_MAX_LINKS)
                        return cvm_error_set(err, ELOOP, "%s: more than %d symlinks in an earlier segment on the way",
                                             path, PLACE_MAX_LINKS);
                if (follow(out, at, e->link, todo, &rest, sizeof(todo)) < 0)
                        return cvm_error_set(err, ENAMETOOLONG, "%s: resolved through the image's symlinks, too long", path);
        }
        if (out[0] == '\0')
                snprintf(out, size, ".");
        return 0;
}

/* Set *slot to the resolved spelling of itself. */
static int respell(const cvm_initrd_fileset *view, char **slot, cvm_error *err) {
        char buf[PATH_MAX];
        int r = initrd_place_resolve(view, *slot, buf, sizeof(buf), err);

        if (r < 0)
                return r;
        if (strcmp(buf, *slot) == 0)
                return 0;
        free(*slot);
        *slot = strdup(buf);
        return *slot ? 0 : cvm_error_set(err, ENOMEM, "out of memory");
}

/* Whether e may replace what the earlier segments left at its path (old, or NULL when nothing). */
static int check_type(const struct fs_entry *e, const char *asked, const struct fs_entry *old, unsigned flags,
                      cvm_error *err) {
        if (!old || ((old->mode ^ e->mode) & S_IFMT) == 0)
                return 0;
        if ((flags & CVM_INITRD_PLACE_REPLACE) && !S_ISDIR(old->mode) && !S_ISDIR(e->mode))
                return 0;
        return cvm_error_set(err, EEXIST,
                             "%s%s%s%s: would replace %s of an earlier segment with %s (the kernel removes the "
                             "earlier entry)%s",
                             asked, strcmp(asked, e->path) ? " (" : "", strcmp(asked, e->path) ? e->path : "",
                             strcmp(asked, e->path) ? " through the image's symlinks)" : "", file_type_name(old->mode),
                             file_type_name(e->mode),
                             S_ISDIR(old->mode) || S_ISDIR(e->mode) ? "" : "; replacing files must be asked for");
}

int initrd_place_over(cvm_initrd_fileset *fs, cvm_initrd_fileset *view, unsigned flags, cvm_error *err) {
        int r;

        fileset_sort(view);
        fileset_sort(fs);
        for (size_t i = 0; i < fs->n; i++) {
                struct fs_entry *e = &fs->e[i];
                _cleanup_free_ char *asked = strdup(e->path);

                if (!asked)
                        return cvm_error_set(err, ENOMEM, "out of memory");
                if ((r = respell(view, &e->path, err)) < 0 ||
                    (e->hardlink && (r = respell(view, &e->hardlink, err)) < 0) ||
                    (r = check_type(e, asked, fileset_find(view, view->n, e->path), flags, err)) < 0)
                        return r;
        }
        fs->sorted = false;
        return fileset_add_parents_over(fs, view, err);
}

int cvm_initrd_fileset_place(cvm_initrd_fileset *fs, const cvm_initrd *rd, unsigned flags, cvm_error *err) {
        _cleanup_(cvm_initrd_fileset_freep) cvm_initrd_fileset *view = NULL;
        int r;

        if ((r = initrd_view_build(rd, &view, err)) < 0)
                return r;
        return initrd_place_over(fs, view, flags, err);
}
