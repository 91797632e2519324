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

/* The entry with this path among the first n (sorted) entries, or NULL. */
struct fs_entry *fileset_find(const cvm_initrd_fileset *fs, size_t n, const char *path);

/* Sort by path and drop all but the last entry added for each path. */
void fileset_sort(cvm_initrd_fileset *fs);
