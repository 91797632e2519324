/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* evdbench: what its closed-loop and open-loop halves share. */

#include <stddef.h>
#include <sys/types.h>

#define EVD_GETMEASUREMENT "{\"method\":\"io.cvmkit.Evidence.GetMeasurement\",\"parameters\":{\"index\":1}}"
#define EVD_CCNP "(CCNP published: 26-76 ms per query)"

/* Monotonic clock in milliseconds. */
double now_ms(void);
/* Connect a stream socket to path: the fd, or -1 with errno set. */
int connect_to(const char *path);
/* Sort v ascending and return its p-quantile (0 <= p <= 1); 0 for none. */
double sorted_pct(const double *v, size_t n, double p);
/* qsort comparator for doubles. */
int cmp_double(const void *a, const void *b);
/*
 * Open loop: requests at a fixed rate over clients connections for seconds,
 * each timed from its scheduled send time (so a stalled server's backlog is
 * counted, not hidden); prints the figures.  0, or -1 if calls failed or
 * went unanswered.
 */
int bench_open_loop(const char *path, int clients, double seconds, double rate);
