/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* What the JSON views of a log (the tree and the stream) share. */

#include <stddef.h>
#include <stdint.h>

#include "internal.h"

/* The end of events [start, start+count) (count 0: to the end), clamped to the log. */
size_t eventlog_range_end(const cvm_eventlog *log, size_t start, size_t count);

/*
 * Each event's number among its register's events, as FAPI numbers CEL
 * records; malloc'ed, NULL on allocation failure.
 */
uint64_t *eventlog_register_recnums(const cvm_eventlog *log);
