/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * The input's sha256, taken by a child process while the appliance starts:
 * hashing a large image and booting the appliance each hold one core, so
 * the digest costs no time on the rewrite's critical path.  A child, not a
 * thread, so that a failed or interrupted rewrite ends it at once (SIGKILL)
 * without leaking the digest's state; it also dies with its parent.
 */

#include <sys/types.h>

#include "rewrite.h"

struct input_digest {
        pid_t pid;      /* 0: none running */
        int fd;         /* the read end of the child's result pipe */
};

/* Start hashing path in a child; 0, or a negative errno with err set. */
int input_digest_start(struct input_digest *d, const char *path, cvm_error *err);

/* Wait for the child and take its result: the digest as hex in out256, or its error in err. */
int input_digest_finish(struct input_digest *d, char out256[65], cvm_error *err);

/* Kill and reap a child still running (a failed rewrite); nothing when none runs. */
void input_digest_cancel(struct input_digest *d);
