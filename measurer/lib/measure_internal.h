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

/*
 * The hashing of es's files (ENTRY_FILE, every bank; one that cannot be read
 * becomes ENTRY_ERROR) by threads threads counting the caller (0: the online
 * CPUs): start runs threads - 1 workers, and es must not change until end.
 */
struct hash_pool;
int hash_pool_start(int rootfd, struct entries *es, const uint16_t *banks, size_t nbanks, unsigned threads,
                    struct hash_pool **ret, cvm_error *err);
/* Entry i done (ask in order: the caller hashes the next entries meanwhile); <0 when hashing failed as a whole. */
int hash_pool_wait(struct hash_pool *p, size_t i, cvm_error *err);
/* Stop claiming, join the workers and free p (NULL: nothing). */
void hash_pool_end(struct hash_pool *p);
static inline void hash_pool_endp(struct hash_pool **p) {
        hash_pool_end(*p);
}

void entries_free(struct entries *es);
