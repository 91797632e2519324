/* SPDX-License-Identifier: Apache-2.0 */
/* Shared by the cmocka unit tests: cmocka's required includes and fixture helpers. */
#pragma once

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cvm/cvm.h"

/* Absolute path of a file in ../shared/fixtures (FIXTURES from the environment or the build). */
static inline const char *fixture(const char *name) {
        static char path[4096];
        const char *dir = getenv("FIXTURES");
        snprintf(path, sizeof(path), "%s/%s", dir && *dir ? dir : FIXTURES, name);
        return path;
}

/* The whole file; fails the test if it cannot be read. */
static inline uint8_t *slurp(const char *path, size_t *len) {
        FILE *f = fopen(path, "rb");
        uint8_t *buf;
        long n;

        assert_non_null(f);
        assert_int_equal(fseek(f, 0, SEEK_END), 0);
        n = ftell(f);
        assert_true(n >= 0);
        rewind(f);
        buf = malloc((size_t) n + 1);
        assert_non_null(buf);
        assert_int_equal(fread(buf, 1, (size_t) n, f), (size_t) n);
        fclose(f);
        *len = (size_t) n;
        return buf;
}

static inline void assert_hex_equal(const uint8_t *bytes, size_t n, const char *hex) {
        char buf[2 * 512 + 1];
        assert_true(n <= 512);
        assert_string_equal(cvm_hex(bytes, n, buf), hex);
}

/* Replay a parsed log on its own banks. */
static inline cvm_replay *replay_of(const cvm_eventlog *log) {
        cvm_replay *r = NULL;
        cvm_error err = { 0 };
        assert_int_equal(cvm_replay_new(NULL, 0, &r, &err), 0);
        if (cvm_replay_add_log(r, log, &err) < 0)
                fail_msg("replay: %s", err.msg);
        return r;
}
