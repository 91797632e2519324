/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Seconds on CLOCK_MONOTONIC, for durations in progress lines (not wall time). */
double now_monotonic(void);
