/* SPDX-License-Identifier: Apache-2.0 */
/* The error printer of cvm-evidence and cvm-measure. */
#pragma once

/* The tool's name, the prefix of every message; main sets it. */
extern const char *program_name;

/* "PROGRAM: " + message on stderr. */
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
