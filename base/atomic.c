/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The one way cvmkit puts a file in place: temporary beside it, every byte
 * written (short writes, EINTR), fsync, rename, fsync of the directory (the
 * rename itself is durable only then).  Errors remove the temporary.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cvmbase/atomic.h"
#include "cvmbase/temp.h"

int write_all(int fd, const void *buf, size_t len, const char *path, cvm_error *err) {
        const uint8_t *p = buf;

        assert(fd >= 0 && (buf || len == 0));
        while (len > 0) {
                ssize_t n = write(fd, p, len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0) {
                        int e = n < 0 ? errno : EIO;
                        return cvm_error_set(err, e, "%s%swrite failed: %s", path ? path : "", path ? ": " : "",
                                             n < 0 ? strerror(e) : "no progress");
                }
                p += n;
                len -= (size_t) n;
        }
        return 0;
}

int atomic_file_open(struct atomic_file *f, const char *path, const char *tag, cvm_error *err) {
        int r;

        assert(f && path && tag);
        f->fd = -1;
        f->tmp[0] = '\0';
        if ((size_t) snprintf(f->path, sizeof(f->path), "%s", path) >= sizeof(f->path))
                return cvm_error_set(err, ENAMETOOLONG, "%s: path too long", path);
        r = temp_prefix(path, tag, f->tmp, sizeof(f->tmp), err);
        if (r == 0 && strlen(f->tmp) + 6 >= sizeof(f->tmp))
                r = cvm_error_set(err, ENAMETOOLONG, "%s: path too long", path);
        if (r < 0) {
                f->tmp[0] = '\0';
                return r;
        }
        strcat(f->tmp, "XXXXXX");
        temp_sweep_stale(path, tag, NULL);
        f->fd = mkostemp(f->tmp, O_CLOEXEC);
        if (f->fd < 0) {
                f->tmp[0] = '\0';
                return cvm_error_set(err, errno, "%s: cannot create a temporary file beside it: %s", path, strerror(errno));
        }
        return 0;
}

int atomic_file_finish(struct atomic_file *f, mode_t mode, cvm_error *err) {
        /* umask(2) cannot only read: set and restore at once (outputs are written from one thread). */
        mode_t mask = umask(0);
        int fd, r = 0;

        umask(mask);
        assert(f);
        fd = f->fd;
        if (fd < 0)
                return 0;
        f->fd = -1;
        if (fchmod(fd, mode & ~mask) < 0 || fsync(fd) < 0)
                r = cvm_error_set(err, errno, "%s: cannot finish the file: %s", f->tmp, strerror(errno));
        if (close(fd) < 0 && r == 0)
                r = cvm_error_set(err, errno, "%s: cannot finish the file: %s", f->tmp, strerror(errno));
        if (r < 0)
                atomic_file_abort(f);
        return r;
}

/* fsync the directory holding path, so a rename into it survives a crash. */
static int sync_parent(const char *path, cvm_error *err) {
        char d[PATH_MAX];
        int fd, r = 0;

        if ((size_t) snprintf(d, sizeof(d), "%s", path) >= sizeof(d))
                return cvm_error_set(err, ENAMETOOLONG, "%s: path too long", path);
        fd = open(dirname(d), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0 || fsync(fd) < 0)
                r = cvm_error_set(err, errno, "%s: cannot sync its directory: %s", path, strerror(errno));
        if (fd >= 0)
                close(fd);
        return r;
}

int rename_durable(const char *tmp, const char *path, cvm_error *err) {
        if (rename(tmp, path) < 0)
                return cvm_error_set(err, errno, "%s: cannot rename into place: %s", path, strerror(errno));
        return sync_parent(path, err);
}

/* Finish f and put it in place: renamed over path, or with new_only linked (an existing path stays). */
static int put_in_place(struct atomic_file *f, mode_t mode, bool new_only, cvm_error *err) {
        int r = atomic_file_finish(f, mode, err);

        if (r < 0)
                return r;
        if (!f->tmp[0])
                return cvm_error_set(err, ENOENT, "%s: no temporary to put in place", f->path);
        if ((new_only ? link(f->tmp, f->path) : rename(f->tmp, f->path)) < 0) {
                r = cvm_error_set(err, errno, "%s: %s: %s", f->path, new_only ? "cannot create" : "cannot rename into place",
                                  strerror(errno));
                atomic_file_abort(f);
                return r;
        }
        if (!new_only)
                f->tmp[0] = '\0';
        /* Gone by rename, or a second name of the file now: either way no temporary stays. */
        atomic_file_abort(f);
        /* In place: a failed directory sync is reported, but the new file is complete and stays. */
        return sync_parent(f->path, err);
}

int atomic_file_commit(struct atomic_file *f, mode_t mode, cvm_error *err) {
        return put_in_place(f, mode, false, err);
}

void atomic_file_abort(struct atomic_file *f) {
        if (f->fd >= 0)
                close(f->fd);
        f->fd = -1;
        if (f->tmp[0])
                unlink(f->tmp);
        f->tmp[0] = '\0';
}

/* buf as path through a temporary: renamed over path, or with new_only linked (never over a file). */
static int write_whole(const char *path, const void *buf, size_t len, mode_t mode, const char *tag, bool new_only,
                       cvm_error *err) {
        struct atomic_file f;
        int r = atomic_file_open(&f, path, tag, err);

        if (r < 0)
                return r;
        r = write_all(f.fd, buf, len, f.tmp, err);
        if (r == 0)
                r = put_in_place(&f, mode, new_only, err);
        atomic_file_abort(&f);
        return r;
}

int write_file_atomic(const char *path, const void *buf, size_t len, mode_t mode, const char *tag, cvm_error *err) {
        return write_whole(path, buf, len, mode, tag, false, err);
}

int write_file_new(const char *path, const void *buf, size_t len, mode_t mode, const char *tag, cvm_error *err) {
        return write_whole(path, buf, len, mode, tag, true, err);
}
