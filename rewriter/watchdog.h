/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * What stops a rewrite: SIGINT, SIGTERM or SIGHUP (the first one asks the
 * run to stop and clean up, a second one exits at once), and the appliance
 * watchdog, a thread that kills our child processes when the launch overruns
 * its deadline or a signal arrived (guestfs_launch itself cannot be
 * interrupted).
 */

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "cvm/error.h"

/* The handlers for SIGINT, SIGTERM and SIGHUP installed (the old ones into old), the stop request cleared. */
void rw_signals_catch(struct sigaction old[3]);
/* The handlers rw_signals_catch replaced, back. */
void rw_signals_restore(const struct sigaction old[3]);
/* The signal that asked the run to stop, or 0. */
int rw_stop_signal(void);

struct watchdog {
        pthread_t thread;
        bool started;
        atomic_bool launching, done, timed_out;
        double deadline;
};

/* Start watching the launch, which has seconds to succeed. */
int watchdog_start(struct watchdog *w, unsigned seconds, cvm_error *err);
/* Stop watching (the appliance has shut down, or never started). */
void watchdog_stop(struct watchdog *w);
