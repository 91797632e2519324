/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Vectors of strings with an explicit count. */

#include <stdarg.h>
#include <stddef.h>

/* Append a formatted string to a vector of n strings; allocation failures drop it (it holds warnings, which are advisory). */
void strv_appendv(char ***v, size_t *n, const char *fmt, va_list ap) __attribute__((format(printf, 3, 0)));
/* Free the n strings of v and v itself (NULL: nothing). */
void strv_free(char **v, size_t n);
