/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * The one diagnostics printer: "PROGRAM: message" on stderr, warnings as
 * "PROGRAM: warning: message".  Every tool and library part that talks to
 * the user goes through here; the log_ prefix means this and nothing else.
 */

/* The name messages start with (default: the program's short name); name must outlive its use. */
void log_set_program_name(const char *name);

/* The name messages start with. */
const char *log_program_name(void);

/* An error: "PROGRAM: MSG". */
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A warning: "PROGRAM: warning: MSG". */
void log_warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Progress or a note: "PROGRAM: MSG". */
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
