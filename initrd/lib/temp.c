/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Signals during a write: every output is written beside itself as
 * ".BASE.cvm-initrd.PID.XXXXXX" (cvmbase/temp.h, which also sweeps those of
 * writers that are gone) and renamed into place.  The one temporary of the
 * running write is removed here when SIGINT or SIGTERM ends the process.
 */

#include <assert.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "initrd_internal.h"

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

void initrd_temp_watch(const char *tmp, bool dir) {
        /* The handler unlinks temp_path: a cut name could name another file. */
        assert(tmp && strlen(tmp) < sizeof(temp_path));
        temp_kind = TEMP_NONE;
        snprintf(temp_path, sizeof(temp_path), "%s", tmp);
        temp_kind = dir ? TEMP_DIR : TEMP_FILE;
}

int initrd_temp_dir(const char *out, char *tmp, size_t size, cvm_error *err) {
        int r = temp_dir_create(out, INITRD_TEMP_TAG, tmp, size, err);

        if (r == 0)
                initrd_temp_watch(tmp, true);
        return r;
}

void initrd_temp_done(void) {
        temp_kind = TEMP_NONE;
}
