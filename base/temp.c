/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Temporaries beside an output, and the sweep of those a killed writer left:
 * one naming scheme for every tool, so each tells its own leftovers apart by
 * tag and the PID in the name, and never touches a live writer's.
 */
#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cvmbase/diag.h"
#include "cvmbase/temp.h"

/* out's directory and base name into dir and base (PATH_MAX each). */
static int split(const char *out, char *dir, char *base, cvm_error *err) {
        char d[PATH_MAX], b[PATH_MAX];

        if ((size_t) snprintf(d, sizeof(d), "%s", out) >= sizeof(d) || (size_t) snprintf(b, sizeof(b), "%s", out) >= sizeof(b))
                return cvm_error_set(err, ENAMETOOLONG, "%s: path too long", out);
        snprintf(dir, PATH_MAX, "%s", dirname(d));
        snprintf(base, PATH_MAX, "%s", basename(b));
        return 0;
}

int temp_prefix(const char *out, const char *tag, char *buf, size_t size, cvm_error *err) {
        char dir[PATH_MAX], base[PATH_MAX];
        int r;

        assert(out && tag && buf && size > 0);
        r = split(out, dir, base, err);
        if (r < 0)
                return r;
        if ((size_t) snprintf(buf, size, "%s/.%s.%s.%ld.", dir, base, tag, (long) getpid()) >= size)
                return cvm_error_set(err, ENAMETOOLONG, "%s: path too long", out);
        return 0;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        (void) st;
        (void) flag;
        (void) ftw;
        remove(path);
        return 0;
}

void remove_tree(const char *path) {
        nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* The PID in NAME after prefix ("PID." follows), if it is a process that is gone; 0 otherwise. */
static long dead_pid(const char *name, const char *prefix) {
        char *end;
        long pid;

        if (strncmp(name, prefix, strlen(prefix)) != 0)
                return 0;
        errno = 0;
        pid = strtol(name + strlen(prefix), &end, 10);
        if (errno || pid <= 0 || pid > INT_MAX || *end != '.' || kill((pid_t) pid, 0) == 0 || errno != ESRCH)
                return 0;
        return pid;
}

void temp_sweep_stale(const char *out, const char *tag, const struct stat *keep) {
        char dir[PATH_MAX], base[PATH_MAX], prefix[PATH_MAX];
        struct dirent *de;
        DIR *d;

        if (split(out, dir, base, NULL) < 0 || (size_t) snprintf(prefix, sizeof(prefix), ".%s.%s.", base, tag) >= sizeof(prefix))
                return;
        if (!(d = opendir(dir)))
                return;
        while ((de = readdir(d))) {
                char path[PATH_MAX * 2];
                struct stat st;
                long pid = dead_pid(de->d_name, prefix);

                if (pid == 0)
                        continue;
                snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
                if (keep && stat(path, &st) == 0 && st.st_dev == keep->st_dev && st.st_ino == keep->st_ino)
                        continue;
                log_info("removing %s, left by an interrupted run (PID %ld)", path, pid);
                remove_tree(path);
        }
        closedir(d);
}

int temp_dir_create(const char *out, const char *tag, char *tmp, size_t size, cvm_error *err) {
        int r = temp_prefix(out, tag, tmp, size, err);

        if (r < 0)
                return r;
        if (strlen(tmp) + 6 >= size)
                return cvm_error_set(err, ENAMETOOLONG, "%s: path too long", out);
        strcat(tmp, "XXXXXX");
        temp_sweep_stale(out, tag, NULL);
        if (!mkdtemp(tmp))
                return cvm_error_set(err, errno, "%s: cannot create a temporary directory beside it: %s", out, strerror(errno));
        return 0;
}
