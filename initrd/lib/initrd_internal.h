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

/* One gzip member decoded by ISA-L (gunzip.c): new over the bytes from its header on (which must outlive it). */
typedef struct initrd_gunzip initrd_gunzip;
int initrd_gunzip_new(const uint8_t *buf, size_t len, initrd_gunzip **ret);
/* The next decoded block in *out, *n: 1; 0 after the member's trailer; -errno (corrupt, truncated, too big). */
int initrd_gunzip_read(initrd_gunzip *z, const void **out, size_t *n, cvm_error *err);
/* Compressed bytes used so far: the member's length once read returned 0. */
uint64_t initrd_gunzip_consumed(const initrd_gunzip *z);
void initrd_gunzip_free(initrd_gunzip *z);

/* The open file behind the image, or -1 when it is a caller's buffer. */
int initrd_fd(const cvm_initrd *rd);

/* The file name the image was opened from (for messages). */
const char *initrd_name(const cvm_initrd *rd);

/* cvm_initrd_walk, or with prefix_only its cheap form (see cvm_initrd_open_prefix). */
int initrd_walk(const uint8_t *buf, size_t len, bool prefix_only, struct cvm_initrd_segment **ret, size_t *n_ret,
                cvm_error *err);

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
