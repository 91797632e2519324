/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * A new file with another's content: a reflink (FICLONE) where the file
 * system shares extents (btrfs, XFS), which costs nothing whatever the size;
 * else, when the caller allows it, a copy that keeps the holes.
 */

#include <stdbool.h>

#include "rewrite.h"

/* dst (absent before) made from src: 1 reflinked, 0 copied (copy allowed), -EOPNOTSUPP with no dst when neither; <0 with err set. */
int file_clone(const char *src, const char *dst, bool copy, cvm_error *err);
