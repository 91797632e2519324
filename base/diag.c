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

/* One line, written under stderr's lock, so the lines of threads do not interleave. */
static void emit(const char *level, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
static void emit(const char *level, const char *fmt, va_list ap) {
        flockfile(stderr);
        fprintf(stderr, "%s: %s", log_program_name(), level);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        funlockfile(stderr);
}

/* The printers differ only in their level's word. */
#define DEFINE_LOG(name, level)                         \
        void name(const char *fmt, ...) {               \
                va_list ap;                             \
                va_start(ap, fmt);                      \
                emit(level, fmt, ap);                   \
                va_end(ap);                             \
        }

DEFINE_LOG(log_error, "")
DEFINE_LOG(log_warning, "warning: ")
DEFINE_LOG(log_info, "")
