/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Every file cvmkit reads as input goes through here: opened non-blocking (a
 * FIFO or a device never hangs the open or the read), checked to be a regular
 * file, and capped at the size its format allows, so /dev/zero or a 10 GiB
 * file is refused at once instead of read until memory runs out.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cvmbase/file.h"

const char *file_type_name(mode_t m) {
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
                return "a file of an unknown type";
        }
}

/* "512 MiB", or bytes when the cap is not a whole MiB. */
static const char *cap_text(size_t max, char *buf, size_t size) {
        if (max >= (1u << 20) && max % (1u << 20) == 0)
                snprintf(buf, size, "%zu MiB", max >> 20);
        else
                snprintf(buf, size, "%zu bytes", max);
        return buf;
}

/* Refuse what fd is unless a regular file of at most max bytes; fd is closed on refusal. */
static int check_regular(int fd, const char *path, size_t max, struct stat *st, cvm_error *err) {
        char cap[32];
        int r = 0;

        if (fstat(fd, st) < 0)
                r = cvm_error_set(err, errno, "%s: cannot stat: %s", path, strerror(errno));
        else if (!S_ISREG(st->st_mode))
                r = cvm_error_set(err, S_ISDIR(st->st_mode) ? EISDIR : EINVAL, "%s: %s, expected a regular file", path,
                                  file_type_name(st->st_mode));
        else if ((uint64_t) st->st_size > max)
                r = cvm_error_set(err, EFBIG, "%s: %lld bytes, larger than the %s limit for this input", path,
                                  (long long) st->st_size, cap_text(max, cap, sizeof(cap)));
        /* Only the open had to be non-blocking; reads of a regular file never block on it anyway. */
        else if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) < 0)
                r = cvm_error_set(err, errno, "%s: %s", path, strerror(errno));
        if (r < 0)
                close(fd);
        return r < 0 ? r : fd;
}

int open_regular(const char *path, size_t max, bool nofollow, struct stat *st, cvm_error *err) {
        int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY | (nofollow ? O_NOFOLLOW : 0));

        if (fd < 0 && errno == ELOOP && nofollow)
                return cvm_error_set(err, ELOOP, "%s: a symlink, expected a regular file", path);
        if (fd < 0)
                return cvm_error_set(err, errno, "%s: cannot open: %s", path, strerror(errno));
        return check_regular(fd, path, max, st, err);
}

int open_input(const char *path, size_t max, cvm_error *err) {
        struct stat st;

        return open_regular(path, max, false, &st, err);
}

int read_fd(int fd, const char *path, size_t max, uint8_t **ret, size_t *ret_len, cvm_error *err) {
        size_t len = 0, cap = 64 * 1024;
        uint8_t *buf;
        char limit[32];

        assert(fd >= 0 && ret && ret_len);
        if (cap > max + 1)
                cap = max + 1;
        if (!(buf = malloc(cap)))
                return cvm_error_set(err, ENOMEM, "%s: out of memory", path);
        /* Read to EOF, one byte past the cap: sysfs files report st_size 0 or 4096 whatever they hold, and a file may grow. */
        for (;;) {
                ssize_t n;

                if (len == cap) {
                        uint8_t *nbuf;
                        if (len > max) {
                                free(buf);
                                return cvm_error_set(err, EFBIG, "%s: larger than the %s limit for this input", path,
                                                     cap_text(max, limit, sizeof(limit)));
                        }
                        cap = cap > max / 2 ? max + 1 : cap * 2;
                        if (!(nbuf = realloc(buf, cap))) {
                                free(buf);
                                return cvm_error_set(err, ENOMEM, "%s: out of memory", path);
                        }
                        buf = nbuf;
                }
                n = read(fd, buf + len, cap - len);
                if (n < 0) {
                        int e = errno;
                        if (e == EINTR)
                                continue;
                        free(buf);
                        return cvm_error_set(err, e, "%s: read failed at byte %zu: %s", path, len, strerror(e));
                }
                if (n == 0)
                        break;
                len += (size_t) n;
        }
        if (len > max) {
                free(buf);
                return cvm_error_set(err, EFBIG, "%s: larger than the %s limit for this input", path,
                                     cap_text(max, limit, sizeof(limit)));
        }
        *ret = buf;
        *ret_len = len;
        return 0;
}

int read_file(const char *path, size_t max, uint8_t **ret, size_t *ret_len, cvm_error *err) {
        int fd = open_input(path, max, err), r;

        if (fd < 0)
                return fd;
        r = read_fd(fd, path, max, ret, ret_len, err);
        close(fd);
        return r;
}
