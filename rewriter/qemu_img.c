/* SPDX-License-Identifier: Apache-2.0 */
/* qemu-img as a child process, ended on a stop signal, its JSON read back (see qemu_img.h). */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cvmbase/base.h"
#include "qemu_img.h"
#include "watchdog.h"

extern char **environ;

/* qemu-img info of a large image's snapshots and bitmaps is a few KiB: more is not an answer. */
#define QEMU_IMG_JSON_MAX ((size_t) 1 << 20)

/* The child started with its stdout on out_fd (-1: ours) and its stderr discarded when quiet. */
static int spawn(char *const argv[], int out_fd, bool quiet, pid_t *pid, cvm_error *err) {
        posix_spawn_file_actions_t fa;
        int r;

        if ((r = posix_spawn_file_actions_init(&fa)) != 0)
                return cvm_error_set(err, r, "cannot run qemu-img: %s", strerror(r));
        if (out_fd >= 0)
                r = posix_spawn_file_actions_adddup2(&fa, out_fd, STDOUT_FILENO);
        else if (quiet)
                r = posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
        if (r == 0 && quiet)
                r = posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
        if (r == 0)
                r = posix_spawnp(pid, "qemu-img", &fa, NULL, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        return r != 0 ? cvm_error_set(err, r, "cannot run qemu-img: %s", strerror(r)) : 0;
}

/* Wait for the child, ending it when a signal asks us to stop; its wait status in *status. */
static int reap(pid_t pid, int *status, cvm_error *err) {
        while (waitpid(pid, status, 0) < 0) {
                if (errno != EINTR)
                        return cvm_error_set(err, errno, "waitpid: %s", strerror(errno));
                if (rw_stop_signal())
                        kill(pid, SIGTERM);
        }
        if (rw_stop_signal())
                return cvm_error_set(err, EINTR, "interrupted by signal %d", (int) rw_stop_signal());
        return 0;
}

int qemu_img_run(char *const argv[], int *status, cvm_error *err) {
        pid_t pid;
        int r = spawn(argv, -1, false, &pid, err);

        return r < 0 ? r : reap(pid, status, err);
}

int qemu_img_quiet(char *const argv[], int *status, cvm_error *err) {
        pid_t pid;
        int r = spawn(argv, -1, true, &pid, err);

        return r < 0 ? r : reap(pid, status, err);
}

/* The child's stdout until EOF, at most QEMU_IMG_JSON_MAX bytes, NUL-terminated into *out; the child ended on a stop signal. */
static int read_all(int fd, pid_t pid, char **out, cvm_error *err) {
        size_t len = 0, cap = 4096;
        char *buf = malloc(cap), *nb;
        ssize_t n;

        if (!buf)
                return cvm_error_set(err, ENOMEM, "qemu-img's output: out of memory");
        for (;;) {
                if (len + 1 == cap) {
                        if (cap >= QEMU_IMG_JSON_MAX) {
                                free(buf);
                                return cvm_error_set(err, EFBIG, "qemu-img's output passes %zu bytes", QEMU_IMG_JSON_MAX);
                        }
                        if (!(nb = realloc(buf, cap * 2))) {
                                free(buf);
                                return cvm_error_set(err, ENOMEM, "qemu-img's output: out of memory");
                        }
                        buf = nb;
                        cap *= 2;
                }
                if ((n = read(fd, buf + len, cap - 1 - len)) > 0) {
                        len += (size_t) n;
                        continue;
                }
                if (n == 0)
                        break;
                if (errno != EINTR) {
                        free(buf);
                        return cvm_error_set(err, errno, "reading qemu-img's output: %s", strerror(errno));
                }
                if (rw_stop_signal())
                        kill(pid, SIGTERM);
        }
        buf[len] = '\0';
        *out = buf;
        return 0;
}

const char *qemu_img_info_links(struct json_object *info) {
        struct json_object *fs, *data;

        if (json_object_object_get_ex(info, "backing-filename", NULL))
                return "a backing file";
        if (json_object_object_get_ex(info, "format-specific", &fs) && json_object_object_get_ex(fs, "data", &data) &&
            json_object_object_get_ex(data, "data-file", NULL))
                return "an external data file";
        return NULL;
}

int qemu_img_json(char *const argv[], const char *what, struct json_object **out, cvm_error *err) {
        _cleanup_free_ char *text = NULL;
        int p[2], status, r;
        pid_t pid;

        *out = NULL;
        if (pipe2(p, O_CLOEXEC) < 0)
                return cvm_error_set(err, errno, "pipe: %s", strerror(errno));
        r = spawn(argv, p[1], true, &pid, err);
        close(p[1]);
        if (r < 0) {
                close(p[0]);
                return r;
        }
        r = read_all(p[0], pid, &text, err);
        close(p[0]);
        if (r < 0) {
                kill(pid, SIGTERM);
                reap(pid, &status, err);
                return r;
        }
        if ((r = reap(pid, &status, err)) < 0)
                return r;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                return cvm_error_set(err, EIO, "%s: qemu-img %s failed (exit %d)", what, argv[1],
                                     WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        if (!(*out = json_tokener_parse(text)) || !json_object_is_type(*out, json_type_object)) {
                json_object_put(*out);
                *out = NULL;
                return cvm_error_set(err, EIO, "%s: qemu-img %s printed no JSON object", what, argv[1]);
        }
        return 0;
}
