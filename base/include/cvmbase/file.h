/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * Reading input files safely: non-blocking open, regular files only, a size
 * cap per kind of input, so a FIFO, a device or a huge file is refused at once.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "cvm/error.h"

/* Files larger than this are refused: real firmware logs are < 1 MiB, IMA lists < 100 MiB. */
#define CVM_INPUT_MAX ((size_t) 512 << 20)

/* "a FIFO", "a directory", ...: the type of mode m, for messages. */
const char *file_type_name(mode_t m);

/*
 * Open path as a regular file of at most max bytes (by its size): the open is
 * non-blocking (a FIFO cannot hang it), anything but a regular file is refused
 * by type, with nofollow a symlink too; *st is filled and the fd is blocking again.
 */
int open_regular(const char *path, size_t max, bool nofollow, struct stat *st, cvm_error *err);

/* Open an input file: non-blocking, regular files only, at most max bytes by its size; the fd or <0 with a message. */
int open_input(const char *path, size_t max, cvm_error *err);

/* The rest of fd into a malloc'ed buffer, refused past max bytes (sysfs files report no size); path names it in messages. */
int read_fd(int fd, const char *path, size_t max, uint8_t **ret, size_t *ret_len, cvm_error *err);

/* open_input + read_fd: every input file the project reads goes through here. */
int read_file(const char *path, size_t max, uint8_t **ret, size_t *ret_len, cvm_error *err);
