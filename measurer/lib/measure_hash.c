/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Hashing the files cvm-measure found while the caller turns them into
 * events.  threads - 1 workers and the caller take the next entry from a
 * shared counter (the walk's order, so entries finish about in order); each
 * file is read once in large sequential reads and hashed in every bank at
 * once, and its results land in the entry, so the order of events never
 * depends on which thread finished first.  The caller asks for the entries
 * in order (hash_pool_wait): while the one it needs is not done it hashes
 * the next unclaimed one itself, and sleeps only when none is left.  So the
 * events are built while the files are hashed, not after, and threads is
 * the number of busy threads in all (1: the caller alone, in turn).
 *
 * Memory order: a thread writes an entry's results, then sets its done flag;
 * the caller reads them after seeing the flag set (sequentially consistent
 * atomics, so release and acquire).  The caller sleeps only after storing
 * the index it needs in waiting, under lock, and seeing it still not done; a
 * thread that finishes an entry loads waiting after setting done, and
 * signals under the same lock when they match (a failure always signals).
 * One of the two sees the other's store, so no wakeup is lost.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "crypto_dlopen.h"
#include "measure_internal.h"

#define READ_SIZE (1u << 20)
#define MAX_THREADS 64

/* One hashing thread's contexts (a bank each) and read buffer. */
struct hasher {
        EVP_MD_CTX *ctx[CVM_MEASURE_MAX_BANKS];
        uint8_t *buf;
};

struct hash_pool {
        int rootfd;
        struct entries *es;
        size_t nbanks;
        const EVP_MD *mds[CVM_MEASURE_MAX_BANKS];
        atomic_uchar *done;          /* per entry: its results are written */
        atomic_size_t next;          /* the next entry to claim */
        atomic_int fatal;            /* out of memory or OpenSSL failure (a negative errno); -ECANCELED: ended */
        atomic_size_t waiting;       /* the entry the caller sleeps on; SIZE_MAX: none */
        pthread_mutex_t lock;
        pthread_cond_t cond;
        struct hasher self;          /* the caller's */
        pthread_t tid[MAX_THREADS];
        unsigned started;
};

static void fail_entry(struct entry *e, const char *what, int error) {
        char reason[256];

        snprintf(reason, sizeof(reason), "%s: %s", what, strerror(error));
        e->kind = ENTRY_ERROR;
        e->reason = strdup(reason);
}

/* One file, read once, every bank; 0, or <0 for a failure that is not the file's. */
static int hash_one(struct hash_pool *p, struct entry *e, EVP_MD_CTX **ctx, uint8_t *buf) {
        /* O_NONBLOCK: a FIFO swapped in since the walk must not hang the boot in open(); fstat then refuses it. */
        struct open_how how = { .flags = O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY,
                                .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
        struct stat st;
        long fd;

        fd = syscall(SYS_openat2, p->rootfd, e->path, &how, sizeof(how));
        if (fd < 0) {
                fail_entry(e, "cannot open", errno);
                return 0;
        }
        /* The walk saw a regular file here; anything else now means the tree changed under us. */
        if (fstat((int) fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_ino != e->ino || st.st_dev != e->dev) {
                close((int) fd);
                fail_entry(e, "changed while being measured", ESTALE);
                return 0;
        }
        posix_fadvise((int) fd, 0, 0, POSIX_FADV_SEQUENTIAL);
        for (size_t b = 0; b < p->nbanks; b++)
                if (!sym_EVP_DigestInit_ex(ctx[b], p->mds[b], NULL)) {
                        close((int) fd);
                        return -EIO;
                }
        e->size = 0;
        for (;;) {
                ssize_t n = read((int) fd, buf, READ_SIZE);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        fail_entry(e, "read failed", errno);
                        close((int) fd);
                        return 0;
                }
                if (n == 0)
                        break;
                e->size += (uint64_t) n;
                for (size_t b = 0; b < p->nbanks; b++)
                        if (!sym_EVP_DigestUpdate(ctx[b], buf, (size_t) n)) {
                                close((int) fd);
                                return -EIO;
                        }
        }
        close((int) fd);
        e->mode = st.st_mode;
        for (size_t b = 0; b < p->nbanks; b++)
                if (!sym_EVP_DigestFinal_ex(ctx[b], e->digests[b], NULL))
                        return -EIO;
        return 0;
}

static int hasher_init(struct hasher *h, size_t nbanks) {
        *h = (struct hasher) { .buf = malloc(READ_SIZE) };
        if (!h->buf)
                return -ENOMEM;
        for (size_t b = 0; b < nbanks; b++)
                if (!(h->ctx[b] = sym_EVP_MD_CTX_new()))
                        return -ENOMEM;
        return 0;
}

static void hasher_free(struct hasher *h, size_t nbanks) {
        for (size_t b = 0; b < nbanks; b++)
                if (h->ctx[b])
                        sym_EVP_MD_CTX_free(h->ctx[b]);
        free(h->buf);
        h->buf = NULL;
}

static void wake(struct hash_pool *p) {
        pthread_mutex_lock(&p->lock);
        pthread_cond_signal(&p->cond);
        pthread_mutex_unlock(&p->lock);
}

/* The first failure (r < 0) stops every thread's claiming, and wakes the caller. */
static void stop(struct hash_pool *p, int r) {
        int zero = 0;

        atomic_compare_exchange_strong(&p->fatal, &zero, r);
        wake(p);
}

/* Claim the next entry and hash it (with h); false when none is left or hashing stopped. */
static bool hash_next(struct hash_pool *p, struct hasher *h) {
        size_t i;
        int r = 0;

        if (atomic_load(&p->fatal) < 0 || (i = atomic_fetch_add(&p->next, 1)) >= p->es->n)
                return false;
        if (p->es->v[i].kind == ENTRY_FILE)
                r = hash_one(p, &p->es->v[i], h->ctx, h->buf);
        atomic_store(&p->done[i], 1);
        if (r < 0)
                stop(p, r);
        else if (atomic_load(&p->waiting) == i)
                wake(p);
        return r == 0;
}

static void *worker(void *arg) {
        struct hash_pool *p = arg;
        struct hasher h;
        int r = hasher_init(&h, p->nbanks);

        if (r < 0)
                stop(p, r);
        else
                while (hash_next(p, &h))
                        ;
        hasher_free(&h, p->nbanks);
        return NULL;
}

int hash_pool_start(int rootfd, struct entries *es, const uint16_t *banks, size_t nbanks, unsigned threads,
                    struct hash_pool **ret, cvm_error *err) {
        struct hash_pool *p = NULL;
        atomic_uchar *done;
        int r;

        if (nbanks > CVM_MEASURE_MAX_BANKS)
                return cvm_error_set(err, EINVAL, "%zu banks asked for, at most %d", nbanks, CVM_MEASURE_MAX_BANKS);
        if (!(done = calloc(es->n ? es->n : 1, sizeof(*done))) || !(p = malloc(sizeof(*p)))) {
                free(done);
                return cvm_error_set(err, ENOMEM, "out of memory");
        }
        *p = (struct hash_pool) { .rootfd = rootfd, .es = es, .nbanks = nbanks, .done = done,
                                  .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };
        atomic_init(&p->next, 0);
        atomic_init(&p->fatal, 0);
        atomic_init(&p->waiting, SIZE_MAX);
        for (size_t b = 0; b < nbanks; b++)
                if ((r = crypto_md(banks[b], &p->mds[b], err)) < 0) {
                        hash_pool_end(p);
                        return r;
                }
        if ((r = hasher_init(&p->self, nbanks)) < 0) {
                hash_pool_end(p);
                return cvm_error_set(err, -r, "out of memory");
        }
        if (threads == 0) {
                long n = sysconf(_SC_NPROCESSORS_ONLN);
                threads = n > 0 ? (unsigned) n : 1;
        }
        /* A worker that cannot start leaves its share to the others and the caller. */
        while (p->started + 1 < threads && p->started < MAX_THREADS &&
               pthread_create(&p->tid[p->started], NULL, worker, p) == 0)
                p->started++;
        *ret = p;
        return 0;
}

int hash_pool_wait(struct hash_pool *p, size_t i, cvm_error *err) {
        for (;;) {
                int f = atomic_load(&p->fatal);

                if (f < 0)
                        return cvm_error_set(err, -f, "hashing failed: %s", strerror(-f));
                if (atomic_load(&p->done[i]))
                        return 0;
                if (hash_next(p, &p->self))
                        continue;
                /* Nothing left to claim: entry i is another thread's, which signals when it is done. */
                pthread_mutex_lock(&p->lock);
                atomic_store(&p->waiting, i);
                while (!atomic_load(&p->done[i]) && atomic_load(&p->fatal) == 0)
                        pthread_cond_wait(&p->cond, &p->lock);
                atomic_store(&p->waiting, SIZE_MAX);
                pthread_mutex_unlock(&p->lock);
        }
}

void hash_pool_end(struct hash_pool *p) {
        int zero = 0;

        if (!p)
                return;
        atomic_compare_exchange_strong(&p->fatal, &zero, -ECANCELED);
        for (unsigned t = 0; t < p->started; t++)
                pthread_join(p->tid[t], NULL);
        hasher_free(&p->self, p->nbanks);
        pthread_mutex_destroy(&p->lock);
        pthread_cond_destroy(&p->cond);
        free(p->done);
        free(p);
}
