/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* libcvm exports what its public headers declare, and nothing else (libcvm.sym). */
#pragma GCC visibility push(default)

/*
 * Errors in libcvm: every fallible function returns 0 (or a count) on success
 * and a negative errno on failure, and fills an optional cvm_error with a
 * message naming the offset and what was expected.  Nothing prints or exits.
 */

#define CVM_ERROR_MSG_MAX 512

typedef struct cvm_error {
        int code;                      /* positive errno of the failure */
        char msg[CVM_ERROR_MSG_MAX];   /* human-readable, no trailing newline */
} cvm_error;

/* Record errno `code` and a printf-style message in err (may be NULL); returns -code. */
int cvm_error_set(cvm_error *err, int code, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* Prepend printf-style context ("FILE: ") to the message already in err; returns -err->code. */
int cvm_error_prefix(cvm_error *err, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

#pragma GCC visibility pop
