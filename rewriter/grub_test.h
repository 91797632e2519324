/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * GRUB's `test` / `[` expression over expanded words, for grub_predict.c:
 * strings (=, ==, !=, -z, -n, a single word), integers (-eq -ne -lt -le -gt
 * -ge), files (-e -f -s, answered by the caller), ! and -a / -o.
 */

#include <stddef.h>

/* Size of a GRUB file name, -1 if absent, < -1 when unknowable (another device). */
typedef long long (*grub_test_size_fn)(void *userdata, const char *name);

/* 1 true, 0 false; -EINVAL when the expression leaves the subset or asks about an unknowable file. */
int grub_test_eval(char *const *args, size_t n, grub_test_size_fn size, void *userdata);
