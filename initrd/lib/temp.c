/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Temporary outputs: every output is written beside itself as
 * ".BASE.cvm-initrd.PID.XXXXXX" and renamed into place.  The one temporary of
 * the running write is removed when SIGINT or SIGTERM ends the process, and
 * those of writers that are gone (SIGKILL, a crash) by the next write of the
 * same output, which tells them apart by the PID in the name.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "initrd_internal.h"

#define TAG ".cvm-initrd."

/* Written before kind is set and only read by the handler while kind says it is valid. */
static char temp_path[PATH_MAX];
static volatile sig_atomic_t temp_kind; /* TEMP_NONE, TEMP_FILE or TEMP_DIR */
static volatile sig_atomic_t stop_signal;

enum { TEMP_NONE, TEMP_FILE, TEMP_DIR };

/*
 * A temporary file is unlinked here and the process ends at once.  A
 * temporary tree cannot be removed safely from a handler: the signal is
 * recorded, the writer stops at its next entry and removes the tree on its
 * error path; a second signal ends the process at once (the next run then
 * removes the tree as stale).
 */
static void on_signal(int sig) {
        if (temp_kind == TEMP_DIR && !stop_signal) {
                stop_signal = sig;
                return;
        }
        if (temp_kind == TEMP_FILE)
                unlink(temp_path);
        _exit(128 + sig);
}

int cvm_initrd_catch_signals(void) {
        struct sigaction sa = { .sa_handler = on_signal };

        sigemptyset(&sa.sa_mask);
        if (sigaction(SIGINT, &sa, NULL) < 0 || sigaction(SIGTERM, &sa, NULL) < 0 || sigaction(SIGHUP, &sa, NULL) < 0)
                return -errno;
        return 0;
}

int cvm_initrd_interrupted(void) {
        return stop_signal;
}

int initrd_check_interrupted(cvm_error *err) {
        if (stop_signal)
                return cvm_error_set(err, EINTR, "interrupted by signal %d (%s)", (int) stop_signal,
                                     strsignal(stop_signal));
        return 0;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        (void) st;
        (void) flag;
        (void) ftw;
        remove(path);
        return 0;
}

void initrd_remove_tree(const char *path) {
        nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* .BASE.cvm-initrd.PID.* in dir whose PID no longer runs: what a killed writer of this output left. */
static void clean_stale(const char *dir, const char *base) {
        char prefix[PATH_MAX];
        struct dirent *de;
        DIR *d;

        if ((size_t) snprintf(prefix, sizeof(prefix), ".%s" TAG, base) >= sizeof(prefix) || !(d = opendir(dir)))
                return;
        while ((de = readdir(d))) {
                char path[PATH_MAX * 2], *end;
                long pid;

                if (strncmp(de->d_name, prefix, strlen(prefix)) != 0)
                        continue;
                errno = 0;
                pid = strtol(de->d_name + strlen(prefix), &end, 10);
                if (errno || pid <= 0 || pid > INT_MAX || *end != '.' || kill((pid_t) pid, 0) == 0 || errno != ESRCH)
                        continue;
                snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
                fprintf(stderr, "cvm-initrd: removing %s, left by an interrupted run (PID %ld)\n", path, pid);
                initrd_remove_tree(path);
        }
        closedir(d);
}

int initrd_temp_create(const char *out, bool dir, char *tmp, size_t size, cvm_error *err) {
        char d[PATH_MAX], b[PATH_MAX];
        int fd = -1;

        if ((size_t) snprintf(d, sizeof(d), "%s", out) >= sizeof(d) ||
            (size_t) snprintf(b, sizeof(b), "%s", out) >= sizeof(b))
                return cvm_error_set(err, ENAMETOOLONG, "%s: path too long", out);
        const char *base = basename(b), *parent = dirname(d);
        if ((size_t) snprintf(tmp, size, "%s/.%s" TAG "%ld.XXXXXX", parent, base, (long) getpid()) >= size ||
            strlen(tmp) >= sizeof(temp_path))
                return cvm_error_set(err, ENAMETOOLONG, "%s: path too long", out);
        clean_stale(parent, base);
        temp_kind = TEMP_NONE;
        if (dir ? !mkdtemp(tmp) : (fd = mkostemp(tmp, O_CLOEXEC)) < 0)
                return cvm_error_set(err, errno, "%s: cannot create a temporary %s beside it: %s", out,
                                     dir ? "directory" : "file", strerror(errno));
        memcpy(temp_path, tmp, strlen(tmp) + 1);
        temp_kind = dir ? TEMP_DIR : TEMP_FILE;
        return dir ? 0 : fd;
}

void initrd_temp_done(void) {
        temp_kind = TEMP_NONE;
}
