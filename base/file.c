/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Every file cvmkit reads as input goes through here: opened non-blocking (a
 * FIFO or a device never hangs the open or the read), checked to be a regular
 * file, and capped at the size its format allows, so /dev/zero or a 10 GiB
 * file is refused at once instead of read until memory runs out.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cvmbase/file.h"

const char *file_type_name(mode_t m) {
        return S_ISDIR(m) ? "a directory" : S_ISFIFO(m) ? "a FIFO" : S_ISSOCK(m) ? "a socket" : S_ISCHR(m) ? "a character device"
               : S_ISBLK(m) ? "a block device" : S_ISLNK(m) ? "a symbolic link" : "not a file";
}

/* "512 MiB", or bytes when the cap is not a whole MiB. */
static const char *cap_text(size_t max, char *buf, size_t size) {
        if (max >= (1u << 20) && max % (1u << 20) == 0)
                snprintf(buf, size, "%zu MiB", max >> 20);
        else
                snprintf(buf, size, "%zu bytes", max);
        return buf;
}

int open_input(const char *path, size_t max, cvm_error *err) {
        struct stat st;
        char cap[32];
        int fd;

        fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return cvm_error_set(err, errno, "%s: cannot open: %s", path, strerror(errno));
        if (fstat(fd, &st) < 0) {
                int e = errno;
                close(fd);
                return cvm_error_set(err, e, "%s: cannot stat: %s", path, strerror(e));
        }
        if (!S_ISREG(st.st_mode)) {
                close(fd);
                return cvm_error_set(err, S_ISDIR(st.st_mode) ? EISDIR : EINVAL, "%s: %s, expected a regular file", path,
                                     file_type_name(st.st_mode));
        }
        if ((uint64_t) st.st_size > max) {
                close(fd);
                return cvm_error_set(err, EFBIG, "%s: %lld bytes, larger than the %s limit for this input", path,
                                     (long long) st.st_size, cap_text(max, cap, sizeof(cap)));
        }
        return fd;
}

int read_fd(int fd, const char *path, size_t max, uint8_t **ret, size_t *ret_len, cvm_error *err) {
        size_t len = 0, cap = 64 * 1024;
        uint8_t *buf;
        char limit[32];

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
