/* SPDX-License-Identifier: Apache-2.0 */
/* Shared by the rewriter's unit tests: a scratch folder to write plugins, recipes and host files into. */
#pragma once

#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"

static char scratch[PATH_MAX];

/* dir/rel with its parent folders, holding text (a folder when text is NULL). */
static inline void put(const char *rel, const char *text) {
        char path[PATH_MAX * 2];
        FILE *f;

        snprintf(path, sizeof(path), "%s/%s", scratch, rel);
        for (char *p = path + strlen(scratch) + 1; (p = strchr(p, '/')); p++) {
                *p = '\0';
                assert_true(mkdir(path, 0755) == 0 || errno == EEXIST);
                *p = '/';
        }
        if (!text) {
                assert_true(mkdir(path, 0755) == 0 || errno == EEXIST);
                return;
        }
        assert_non_null(f = fopen(path, "w"));
        assert_int_equal(fputs(text, f) >= 0, 1);
        assert_int_equal(fclose(f), 0);
}

/* scratch/rel, in out. */
static inline const char *at(const char *rel, char *out, size_t size) {
        assert_true((size_t) snprintf(out, size, "%s/%s", scratch, rel) < size);
        return out;
}

static int scratch_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        (void) st, (void) flag, (void) ftw;
        return remove(path);
}

static inline int scratch_setup(void **state) {
        (void) state;
        snprintf(scratch, sizeof(scratch), "/tmp/cvm-unit.XXXXXX");
        return mkdtemp(scratch) ? 0 : -1;
}

static inline int scratch_teardown(void **state) {
        (void) state;
        return nftw(scratch, scratch_rm, 16, FTW_DEPTH | FTW_PHYS);
}
