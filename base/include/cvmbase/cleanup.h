/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * Scope-bound cleanup (systemd style): a variable declared _cleanup_free_ is
 * freed when it goes out of scope; TAKE_PTR hands its value on and leaves NULL
 * behind so the cleanup does nothing.  Cleanups for libcvm's own types live
 * beside the code that uses them.
 */

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))

/* free() the pointer p points to. */
static inline void freep(void *p) {
        free(*(void **) p);
}
#define _cleanup_free_ _cleanup_(freep)

/* close() the descriptor fd points to unless it is negative. */
static inline void closep(int *fd) {
        if (*fd >= 0)
                close(*fd);
}
#define _cleanup_close_ _cleanup_(closep)

/* fclose() the stream f points to unless it is NULL. */
static inline void fclosep(FILE **f) {
        if (*f)
                fclose(*f);
}
#define _cleanup_fclose_ _cleanup_(fclosep)

/* The value of the pointer variable p, which is set to NULL (its cleanup then does nothing). */
#define TAKE_PTR(p)                             \
        ({                                      \
                __typeof__(p) _take_ = (p);     \
                (p) = NULL;                     \
                _take_;                         \
        })

/* The value of the descriptor variable fd, which is set to -1. */
#define TAKE_FD(fd)                             \
        ({                                      \
                int _take_ = (fd);              \
                (fd) = -1;                      \
                _take_;                         \
        })
