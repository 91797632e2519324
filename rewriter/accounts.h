/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * The guest's account files (/etc/shadow, /etc/passwd, /etc/group) as pure
 * functions on buffers: they come from the input image, so every line is
 * untrusted.  name names the file in errors.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cvm/error.h"

struct account {
        uint32_t id;    /* field 3: uid (passwd) or gid (group) */
        uint32_t gid;   /* field 4 of passwd; unset for group */
        char *home;     /* field 6 of passwd (owned), NULL for group */
};

/*
 * text (len bytes, no NUL inside) with user's password field replaced by
 * hash, into a new buffer *ret of *ret_len bytes (NUL-terminated; every line
 * ends in '\n').  -ENOENT when user has no line, -EEXIST when it has several
 * (which one the guest uses is not ours to guess), -EINVAL for a NUL byte or
 * a user or hash that could break the format.
 */
int accounts_shadow_set(const char *text, size_t len, const char *name, const char *user, const char *hash, char **ret,
                        size_t *ret_len, cvm_error *err);

/*
 * The entry for account in passwd or group text: a numeric id out of range
 * or a malformed matching line is -EINVAL, no line -ENOENT, several -EEXIST.
 * with_home asks for field 6 (passwd).  Free ret->home.
 */
int accounts_find(const char *text, size_t len, const char *name, const char *account, bool with_home,
                  struct account *ret, cvm_error *err);
