/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reading the entries of a segment through libarchive (every filter it has,
 * cpio newc only).  A compressed segment is decoded once (gzip, xz, lzma and
 * bzip2 by decode.c, to their exact end; zstd and lz4 by a libarchive reader
 * of format raw), each decoded block goes through the bounds check
 * (prescan.c) and then to a second reader that parses the cpio.  The pass
 * that opens an image also finds where a gzip, xz, lzma or bzip2 segment
 * ends this way, and keeps its entries (entry_cache.c).
 */

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "initrd_internal.h"

static void archive_freep(struct archive **a) {
        if (*a)
                archive_read_free(*a);
}

/* A message prefixed with where in the image it happened. */
static int entry_error(const cvm_initrd *rd, size_t seg, int64_t pos, cvm_error *err, int code, const char *fmt, ...)
        __attribute__((format(printf, 6, 7)));

static int entry_error(const cvm_initrd *rd, size_t seg, int64_t pos, cvm_error *err, int code, const char *fmt, ...) {
        const struct cvm_initrd_segment *s = cvm_initrd_segment(rd, seg);
        char msg[CVM_ERROR_MSG_MAX];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        cvm_error_set(err, code, "%s", msg);
        return cvm_error_prefix(err, "%s: segment %zu (%s at offset %llu), archive byte %lld: ", initrd_name(rd), seg,
                                cvm_initrd_compression_name(s->compression), (unsigned long long) s->offset,
                                (long long) pos);
}

static int read_data(struct archive *a, uint64_t size, uint8_t **ret) {
        uint8_t *buf = malloc(size ? size : 1);
        uint64_t got = 0;

        if (!buf)
                return -ENOMEM;
        while (got < size) {
                la_ssize_t n = archive_read_data(a, buf + got, size - got > (1u << 30) ? (1u << 30) : size - got);
                if (n <= 0) {
                        free(buf);
                        return -EBADMSG;
                }
                got += (uint64_t) n;
        }
        *ret = buf;
        return 0;
}

/* The decoded stream of a compressed segment, each block checked before the cpio reader gets it. */
struct decoded {
        initrd_decoder *dec;    /* gzip, xz, lzma, bzip2: to the exact end */
        struct archive *raw;    /* the other formats, by libarchive's filters */
        initrd_scan *scan;
        cvm_error *err;
        int status;             /* the check's or the decoder's error: it explains the cpio reader's */
        bool eof;
};

/* The next decoded block: 1, 0 at the end, -errno with err set. */
static int decoded_next(struct decoded *d, const void **buf, size_t *size) {
        la_int64_t off;
        int ar;

        if (d->dec)
                return initrd_decoder_read(d->dec, buf, size, d->err);
        ar = archive_read_data_block(d->raw, buf, size, &off);
        if (ar == ARCHIVE_EOF)
                return 0;
        if (ar != ARCHIVE_OK)
                return cvm_error_set(d->err, EBADMSG, "%s",
                                     archive_error_string(d->raw) ? archive_error_string(d->raw) : "undecodable");
        return 1;
}

static la_ssize_t decoded_read(struct archive *cpio, void *userdata, const void **buf) {
        struct decoded *d = userdata;
        size_t size = 0;
        int r;

        (void) cpio;
        if (d->status < 0 || d->eof)
                return d->status < 0 ? ARCHIVE_FATAL : 0;
        r = decoded_next(d, buf, &size);
        if (r == 0) {
                d->eof = true;
                r = initrd_scan_end(d->scan, d->err);
        } else if (r > 0) {
                r = initrd_scan_feed(d->scan, *buf, size, d->err);
        }
        d->status = r < 0 ? r : 0;
        /* The cpio reader's own error is not reported: d->status is, by every caller. */
        return r < 0 ? ARCHIVE_FATAL : d->eof ? 0 : (la_ssize_t) size;
}

/* libarchive's filters decoding the segment, read as one raw entry. */
static int open_raw(struct decoded *d, const uint8_t *buf, size_t len, cvm_error *err) {
        struct archive_entry *ae;

        if (!(d->raw = archive_read_new()))
                return cvm_error_set(err, ENOMEM, "out of memory");
        archive_read_support_filter_all(d->raw);
        archive_read_support_format_raw(d->raw);
        if (archive_read_open_memory(d->raw, buf, len) != ARCHIVE_OK || archive_read_next_header(d->raw, &ae) != ARCHIVE_OK)
                return d->status = cvm_error_set(err, EBADMSG, "%s",
                                                 archive_error_string(d->raw) ? archive_error_string(d->raw) : "unreadable");
        return 0;
}

/* Open cpio over the segment: straight over an uncompressed one (walked header by header already), else through d. */
static int open_segment(const cvm_initrd *rd, const struct cvm_initrd_segment *s, struct archive *cpio, struct decoded *d,
                        cvm_error *err) {
        const uint8_t *data = cvm_initrd_data(rd, NULL) + s->offset;
        int r;

        archive_read_support_format_cpio(cpio);
        if (s->compression == CVM_INITRD_NONE)
                return archive_read_open_memory(cpio, data, s->length) == ARCHIVE_OK ? 0 : -EBADMSG;
        if (!(d->scan = initrd_scan_new()))
                return cvm_error_set(err, ENOMEM, "out of memory");
        if (initrd_decoder_handles(s->compression))
                r = initrd_decoder_new(s->compression, data, s->length, &d->dec, err);
        else
                r = open_raw(d, data, s->length, err);
        if (r < 0)
                return r;
        return archive_read_open(cpio, d, NULL, decoded_read, NULL) == ARCHIVE_OK ? 0 : -EBADMSG;
}

/* The check's error for the segment, where it explains the cpio reader's failure (d->status < 0). */
static int decoded_error(const cvm_initrd *rd, size_t seg, const struct decoded *d, cvm_error *err) {
        const struct cvm_initrd_segment *s = cvm_initrd_segment(rd, seg);

        if (d->status == -ENOMEM)
                return cvm_error_set(err, ENOMEM, "out of memory");
        return cvm_error_prefix(err, "%s: segment %zu (%s at offset %llu): ", initrd_name(rd), seg,
                                cvm_initrd_compression_name(s->compression), (unsigned long long) s->offset);
}

/* After the cpio reader's end: the rest of the decoded stream (padding, or what follows the trailer) checked too. */
static int decoded_drain(struct decoded *d) {
        const void *buf;

        if (!d->raw && !d->dec)
                return 0;
        while (!d->eof && d->status == 0 && decoded_read(NULL, d, &buf) > 0)
                ;
        return d->status;
}

static void decoded_clear(struct decoded *d) {
        initrd_decoder_free(d->dec);
        if (d->raw)
                archive_read_free(d->raw);
        initrd_scan_free(d->scan);
}

/* fn for each entry of segment seg; *end (when not NULL): where a decode.c codec's stream ended. */
static int read_segment(const cvm_initrd *rd, size_t seg, bool want_data, cvm_initrd_entry_fn fn, void *userdata,
                        uint64_t *end, cvm_error *err) {
        const struct cvm_initrd_segment *s = cvm_initrd_segment(rd, seg);
        _cleanup_(archive_freep) struct archive *a = archive_read_new();
        _cleanup_(decoded_clear) struct decoded d = { .err = err };
        struct archive_entry *ae;
        int ar, r;

        if (!a)
                return cvm_error_set(err, ENOMEM, "out of memory");
        if (s->to_end)
                return cvm_error_set(err, EINVAL, "%s: opened for appending only; its segments were not read",
                                     initrd_name(rd));
        if ((r = open_segment(rd, s, a, &d, err)) < 0)
                return d.status < 0 ? decoded_error(rd, seg, &d, err)
                                    : r == -ENOMEM ? r : entry_error(rd, seg, 0, err, EBADMSG, "%s", archive_error_string(a));
        while ((ar = archive_read_next_header(a, &ae)) == ARCHIVE_OK) {
                char path[PATH_MAX], hard[PATH_MAX];
                const char *name = archive_entry_pathname(ae), *hl = archive_entry_hardlink(ae);
                int64_t pos = archive_read_header_position(a);
                _cleanup_free_ uint8_t *content = NULL;
                struct cvm_initrd_entry e;

                if (archive_format(a) != ARCHIVE_FORMAT_CPIO_SVR4_NOCRC && archive_format(a) != ARCHIVE_FORMAT_CPIO_SVR4_CRC)
                        return entry_error(rd, seg, pos, err, EBADMSG, "%s, not cpio newc (the kernel reads only newc)",
                                           archive_format_name(a));
                if (!name || cvm_initrd_path_normalise(name, path, sizeof(path)) < 0)
                        return entry_error(rd, seg, pos, err, EBADMSG,
                                           "entry name '%.200s' is empty, too long or has a '..' component",
                                           name ? name : "");
                if (hl && cvm_initrd_path_normalise(hl, hard, sizeof(hard)) < 0)
                        return entry_error(rd, seg, pos, err, EBADMSG, "hard link target '%.200s' has a '..' component",
                                           hl);
                e = (struct cvm_initrd_entry) {
                        .segment = seg,
                        .path = path,
                        .mode = archive_entry_mode(ae),
                        .size = archive_entry_size_is_set(ae) ? (uint64_t) archive_entry_size(ae) : 0,
                        .link = archive_entry_symlink(ae),
                        .hardlink = hl ? hard : NULL,
                        .uid = (uint32_t) archive_entry_uid(ae),
                        .gid = (uint32_t) archive_entry_gid(ae),
                        .mtime = archive_entry_mtime(ae),
                        .rdev_major = archive_entry_rdevmajor(ae),
                        .rdev_minor = archive_entry_rdevminor(ae),
                };
                if (want_data && S_ISREG(e.mode)) {
                        if (e.size > CVM_INITRD_MAX_FILE)
                                return entry_error(rd, seg, pos, err, EFBIG, "'%.200s' is larger than 1 GiB", path);
                        r = read_data(a, e.size, &content);
                        if (r == -ENOMEM)
                                return cvm_error_set(err, ENOMEM, "out of memory");
                        if (r < 0)
                                return d.status < 0 ? decoded_error(rd, seg, &d, err)
                                                    : entry_error(rd, seg, pos, err, EBADMSG, "content of '%.200s' is truncated", path);
                        e.data = content;
                }
                if ((r = fn(&e, userdata)) < 0 || (r = initrd_tap(rd, &e)) < 0)
                        return r;
        }
        if (ar == ARCHIVE_EOF)
                decoded_drain(&d);
        if (d.status < 0)
                return decoded_error(rd, seg, &d, err);
        if (ar != ARCHIVE_EOF)
                return entry_error(rd, seg, archive_read_header_position(a), err, EBADMSG, "%s",
                                   archive_error_string(a) ? archive_error_string(a) : "unreadable entry");
        if (end && d.dec)
                *end = initrd_decoder_consumed(d.dec);
        return 0;
}

static int foreach_segment(const cvm_initrd *rd, size_t seg, bool want_data, cvm_initrd_entry_fn fn, void *userdata,
                           cvm_error *err) {
        const initrd_cache *c = want_data ? NULL : initrd_cache_of(rd, seg);

        return c ? initrd_cache_replay(c, seg, fn, userdata) : read_segment(rd, seg, want_data, fn, userdata, NULL, err);
}

/* Keep an entry while the cache fits; past INITRD_CACHE_MAX drop it (the pass goes on for the segment's end). */
static int cache_entry(const struct cvm_initrd_entry *e, void *userdata) {
        initrd_cache **c = userdata;
        int r;

        if (!*c)
                return 0;
        r = initrd_cache_add(*c, e);
        if (r == -E2BIG) {
                initrd_cache_free(*c);
                *c = NULL;
                return 0;
        }
        return r;
}

int initrd_read_to_end(const cvm_initrd *rd, size_t i, initrd_cache **cache, uint64_t *end, cvm_error *err) {
        initrd_cache *c = initrd_cache_new();
        uint64_t length = 0;
        int r;

        if (!c)
                return cvm_error_set(err, ENOMEM, "out of memory");
        /* *end may be the segment's length, which the pass reads: set only after it. */
        r = read_segment(rd, i, false, cache_entry, &c, &length, err);
        if (r < 0) {
                initrd_cache_free(c);
                return r == -ENOMEM ? cvm_error_set(err, ENOMEM, "out of memory") : r;
        }
        *end = length;
        *cache = c;
        return 0;
}

int cvm_initrd_foreach(const cvm_initrd *rd, size_t seg, bool want_data, cvm_initrd_entry_fn fn, void *userdata,
                       cvm_error *err) {
        size_t n = cvm_initrd_segment_count(rd);

        if (seg != SIZE_MAX) {
                if (seg >= n)
                        return cvm_error_set(err, EINVAL, "%s: no segment %zu (it has %zu)", initrd_name(rd), seg, n);
                return foreach_segment(rd, seg, want_data, fn, userdata, err);
        }
        for (size_t i = 0; i < n; i++) {
                int r = foreach_segment(rd, i, want_data, fn, userdata, err);
                if (r < 0)
                        return r;
        }
        return 0;
}
