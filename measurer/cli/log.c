/* SPDX-License-Identifier: Apache-2.0 */
/* The error printer of cvm-evidence and cvm-measure (log.h). */
#include <stdarg.h>
#include <stdio.h>

#include "log.h"

const char *program_name = "cvm-evidence";

void log_error(const char *fmt, ...) {
        va_list ap;

        fprintf(stderr, "%s: ", program_name);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
}
