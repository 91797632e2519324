/* SPDX-License-Identifier: Apache-2.0 */
/* The stop request of a rewrite (its signals) and the appliance watchdog (see watchdog.h). */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cvmbase/base.h"
#include "watchdog.h"

static const int sigs[3] = { SIGINT, SIGTERM, SIGHUP };

/* Read by the watchdog thread too: an atomic int (lock-free, so also safe to store from the handler). */
static atomic_int stop_signal;

/* The first signal ends the appliance (the watchdog) and the run cleans up; a second one exits at once (the next run cleans up). */
static void on_signal(int sig) {
        if (stop_signal)
                _exit(128 + sig);
        stop_signal = sig;
}

/*
 * The appliance watchdog.  guestfs_launch cannot be interrupted (it retries
 * on EINTR, and the handle's lock keeps guestfs_get_pid and
 * guestfs_kill_subprocess waiting until it returns), and where /dev/kvm
 * exists but does not work it never returns.  So a thread watches while the
 * handle has processes: past the launch deadline, or at the first
 * SIGINT/SIGTERM/SIGHUP, it kills every child of ours (qemu, libguestfs's
 * recovery process, supermin) and its process group; the call in progress
 * then fails, and the session ends as for any error.
 */

/* SIGKILL to each child of this process, and to its process group when it leads one (qemu does: set_pgroup). */
static void kill_children(void) {
        struct dirent *de;
        DIR *d = opendir("/proc");

        if (!d)
                return;
        while ((de = readdir(d))) {
                char path[64], buf[512], *p;
                long ppid, pgrp;
                ssize_t n;
                int fd;
                if (de->d_name[0] < '1' || de->d_name[0] > '9' ||
                    (size_t) snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name) >= sizeof(path) ||
                    (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
                        continue;
                n = read(fd, buf, sizeof(buf) - 1);
                close(fd);
                /* pid (comm) state ppid pgrp ...: comm may hold spaces and parentheses, so parse after the last ')'. */
                if (n <= 0)
                        continue;
                buf[n] = '\0';
                if (!(p = strrchr(buf, ')')) || sscanf(p + 1, " %*c %ld %ld", &ppid, &pgrp) != 2 || ppid != (long) getpid())
                        continue;
                long pid = strtol(de->d_name, NULL, 10);
                if (pgrp == pid)
                        kill((pid_t) -pid, SIGKILL);
                kill((pid_t) pid, SIGKILL);
        }
        closedir(d);
}

static void *watch(void *arg) {
        struct watchdog *w = arg;
        const struct timespec tick = { 0, 100 * 1000 * 1000 };

        while (!w->done) {
                bool late = w->launching && now_monotonic() > w->deadline;
                if (stop_signal || late) {
                        w->timed_out = late && !stop_signal;
                        kill_children();
                        return NULL;
                }
                nanosleep(&tick, NULL);
        }
        return NULL;
}

int watchdog_start(struct watchdog *w, unsigned seconds, cvm_error *err) {
        sigset_t all, old;
        int r;

        w->launching = true;
        w->deadline = now_monotonic() + seconds;
        /* The signals go to the main thread, where they interrupt the call in progress. */
        sigfillset(&all);
        pthread_sigmask(SIG_BLOCK, &all, &old);
        r = pthread_create(&w->thread, NULL, watch, w);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        if (r != 0)
                return cvm_error_set(err, r, "cannot start the appliance watchdog: %s", strerror(r));
        w->started = true;
        return 0;
}

void watchdog_stop(struct watchdog *w) {
        if (!w->started)
                return;
        w->done = true;
        pthread_join(w->thread, NULL);
        w->started = false;
}


void rw_signals_catch(struct sigaction old[3]) {
        struct sigaction sa = { .sa_handler = on_signal };

        for (int i = 0; i < 3; i++)
                sigaction(sigs[i], &sa, &old[i]);
        stop_signal = 0;
}

void rw_signals_restore(const struct sigaction old[3]) {
        for (int i = 0; i < 3; i++)
                sigaction(sigs[i], &old[i], NULL);
}

int rw_stop_signal(void) {
        return stop_signal;
}
