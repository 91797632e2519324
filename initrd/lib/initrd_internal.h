/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <sys/stat.h>

#include "cvminitrd/initrd.h"
#include "cvmbase/base.h"

/* Decoded bytes a compressed segment may expand to before it is refused. */
#ifndef INITRD_MAX_UNPACKED
#define INITRD_MAX_UNPACKED (4ULL << 30)
#endif

/* The compression whose magic starts buf, or -1 (lzo, recognised but unsupported: -2). */
int initrd_detect_compression(const uint8_t *buf, size_t len);

/*
 * Length of the compressed stream of kind c at the start of buf: its codec
 * decodes it (output discarded) to the stream's end marker, as the kernel's
 * decompressor does.  A stream that reaches the end of buf first is an error.
 */
int initrd_stream_length(enum cvm_initrd_compression c, const uint8_t *buf, size_t len, uint64_t *ret,
                         cvm_error *err);

/* A compressor writing to fd on $CVM_INITRD_THREADS threads or every CPU: open, feed, finish (which flushes and frees). */
typedef struct initrd_compressor initrd_compressor;
int initrd_compressor_new(enum cvm_initrd_compression c, int fd, initrd_compressor **ret, cvm_error *err);
int initrd_compressor_write(initrd_compressor *z, const void *buf, size_t len, cvm_error *err);
/* Flush the stream's end; with ok false only free. Returns bytes written to fd in total via *written. */
int initrd_compressor_finish(initrd_compressor *z, bool ok, uint64_t *written, cvm_error *err);

/* A gzip stream compressed on threads threads (compress_gzip.c), used as initrd_compressor is. */
typedef struct initrd_gzip initrd_gzip;
int initrd_gzip_new(unsigned threads, int fd, initrd_gzip **ret, cvm_error *err);
int initrd_gzip_write(initrd_gzip *g, const void *buf, size_t len, cvm_error *err);
int initrd_gzip_finish(initrd_gzip *g, bool ok, uint64_t *written, cvm_error *err);

/*
 * A gzip, xz, lzma or bzip2 stream decoded to its exact end (decode.c), over
 * buf[0, len) (which must outlive it); where it ends is found by decoding.
 */
typedef struct initrd_decoder initrd_decoder;
/* Whether c is one of those codecs (the others' frames say where they end). */
bool initrd_decoder_handles(enum cvm_initrd_compression c);
int initrd_decoder_new(enum cvm_initrd_compression c, const uint8_t *buf, size_t len, initrd_decoder **ret,
                       cvm_error *err);
/* The next decoded block in *out, *n: 1; 0 after the stream's end; -errno (corrupt, truncated, too big). */
int initrd_decoder_read(initrd_decoder *d, const void **out, size_t *n, cvm_error *err);
/* Compressed bytes used so far: the stream's length once read returned 0. */
uint64_t initrd_decoder_consumed(const initrd_decoder *d);
void initrd_decoder_free(initrd_decoder *d);

/* -EFBIG: a stream decoding past INITRD_MAX_UNPACKED. */
int initrd_too_big(cvm_error *err);
/* -EBADMSG: a stream with no end within the len bytes given. */
int initrd_no_end(cvm_error *err, uint64_t len);

/* The open file behind the image, or -1 when it is a caller's buffer. */
int initrd_fd(const cvm_initrd *rd);

/*
 * cvm_initrd_open (or _prefix) of fd (a regular file open_regular opened,
 * which it takes), named path, with tap (may be NULL) called for every entry
 * as a segment is decoded, on the decoding thread, in the order decoded: at
 * open for gzip, xz, lzma and bzip2 segments, at their first read for the
 * others (replays of kept entries are not tapped).  A negative return stops
 * the decode.
 */
int initrd_open_fd(int fd, const char *path, bool prefix_only, cvm_initrd_entry_fn tap, void *userdata,
                   cvm_initrd **ret, cvm_error *err);
/* Pass e to rd's tap: its return, or 0 when there is none. */
int initrd_tap(const cvm_initrd *rd, const struct cvm_initrd_entry *e);
/* No more tapping. */
void initrd_untap(cvm_initrd *rd);

/* The file name the image was opened from (for messages). */
const char *initrd_name(const cvm_initrd *rd);

/*
 * The entries of one segment without their data, kept by cvm_initrd_open
 * from the pass that found the segment's end (entry_cache.c), so that
 * cvm_initrd_foreach without data does not decode it again.  At most
 * INITRD_CACHE_MAX bytes: a segment of more entries is not kept.
 */
#ifndef INITRD_CACHE_MAX
#define INITRD_CACHE_MAX (64u << 20)
#endif
typedef struct initrd_cache initrd_cache;
initrd_cache *initrd_cache_new(void);
/* Keep a copy of e: 0, -E2BIG past INITRD_CACHE_MAX, -ENOMEM. */
int initrd_cache_add(initrd_cache *c, const struct cvm_initrd_entry *e);
/* fn for each kept entry in order, as entries of segment; its first negative return is returned. */
int initrd_cache_replay(const initrd_cache *c, size_t segment, cvm_initrd_entry_fn fn, void *userdata);
void initrd_cache_free(initrd_cache *c);

/* The entries kept of segment i, or NULL. */
const initrd_cache *initrd_cache_of(const cvm_initrd *rd, size_t i);

/* Segments found so far (the caller frees v). */
struct initrd_segments {
        struct cvm_initrd_segment *v;
        size_t n, cap;
};

enum initrd_walk_mode {
        INITRD_WALK_ALL,        /* every segment's end found here: cvm_initrd_walk */
        INITRD_WALK_PREFIX,     /* stop at the first compressed segment (to_end): cvm_initrd_open_prefix */
        INITRD_WALK_DEFER,      /* the end of a gzip, xz, lzma or bzip2 segment found by the end callback */
};

/* Sets the length of segment i, the last found, whose recorded length runs to the end of the image. */
typedef int (*initrd_end_fn)(void *ctx, size_t i, cvm_error *err);

/* cvm_initrd_walk into segs, in mode; errors prefixed with name (when not NULL) but the callback's. */
int initrd_walk(const uint8_t *buf, size_t len, const char *name, enum initrd_walk_mode mode, initrd_end_fn end,
                void *ctx, struct initrd_segments *segs, cvm_error *err);

/*
 * Read segment i of an image being opened (its length still the rest of
 * the image), its end found by the same decode: entries without data
 * into *cache (NULL: not kept, above INITRD_CACHE_MAX), length into *end.
 */
int initrd_read_to_end(const cvm_initrd *rd, size_t i, initrd_cache **cache, uint64_t *end, cvm_error *err);

/*
 * A compressed segment's decoded cpio stream checked (headers, name sizes,
 * the INITRD_MAX_UNPACKED bound, truncation) as it is decoded, each block
 * before libarchive's cpio reader sees it (prescan.c).
 */
typedef struct initrd_scan initrd_scan;
initrd_scan *initrd_scan_new(void);
/* The next decoded bytes: 0, or -errno with a message naming the archive byte. */
int initrd_scan_feed(initrd_scan *s, const void *p, size_t n, cvm_error *err);
/* At the end of the stream: -EBADMSG if an entry was cut off. */
int initrd_scan_end(const initrd_scan *s, cvm_error *err);
void initrd_scan_free(initrd_scan *s);

/* The tag of cvm-initrd's temporaries (cvmbase/temp.h): ".OUT.cvm-initrd.PID.XXXXXX". */
#define INITRD_TEMP_TAG "cvm-initrd"

/* Remove tmp (a file, or with dir a directory) if SIGINT or SIGTERM arrives, until initrd_temp_done(). */
void initrd_temp_watch(const char *tmp, bool dir);

/* Create the temporary directory for out (temp_dir_create) and watch it; its name into tmp. */
int initrd_temp_dir(const char *out, char *tmp, size_t size, cvm_error *err);

/* The temporary was renamed into place or removed: signals no longer need to remove it. */
void initrd_temp_done(void);

/* -EINTR with a message once SIGINT or SIGTERM arrived while a temporary directory is written. */
int initrd_check_interrupted(cvm_error *err);
