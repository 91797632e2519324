/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Private to libcvm: the entries cvm-measure finds under a root, and their hashing. */

#include <sys/types.h>

#include "cvm/measure.h"
#include "internal.h"

enum entry_kind {
        ENTRY_FILE,
        ENTRY_SYMLINK,
        ENTRY_SKIPPED,     /* device, socket, FIFO */
        ENTRY_MISSING,
        ENTRY_ERROR,       /* could not be examined or read */
};

struct entry {
        char *path;                        /* absolute, as seen from the root */
        enum entry_kind kind;
        mode_t mode;
        uint64_t size;
        dev_t dev;
        ino_t ino;
        char *target;                      /* symlink target */
        const char *type;                  /* skipped: "fifo", "socket", "char-device", "block-device" */
        char *reason;                      /* error: why */
        const struct cvm_policy_group *group;
        uint8_t digests[CVM_MEASURE_MAX_BANKS][CVM_DIGEST_MAX];  /* files: content digests, one per bank */
};

struct entries {
        struct entry *v;
        size_t n, cap;
};

/*
 * Append the entries of one item (file, tree or glob) to out, sorted
 * byte-wise by path.  Paths resolve under rootfd: symlinks on the way are
 * resolved inside the root (openat2 RESOLVE_IN_ROOT), a symlink found is an
 * entry of its own and never followed.
 */
int walk_item(int rootfd, const struct cvm_policy_item *it, const struct cvm_policy_group *g, struct entries *out, cvm_error *err);

/* Hash every ENTRY_FILE of es in all banks with threads workers; a file that cannot be read becomes ENTRY_ERROR. */
int hash_entries(int rootfd, struct entries *es, const uint16_t *banks, size_t nbanks, unsigned threads, cvm_error *err);

void entries_free(struct entries *es);
