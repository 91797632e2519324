/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

int read_file(const char *path, size_t max, uint8_t **ret, size_t *ret_len, cvm_error *err) {
        size_t len = 0, cap = 64 * 1024;
        uint8_t *buf;
        int fd;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return cvm_error_set(err, errno, "%s: cannot open: %s", path, strerror(errno));
        buf = malloc(cap);
        if (!buf) {
                close(fd);
                return cvm_error_set(err, ENOMEM, "%s: out of memory", path);
        }
        /* Read to EOF: sysfs and configfs files report st_size 0 or 4096 whatever they hold. */
        for (;;) {
                ssize_t n;

                if (len == cap) {
                        uint8_t *nbuf;
                        if (cap >= max) {
                                free(buf);
                                close(fd);
                                return cvm_error_set(err, EFBIG, "%s: larger than the %zu MiB limit", path, max >> 20);
                        }
                        cap = cap * 2 > max ? max : cap * 2;
                        nbuf = realloc(buf, cap);
                        if (!nbuf) {
                                free(buf);
                                close(fd);
                                return cvm_error_set(err, ENOMEM, "%s: out of memory", path);
                        }
                        buf = nbuf;
                }
                n = read(fd, buf + len, cap - len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        int e = errno;
                        free(buf);
                        close(fd);
                        return cvm_error_set(err, e, "%s: read failed at byte %zu: %s", path, len, strerror(e));
                }
                if (n == 0)
                        break;
                len += (size_t) n;
        }
        close(fd);
        *ret = buf;
        *ret_len = len;
        return 0;
}
