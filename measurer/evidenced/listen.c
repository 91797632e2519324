/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The listening sockets.  Under systemd, the sockets of cvm-evidence.socket
 * arrive by the sd_listen_fds protocol (LISTEN_PID, LISTEN_FDS, fds from 3);
 * checked by hand because the protocol is a dozen lines and libsystemd would
 * add a dependency (and a library to bundle into images) for nothing else.
 * Standalone, --listen PATH binds a socket (mode 0666: every call is checked
 * against the caller's credentials, so the file mode is not the gate).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "evidenced.h"

#define SD_LISTEN_FDS_START 3

/* The fds systemd passed: their number (0 if none were passed to this process), or -errno. */
static int listen_fds_from_env(struct evd *d) {
        const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
        uint64_t p, n;

        if (!pid || !fds)
                return 0;
        if (cvm_parse_uint(pid, SIZE_MAX, 10, INT32_MAX, &p) < 0 || (pid_t) p != getpid())
                return 0;
        if (cvm_parse_uint(fds, SIZE_MAX, 10, EVD_MAX_LISTEN, &n) < 0 || n == 0) {
                log_error("LISTEN_FDS=%s: expected 1-%d sockets", fds, EVD_MAX_LISTEN);
                return -EINVAL;
        }
        unsetenv("LISTEN_PID");
        unsetenv("LISTEN_FDS");
        unsetenv("LISTEN_FDNAMES");
        for (int fd = SD_LISTEN_FDS_START; fd < SD_LISTEN_FDS_START + (int) n; fd++) {
                int listening = 0, type = 0;
                socklen_t l = sizeof(int);
                if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &l) < 0 ||
                    (l = sizeof(int), getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &l) < 0) || !listening || type != SOCK_STREAM) {
                        log_error("fd %d from systemd is not a listening stream socket (ListenStream= expected)", fd);
                        return -EINVAL;
                }
                if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0 || fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0)
                        return -errno;
                d->listen_fds[d->nlisten++] = fd;
        }
        return (int) n;
}

/* A socket file at path that nothing answers on is a leftover of a stopped daemon: remove it. */
static int remove_stale(const char *path, const struct sockaddr_un *sa) {
        struct stat st;
        int fd, r;

        if (lstat(path, &st) < 0)
                return errno == ENOENT ? 0 : -errno;
        if (!S_ISSOCK(st.st_mode)) {
                log_error("%s: exists and is not a socket", path);
                return -EEXIST;
        }
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        r = connect(fd, (const struct sockaddr *) sa, sizeof(*sa));
        close(fd);
        if (r == 0) {
                log_error("%s: another daemon is listening there", path);
                return -EADDRINUSE;
        }
        return unlink(path) < 0 ? -errno : 0;
}

static int listen_path(struct evd *d, const char *path) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd, r;

        if (strlen(path) >= sizeof(sa.sun_path)) {
                log_error("--listen %s: longer than a socket path may be (%zu bytes)", path, sizeof(sa.sun_path) - 1);
                return -ENAMETOOLONG;
        }
        memcpy(sa.sun_path, path, strlen(path) + 1);
        if ((r = remove_stale(path, &sa)) < 0)
                return r;
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return -errno;
        if (bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0 || chmod(path, 0666) < 0 || listen(fd, SOMAXCONN) < 0) {
                r = -errno;
                log_error("--listen %s: %s", path, strerror(errno));
                close(fd);
                return r;
        }
        d->listen_fds[d->nlisten++] = fd;
        d->owns_socket = true;
        d->listen_path = path;
        return 0;
}

int evd_listen(struct evd *d, const char *path) {
        int r = listen_fds_from_env(d);

        if (r < 0)
                return r;
        if (r > 0) {
                if (path)
                        log_warning("ignoring --listen %s: systemd passed %d sockets", path, r);
                return 0;
        }
        if (!path) {
                log_error("no socket: run under cvm-evidence.socket or give --listen PATH");
                return -EINVAL;
        }
        return listen_path(d, path);
}
