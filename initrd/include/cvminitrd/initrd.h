/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * Reading, extending and rebuilding initramfs images on the host.
 *
 * An initramfs is what the kernel's unpack_to_rootfs() reads: a sequence of
 * cpio "newc" archives (magic 070701 or 070702), each optionally compressed,
 * NUL bytes allowed between them, an uncompressed archive starting on a
 * 4-byte boundary.  TRAILER!!! ends one archive, not the image; a later
 * entry overrides an earlier one.  This library finds every segment (where
 * a compressed stream ends is found by decoding it with its codec), reads
 * the entries of each through libarchive, and writes new segments that are
 * deterministic: sorted, uid/gid 0, mtimes clamped, fixed inode numbers.
 *
 * Paths are normalised: no leading "/" or "./"; the root is ".".  An entry
 * whose name has a ".." component, or is empty, is an error.
 *
 * Errors follow libcvm (cvm/error.h): 0 or a count on success, a negative
 * errno on failure with a message naming the segment and offset.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cvm/error.h"

enum cvm_initrd_compression {
        CVM_INITRD_NONE,
        CVM_INITRD_GZIP,
        CVM_INITRD_ZSTD,
        CVM_INITRD_XZ,
        CVM_INITRD_LZMA,
        CVM_INITRD_BZIP2,
        CVM_INITRD_LZ4,
        _CVM_INITRD_COMPRESSION_MAX,
};

/* "none", "gzip", "zstd", "xz", "lzma", "bzip2", "lz4". */
const char *cvm_initrd_compression_name(enum cvm_initrd_compression c);

/* Parse one of the names above; -EINVAL otherwise. */
int cvm_initrd_compression_from_name(const char *name, enum cvm_initrd_compression *ret);

/* Whether this build can write segments in c (lz4's legacy frame is read-only). */
bool cvm_initrd_can_compress(enum cvm_initrd_compression c);

/* One cpio archive of the image: bytes [offset, offset + length) of the file. */
struct cvm_initrd_segment {
        uint64_t offset;
        uint64_t length;
        enum cvm_initrd_compression compression;
        bool to_end;    /* opened with cvm_initrd_open_prefix: the rest of the file, its end not searched */
};

/*
 * Find every segment of buf as the kernel would, without extracting: walk
 * uncompressed archives header by header, decode compressed ones to their
 * exact end.  *ret (free()) holds *n_ret segments.  Trailing NUL bytes are
 * padding; anything else that is neither cpio nor a known compression is an
 * error with its offset.
 */
int cvm_initrd_walk(const uint8_t *buf, size_t len, struct cvm_initrd_segment **ret, size_t *n_ret,
                    cvm_error *err);

/* Length of the uncompressed newc archive at buf (through TRAILER!!! and its padding). */
int cvm_initrd_cpio_length(const uint8_t *buf, size_t len, uint64_t *ret, cvm_error *err);

typedef struct cvm_initrd cvm_initrd;

/*
 * Map the image at path read-only and walk its segments.  A gzip, xz, lzma
 * or bzip2 segment's end is found by the decode that reads its entries, which
 * are kept for cvm_initrd_foreach without data: a bad entry in one fails here.
 */
int cvm_initrd_open(const char *path, cvm_initrd **ret, cvm_error *err);

/*
 * Map the image but decode nothing: walk the uncompressed segments at its
 * start (early microcode) and stop at the first compressed one, which is
 * recorded with to_end set.  What appending needs, in constant time.
 */
int cvm_initrd_open_prefix(const char *path, cvm_initrd **ret, cvm_error *err);

/* The same over a caller's buffer, which must outlive the handle (fuzzing, tests). */
int cvm_initrd_open_buffer(const uint8_t *buf, size_t len, const char *name, cvm_initrd **ret, cvm_error *err);

/* Unmap and free; NULL is fine. */
void cvm_initrd_close(cvm_initrd *rd);

/* cvm_initrd_close(*p), for __attribute__((cleanup)). */
static inline void cvm_initrd_closep(cvm_initrd **p) {
        cvm_initrd_close(*p);
}

/* Number of segments, and segment i (NULL when out of range). */
size_t cvm_initrd_segment_count(const cvm_initrd *rd);
const struct cvm_initrd_segment *cvm_initrd_segment(const cvm_initrd *rd, size_t i);

/* The image's bytes and size (valid while the handle is open). */
const uint8_t *cvm_initrd_data(const cvm_initrd *rd, size_t *size);

/* One entry as read from a segment. */
struct cvm_initrd_entry {
        size_t segment;
        const char *path;       /* normalised */
        mode_t mode;            /* type and permission bits */
        uint64_t size;          /* bytes of content (regular files) */
        const char *link;       /* symlink target, or NULL */
        const char *hardlink;   /* normalised path this entry is a hard link to, or NULL */
        uint32_t uid, gid;
        int64_t mtime;
        uint32_t rdev_major, rdev_minor;
        const uint8_t *data;    /* content when asked for, else NULL */
};

/* Called for each entry in archive order; a negative return stops the walk and is returned. */
typedef int (*cvm_initrd_entry_fn)(const struct cvm_initrd_entry *e, void *userdata);

/* Largest image read (4 GiB - 1, as for the decoded bytes of one segment); larger is refused. */
#define CVM_INITRD_MAX_IMAGE 0xffffffffULL

/* Largest file a cpio newc entry can hold (its size field is 32 bits). */
#define CVM_INITRD_MAX_ENTRY 0xffffffffULL

/* Largest file content read into memory by cvm_initrd_foreach (want_data). */
#define CVM_INITRD_MAX_FILE (1ULL << 30)

/*
 * Call fn for every entry of segment seg (or of all segments, in order, when
 * seg is SIZE_MAX).  With want_data, e->data holds the content.
 */
int cvm_initrd_foreach(const cvm_initrd *rd, size_t seg, bool want_data, cvm_initrd_entry_fn fn, void *userdata,
                       cvm_error *err);

/* A set of entries to write as one segment; built from files, trees and kept entries. */
typedef struct cvm_initrd_fileset cvm_initrd_fileset;

/* A new empty set. */
int cvm_initrd_fileset_new(cvm_initrd_fileset **ret);

/* Free the set; NULL is fine. */
void cvm_initrd_fileset_free(cvm_initrd_fileset *fs);

/* cvm_initrd_fileset_free(*p), for __attribute__((cleanup)). */
static inline void cvm_initrd_fileset_freep(cvm_initrd_fileset **p) {
        cvm_initrd_fileset_free(*p);
}

/*
 * Add host file src as dest.  mode (permission bits) of 0 keeps the source's.
 * Symlinks in src are followed: an explicit --add means "this content".  Any
 * other type than a regular file (a FIFO, a device) is refused, as is a size
 * above CVM_INITRD_MAX_ENTRY.
 * A dest already in the set is replaced.
 */
int cvm_initrd_fileset_add_file(cvm_initrd_fileset *fs, const char *src, const char *dest, mode_t mode,
                                cvm_error *err);

/* Add directory dir and everything below it under dest; symlinks are kept as links. */
int cvm_initrd_fileset_add_tree(cvm_initrd_fileset *fs, const char *dir, const char *dest, cvm_error *err);

/*
 * The command-line forms: "SRC:DEST[:MODE]" (a file; a third field is always
 * MODE, octal and at most 07777) and "DIR:DEST" (a tree).  SRC, DIR and DEST
 * cannot contain ':'.  A relative SRC or DIR is taken under base when base is
 * not NULL.
 */
int cvm_initrd_fileset_add_spec(cvm_initrd_fileset *fs, const char *spec, const char *base, cvm_error *err);
int cvm_initrd_fileset_add_tree_spec(cvm_initrd_fileset *fs, const char *spec, const char *base, cvm_error *err);

/* Add an entry read from an image (its content in e->data when it is a regular file). */
int cvm_initrd_fileset_add_entry(cvm_initrd_fileset *fs, const struct cvm_initrd_entry *e, cvm_error *err);

/* Remove path and everything below it; returns the number of entries removed. */
size_t cvm_initrd_fileset_remove(cvm_initrd_fileset *fs, const char *path);

/* Add 0755 directories for every missing parent, so the kernel can create each entry. */
int cvm_initrd_fileset_add_parents(cvm_initrd_fileset *fs, cvm_error *err);

/* cvm_initrd_fileset_place: a file, link or device may replace an earlier entry of another such type. */
#define CVM_INITRD_PLACE_REPLACE 1u

/*
 * Make the set ready to be appended after rd's segments, instead of
 * cvm_initrd_fileset_add_parents: each path is resolved through the symlinks
 * those segments make, as the kernel resolves it (lib/modules/X is written as
 * usr/lib/modules/X when lib -> usr/lib; inside the root, at most 40 links);
 * an entry that would replace an earlier one of another type is refused
 * (-EEXIST; files over files of another type allowed with
 * CVM_INITRD_PLACE_REPLACE, never anything over or by a directory); parent
 * directories are added only where the segments have none.  rd must be
 * opened with cvm_initrd_open (its segments are read).
 */
int cvm_initrd_fileset_place(cvm_initrd_fileset *fs, const cvm_initrd *rd, unsigned flags, cvm_error *err);

/* Whether the set holds path (any spelling that normalises to it). */
bool cvm_initrd_fileset_contains(cvm_initrd_fileset *fs, const char *path);

/* Number of entries in the set. */
size_t cvm_initrd_fileset_count(const cvm_initrd_fileset *fs);

/*
 * Write the set as one newc archive to fd, compressed with c: entries sorted
 * byte-wise by path, uid/gid 0, mtimes clamped to mtime, inode numbers
 * counted from 1.  Same set and mtime, same bytes.
 */
int cvm_initrd_write_segment(cvm_initrd_fileset *fs, int fd, enum cvm_initrd_compression c, int64_t mtime,
                             cvm_error *err);

/* SOURCE_DATE_EPOCH when set and valid, else 0: the clamp for written mtimes. */
int cvm_initrd_source_date_epoch(int64_t *ret, cvm_error *err);

/*
 * Write rd's bytes [0, keep) then the set as a new segment (4-byte aligned)
 * to out, through a temporary file in out's directory renamed at the end.
 * rd may be NULL with keep 0: a new image of one segment.
 */
int cvm_initrd_write_image(const cvm_initrd *rd, uint64_t keep, cvm_initrd_fileset *fs,
                           enum cvm_initrd_compression c, int64_t mtime, const char *out, cvm_error *err);

/* How cvm_initrd_append writes. */
struct cvm_initrd_append_opts {
        unsigned place_flags;                   /* CVM_INITRD_PLACE_* */
        enum cvm_initrd_compression compression;
        bool compression_set;                   /* false: the last segment's, none when that cannot be written */
        int64_t mtime;                          /* the clamp for written mtimes */
        bool sequential;                        /* no speculation: decode, then write (the same bytes) */
};

/* What cvm_initrd_append did. */
struct cvm_initrd_append_result {
        bool bad_input;         /* on failure: the image or the set's placement over it, not the output */
        bool speculated;        /* a segment was written before the image was read to its end */
        bool kept;              /* ... and it was the one committed (the placement matched) */
};

/*
 * Append fs after every byte of the image at path, placed (fs is changed) as
 * cvm_initrd_fileset_place places it, to out (atomically, as
 * cvm_initrd_write_image).  The image is decoded on a second thread while
 * its bytes are copied and the segment is placed over the entries read so
 * far and compressed; that segment is kept only when the placement over the
 * whole image is the same set, else written again, so the bytes never
 * depend on the speculation.
 */
int cvm_initrd_append(const char *path, cvm_initrd_fileset *fs, const struct cvm_initrd_append_opts *opts,
                      const char *out, struct cvm_initrd_append_result *res, cvm_error *err);

/*
 * Extract the entries of every segment into dir (later entries override
 * earlier ones); only paths in `only` (NULL: all) and what is below them.
 * Never writes outside dir: entries are created with openat2(RESOLVE_IN_ROOT)
 * relative to dir, so an entry's symlink cannot redirect a later one.  dir
 * must be absent or empty: every header is checked first, then the entries
 * go to a temporary directory beside dir, renamed onto it only when all were
 * good.  Device nodes are not made; set-user/group-ID bits are dropped.
 */
int cvm_initrd_extract(const cvm_initrd *rd, const char *dir, char *const *only, size_t n_only, cvm_error *err);

/*
 * Remove the running write's temporary output on SIGINT, SIGTERM and SIGHUP,
 * then exit 128+N (a temporary directory: after the writer stops at its next
 * entry and cvm_initrd_interrupted() says so).  For programs that call only
 * this library's writers; 0 or a negative errno.
 */
int cvm_initrd_catch_signals(void);

/* The signal that stopped a write of a temporary directory, or 0. */
int cvm_initrd_interrupted(void);

/* Normalise an archive or destination path into out; -EINVAL for "..", empty or too long. */
int cvm_initrd_path_normalise(const char *in, char *out, size_t size);
