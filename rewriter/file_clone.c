/* SPDX-License-Identifier: Apache-2.0 */
/* A file cloned by reflink, or copied with its holes kept (see file_clone.h). */

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cvmbase/base.h"
#include "file_clone.h"
#include "watchdog.h"

/* Bytes per copy_file_range call: small enough to notice a stop signal in well under a second. */
#define COPY_CHUNK ((size_t) 64 << 20)

/* The errors with which FICLONE says "not on this file system" (or not between these two), not "failed". */
static bool no_reflink(int e) {
        return e == EOPNOTSUPP || e == ENOTTY || e == EXDEV || e == EINVAL || e == ENOSYS;
}

/* len bytes at off from in to out by read and write: copy_file_range refused (another file system, an old kernel). */
static int copy_rw(int in, int out, off_t off, off_t len, const char *dst, cvm_error *err) {
        _cleanup_free_ uint8_t *buf = malloc(1 << 20);
        ssize_t n;

        if (!buf)
                return cvm_error_set(err, ENOMEM, "%s: out of memory", dst);
        if (lseek(out, off, SEEK_SET) < 0)
                return cvm_error_set(err, errno, "%s: %s", dst, strerror(errno));
        for (; len > 0; off += n, len -= n) {
                if (rw_stop_signal())
                        return cvm_error_set(err, EINTR, "interrupted by signal %d", (int) rw_stop_signal());
                n = pread(in, buf, len < (1 << 20) ? (size_t) len : (size_t) 1 << 20, off);
                if (n == 0)
                        return cvm_error_set(err, EIO, "%s: the source ended early (it changed?)", dst);
                if (n < 0 || write_all(out, buf, (size_t) n, dst, err) < 0)
                        return n < 0 ? cvm_error_set(err, errno, "%s: reading: %s", dst, strerror(errno)) : -EIO;
        }
        return 0;
}

/* The data between off and off+len copied to the same offsets of out, in the kernel where it can. */
static int copy_range(int in, int out, off_t off, off_t len, const char *dst, cvm_error *err) {
        loff_t from = off, to = off;
        ssize_t n;

        while (len > 0) {
                if (rw_stop_signal())
                        return cvm_error_set(err, EINTR, "interrupted by signal %d", (int) rw_stop_signal());
                n = copy_file_range(in, &from, out, &to, (size_t) len < COPY_CHUNK ? (size_t) len : COPY_CHUNK, 0);
                if (n < 0 && (errno == EXDEV || errno == ENOSYS || errno == EOPNOTSUPP || errno == EINVAL))
                        return copy_rw(in, out, from, len, dst, err);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return cvm_error_set(err, errno, "%s: copying: %s", dst, strerror(errno));
                if (n == 0)
                        return cvm_error_set(err, EIO, "%s: the source ended early (it changed?)", dst);
                len -= n;
        }
        return 0;
}

/* Every data extent of in copied into out, the holes left as holes, the size set. */
static int copy_sparse(int in, int out, off_t size, const char *dst, cvm_error *err) {
        off_t pos = 0, data, hole;
        int r;

        while (pos < size) {
                if ((data = lseek(in, pos, SEEK_DATA)) < 0 && errno == ENXIO)
                        break;
                /* A file system without SEEK_DATA: all of it is data. */
                if (data < 0 && errno != EINVAL)
                        return cvm_error_set(err, errno, "%s: finding the data: %s", dst, strerror(errno));
                if (data < 0) {
                        data = pos;
                        hole = size;
                } else if ((hole = lseek(in, data, SEEK_HOLE)) < 0) {
                        hole = size;
                }
                if (hole > size)
                        hole = size;
                if (data >= hole)
                        break;
                if ((r = copy_range(in, out, data, hole - data, dst, err)) < 0)
                        return r;
                pos = hole;
        }
        if (ftruncate(out, size) < 0)
                return cvm_error_set(err, errno, "%s: %s", dst, strerror(errno));
        return 0;
}

int file_clone(const char *src, const char *dst, bool copy, cvm_error *err) {
        _cleanup_close_ int in = -1, out = -1;
        struct stat st;
        int r;

        if ((in = open(src, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) < 0 || fstat(in, &st) < 0)
                return cvm_error_set(err, errno, "%s: %s", src, strerror(errno));
        if (!S_ISREG(st.st_mode))
                return cvm_error_set(err, EINVAL, "%s is %s, not a regular file", src, file_type_name(st.st_mode));
        if ((out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)) < 0)
                return cvm_error_set(err, errno, "%s: %s", dst, strerror(errno));
        if (ioctl(out, FICLONE, in) == 0)
                return 1;
        if (!no_reflink(errno))
                r = cvm_error_set(err, errno, "%s: reflink of %s: %s", dst, src, strerror(errno));
        else if (!copy)
                r = cvm_error_set(err, EOPNOTSUPP, "%s: the file system cannot share extents with %s (no reflink: %s)", dst,
                                  src, strerror(errno));
        else if ((r = copy_sparse(in, out, st.st_size, dst, err)) == 0)
                return 0;
        unlink(dst);
        return r;
}
