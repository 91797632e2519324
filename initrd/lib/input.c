/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Every file cvm-initrd reads goes through here: opened O_NONBLOCK (a FIFO
 * would block the open itself), checked with fstat before a byte is read
 * (a FIFO, a device or a directory is refused by name and type), and capped
 * at the size the format can hold, so /dev/zero or a FIFO never hangs a run.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "initrd_internal.h"

const char *initrd_type_name(mode_t m) {
        switch (m & S_IFMT) {
        case S_IFREG:
                return "a regular file";
        case S_IFDIR:
                return "a directory";
        case S_IFLNK:
                return "a symlink";
        case S_IFIFO:
                return "a FIFO";
        case S_IFSOCK:
                return "a socket";
        case S_IFCHR:
                return "a character device";
        case S_IFBLK:
                return "a block device";
        default:
                return "of an unknown type";
        }
}

int initrd_open_regular(const char *path, uint64_t max, const char *limit, bool nofollow, struct stat *st,
                        cvm_error *err) {
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | (nofollow ? O_NOFOLLOW : 0));
        int e;

        if (fd < 0) {
                e = errno;
                if (e == ELOOP && nofollow)
                        return cvm_error_set(err, e, "%s: is a symlink now (it was a file when listed)", path);
                return cvm_error_set(err, e, "%s: cannot open: %s", path, strerror(e));
        }
        if (fstat(fd, st) < 0) {
                e = errno;
                close(fd);
                return cvm_error_set(err, e, "%s: %s", path, strerror(e));
        }
        if (!S_ISREG(st->st_mode)) {
                close(fd);
                return cvm_error_set(err, S_ISDIR(st->st_mode) ? EISDIR : EINVAL, "%s: is %s, not a regular file", path,
                                     initrd_type_name(st->st_mode));
        }
        if ((uint64_t) st->st_size > max) {
                close(fd);
                return cvm_error_set(err, EFBIG, "%s: %llu bytes, more than %s (%llu bytes)", path,
                                     (unsigned long long) st->st_size, limit, (unsigned long long) max);
        }
        /* Only the open had to be non-blocking; reads of a regular file never block on it anyway. */
        if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) < 0) {
                e = errno;
                close(fd);
                return cvm_error_set(err, e, "%s: %s", path, strerror(e));
        }
        return fd;
}

int initrd_read_regular(const char *path, size_t max, const char *limit, uint8_t **ret, size_t *ret_len,
                        cvm_error *err) {
        struct stat st;
        uint8_t *buf;
        size_t got = 0;
        int fd = initrd_open_regular(path, max, limit, false, &st, err);

        if (fd < 0)
                return fd;
        buf = malloc(st.st_size ? (size_t) st.st_size : 1);
        if (!buf) {
                close(fd);
                return cvm_error_set(err, ENOMEM, "%s: out of memory", path);
        }
        while (got < (size_t) st.st_size) {
                ssize_t n = read(fd, buf + got, (size_t) st.st_size - got);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0) {
                        int e = n < 0 ? errno : EBUSY;
                        free(buf);
                        close(fd);
                        return cvm_error_set(err, e, "%s: read failed at byte %zu: %s", path, got,
                                             n < 0 ? strerror(e) : "it shrank while it was read");
                }
                got += (size_t) n;
        }
        close(fd);
        *ret = buf;
        *ret_len = got;
        return 0;
}
