/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The representation of cvm_initrd_fileset, shared by fileset.c and write.c. */

#include "initrd_internal.h"

struct fs_entry {
        char *path;             /* normalised */
        mode_t mode;            /* type and permission bits */
        int64_t mtime;
        uint64_t size;
        char *link;             /* symlink target */
        char *hardlink;         /* regular file: write the content of this other entry */
        char *src;              /* regular file: host file read when written */
        bool src_nofollow;      /* the host file came from a tree walk: it must still not be a link */
        uint8_t *data;          /* regular file: content held in memory */
        uint32_t rdev_major, rdev_minor;
        uint64_t seq;           /* order added: the last of one path wins */
};

struct cvm_initrd_fileset {
        struct fs_entry *e;
        size_t n, cap;
        uint64_t next_seq;
        bool sorted;
};

/* A new entry for dest (normalised) at the end; the set is sorted again before it is used. */
struct fs_entry *fileset_push(cvm_initrd_fileset *fs, const char *dest, cvm_error *err);

/* The entry with this path among the first n (sorted) entries, or NULL. */
struct fs_entry *fileset_find(const cvm_initrd_fileset *fs, size_t n, const char *path);

/* Sort by path and drop all but the last entry added for each path. */
void fileset_sort(cvm_initrd_fileset *fs);

/* A deep copy of fs, its order and sequence numbers kept: 0 or -ENOMEM. */
int fileset_clone(const cvm_initrd_fileset *fs, cvm_initrd_fileset **ret);

/* Whether a and b (each sorted here) would be written as the same segment: every field but the order added. */
bool fileset_same(cvm_initrd_fileset *a, cvm_initrd_fileset *b);

/* Add 0755 directories for the missing parents of every entry; view (or NULL) holds what is there already. */
int fileset_add_parents_over(cvm_initrd_fileset *fs, const cvm_initrd_fileset *view, cvm_error *err);

/*
 * Resolve path's parent components through view's symlinks as the kernel's
 * unpacker would (its last component is not followed), inside the root.
 */
int initrd_place_resolve(const cvm_initrd_fileset *view, const char *path, char *out, size_t size, cvm_error *err);

/* The last entry of each path over all of rd's segments, as the kernel leaves them (sorted). */
int initrd_view_build(const cvm_initrd *rd, cvm_initrd_fileset **ret, cvm_error *err);

/* cvm_initrd_fileset_place over a view made by initrd_view_build (or a guess at one: append.c). */
int initrd_place_over(cvm_initrd_fileset *fs, cvm_initrd_fileset *view, unsigned flags, cvm_error *err);

/*
 * cvm_initrd_write_image in steps, so the kept bytes are copied while the
 * image is decoded and a segment can be dropped for another (append.c).
 * Begin: out's temporary with the first keep bytes of in (named in_name)
 * copied into it (of data, in's mapping, where copy_file_range cannot;
 * NULL: read from in).
 * Segment: the set after them (padded first where c is none).  Rewind: the
 * kept bytes alone again.  Commit: in place, the temporary removed on error.
 * Abort: the temporary removed (also after a commit).
 */
int initrd_image_begin(struct atomic_file *f, const char *out, int in, const char *in_name, const uint8_t *data,
                       uint64_t keep, cvm_error *err);
int initrd_image_segment(struct atomic_file *f, uint64_t keep, cvm_initrd_fileset *fs, enum cvm_initrd_compression c,
                         int64_t mtime, cvm_error *err);
int initrd_image_rewind(struct atomic_file *f, uint64_t keep, cvm_error *err);
int initrd_image_commit(struct atomic_file *f, cvm_error *err);
void initrd_image_abort(struct atomic_file *f);
