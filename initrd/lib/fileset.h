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

/* Add 0755 directories for the missing parents of every entry; view (or NULL) holds what is there already. */
int fileset_add_parents_over(cvm_initrd_fileset *fs, const cvm_initrd_fileset *view, cvm_error *err);

/*
 * Resolve path's parent components through view's symlinks as the kernel's
 * unpacker would (its last component is not followed), inside the root.
 */
int initrd_place_resolve(const cvm_initrd_fileset *view, const char *path, char *out, size_t size, cvm_error *err);
