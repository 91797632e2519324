/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "cvmbase/diag.h"

static const char *program;

void log_set_program_name(const char *name) {
        program = name;
}

const char *log_program_name(void) {
        return program ? program : program_invocation_short_name;
}

/* One line, written with one stdio call per part under stderr's lock, so lines of threads do not interleave. */
static void emit(const char *level, const char *fmt, va_list ap) {
        flockfile(stderr);
        fprintf(stderr, "%s: %s", log_program_name(), level);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        funlockfile(stderr);
}

void log_error(const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        emit("", fmt, ap);
        va_end(ap);
}

void log_warning(const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        emit("warning: ", fmt, ap);
        va_end(ap);
}

void log_info(const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        emit("", fmt, ap);
        va_end(ap);
}
