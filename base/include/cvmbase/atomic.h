/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * Writing an output atomically: into a temporary beside it (cvmbase/temp.h),
 * fsynced, renamed into place, and the directory fsynced, so a reader sees the
 * old file or the whole new one, after a crash too.  On every error the
 * temporary is removed and the old file stays as it was.
 */

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

#include "cvm/error.h"

/* write(2) all of buf: short writes continued, EINTR retried; a message names path (may be NULL). */
int write_all(int fd, const void *buf, size_t len, const char *path, cvm_error *err);

struct atomic_file {
        int fd;                 /* the temporary, open for writing; -1 once closed */
        char path[PATH_MAX];    /* the destination */
        char tmp[PATH_MAX];     /* the temporary; "" once renamed or removed */
};

/* Create the temporary for path (sweeping stale ones of tag first); write to f->fd. */
int atomic_file_open(struct atomic_file *f, const char *path, const char *tag, cvm_error *err);

/* Give the temporary mode (less the umask), fsync and close it: it is complete, not yet in place. */
int atomic_file_finish(struct atomic_file *f, mode_t mode, cvm_error *err);

/* atomic_file_finish unless done, rename into place, fsync the directory; removes the temporary on error. */
int atomic_file_commit(struct atomic_file *f, mode_t mode, cvm_error *err);

/* Close and remove the temporary if it is still there; harmless after commit, and twice. */
void atomic_file_abort(struct atomic_file *f);

/* The whole of buf as path (mode less the umask), atomically: open, write_all, commit, abort on error. */
int write_file_atomic(const char *path, const void *buf, size_t len, mode_t mode, const char *tag, cvm_error *err);

/* write_file_atomic for a file that must not exist yet: linked into place, -EEXIST if it does. */
int write_file_new(const char *path, const void *buf, size_t len, mode_t mode, const char *tag, cvm_error *err);

/* Rename the finished file tmp onto path and fsync path's directory (for a temporary another program wrote). */
int rename_durable(const char *tmp, const char *path, cvm_error *err);
