/* SPDX-License-Identifier: Apache-2.0 */
#include <time.h>

#include "cvmbase/clock.h"

double now_monotonic(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}
