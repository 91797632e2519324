/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <sys/stat.h>

#include "cvm/initrd.h"
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

/* A compressor writing to fd: open, feed, finish (which flushes and frees). */
typedef struct initrd_compressor initrd_compressor;
int initrd_compressor_new(enum cvm_initrd_compression c, int fd, initrd_compressor **ret, cvm_error *err);
int initrd_compressor_write(initrd_compressor *z, const void *buf, size_t len, cvm_error *err);
/* Flush the stream's end; with ok false only free. Returns bytes written to fd in total via *written. */
int initrd_compressor_finish(initrd_compressor *z, bool ok, uint64_t *written, cvm_error *err);

/* write(2) all of buf, retrying short writes. */
int initrd_write_all(int fd, const void *buf, size_t len, cvm_error *err);

/* The open file behind the image, or -1 when it is a caller's buffer. */
int initrd_fd(const cvm_initrd *rd);

/* The file name the image was opened from (for messages). */
const char *initrd_name(const cvm_initrd *rd);

/* cvm_initrd_walk, or with prefix_only its cheap form (see cvm_initrd_open_prefix). */
int initrd_walk(const uint8_t *buf, size_t len, bool prefix_only, struct cvm_initrd_segment **ret, size_t *n_ret,
                cvm_error *err);

/* Check a compressed segment's cpio stream (headers, name sizes, truncation) before libarchive reads it. */
int initrd_prescan(const uint8_t *buf, size_t len, cvm_error *err);

/* "a FIFO", "a directory", ...: the type of m for messages. */
const char *initrd_type_name(mode_t m);

/*
 * Open path to read it as a regular file: non-blocking (a FIFO cannot hang
 * the open), fstat'ed into *st, anything but a regular file refused by type,
 * a size above max refused naming limit.  With nofollow, a symlink is refused.
 * Returns the fd (blocking again) or a negative errno.
 */
int initrd_open_regular(const char *path, uint64_t max, const char *limit, bool nofollow, struct stat *st,
                        cvm_error *err);

/* All of the regular file path (at most max bytes, see initrd_open_regular) into a new buffer. */
int initrd_read_regular(const char *path, size_t max, const char *limit, uint8_t **ret, size_t *ret_len,
                        cvm_error *err);

/*
 * Create the temporary file (returns its fd) or directory (returns 0) for
 * out, named ".BASE.cvm-initrd.PID.XXXXXX" beside it, into tmp; first remove
 * those that writers no longer running left.  The signal handler removes it
 * until initrd_temp_done().
 */
int initrd_temp_create(const char *out, bool dir, char *tmp, size_t size, cvm_error *err);

/* The temporary was renamed into place or removed: signals no longer need to remove it. */
void initrd_temp_done(void);

/* Remove a tree without following its symlinks (a temporary directory). */
void initrd_remove_tree(const char *path);

/* -EINTR with a message once SIGINT or SIGTERM arrived while a temporary directory is written. */
int initrd_check_interrupted(cvm_error *err);
