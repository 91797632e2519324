/* SPDX-License-Identifier: Apache-2.0 */
/* The input's digest in a child process while the appliance starts (see input_digest.h). */

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include "cvmbase/base.h"
#include "host_disk.h"
#include "input_digest.h"
#include "watchdog.h"

/* The child's report: "ok HEX" or "error ERRNO MESSAGE", at most this long. */
#define REPORT_MAX (sizeof(((cvm_error *) 0)->msg) + 32)

static _Noreturn void child(int wfd, const char *path, pid_t parent) {
        cvm_error err = { 0 };
        char hex[65], report[REPORT_MAX];
        int n, r;

        /* The parent may have died between fork and prctl: then nobody waits for the digest. */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
                _exit(1);
        r = file_digests(path, hex, NULL, &err);
        n = r < 0 ? snprintf(report, sizeof(report), "error %d %s", -r, err.msg) : snprintf(report, sizeof(report), "ok %s", hex);
        _exit(write_all(wfd, report, (size_t) n < sizeof(report) ? (size_t) n : sizeof(report) - 1, "pipe", &err) < 0);
}

int input_digest_start(struct input_digest *d, const char *path, cvm_error *err) {
        pid_t parent = getpid();
        int p[2];

        d->pid = 0;
        d->fd = -1;
        if (pipe2(p, O_CLOEXEC) < 0)
                return cvm_error_set(err, errno, "pipe: %s", strerror(errno));
        d->pid = fork();
        if (d->pid < 0) {
                int e = errno;
                close(p[0]);
                close(p[1]);
                d->pid = 0;
                return cvm_error_set(err, e, "fork: %s", strerror(e));
        }
        if (d->pid == 0) {
                close(p[0]);
                child(p[1], path, parent);
        }
        close(p[1]);
        d->fd = p[0];
        return 0;
}

/* The child's report parsed into out256 or err. */
static int take_report(const char *report, char out256[65], cvm_error *err) {
        int e = 0, off = 0;

        if (strncmp(report, "ok ", 3) == 0 && strlen(report + 3) == 64) {
                memcpy(out256, report + 3, 65);
                return 0;
        }
        if (sscanf(report, "error %d %n", &e, &off) == 1 && e > 0 && off > 0)
                return cvm_error_set(err, e, "%s", report + off);
        return cvm_error_set(err, EIO, "the input's digest: no result from its process");
}

/* The child's whole report into report (NUL-terminated); -EINTR when a signal asked the run to stop meanwhile. */
static int read_report(int fd, char *report, size_t size) {
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        size_t n = 0;
        ssize_t k = 1;

        while (n < size - 1 && k != 0) {
                if (rw_stop_signal())
                        return -EINTR;
                /* Polled in slices: the stop request may be taken by another thread, whose signal does not interrupt us. */
                if (poll(&pfd, 1, 100) <= 0)
                        continue;
                k = read(fd, report + n, size - 1 - n);
                if (k < 0 && errno != EINTR && errno != EAGAIN)
                        break;
                if (k > 0)
                        n += (size_t) k;
        }
        report[n] = '\0';
        return 0;
}

int input_digest_finish(struct input_digest *d, char out256[65], cvm_error *err) {
        char report[REPORT_MAX];
        int status;

        if (read_report(d->fd, report, sizeof(report)) < 0) {
                input_digest_cancel(d);
                return cvm_error_set(err, EINTR, "interrupted by signal %d", rw_stop_signal());
        }
        close(d->fd);
        d->fd = -1;
        while (waitpid(d->pid, &status, 0) < 0 && errno == EINTR)
                ;
        d->pid = 0;
        return take_report(report, out256, err);
}

void input_digest_cancel(struct input_digest *d) {
        if (d->pid > 0) {
                kill(d->pid, SIGKILL);
                while (waitpid(d->pid, NULL, 0) < 0 && errno == EINTR)
                        ;
        }
        if (d->fd >= 0)
                close(d->fd);
        d->pid = 0;
        d->fd = -1;
}
