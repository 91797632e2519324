/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Hashing the files cvm-measure found: a bounded pool of threads taking the
 * next file from a shared counter, each file read once in large sequential
 * reads and hashed in every bank at once.  Results land in the entry, so the
 * order of events never depends on which thread finished first.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "crypto_dlopen.h"
#include "measure_internal.h"

#define READ_SIZE (1u << 20)
#define MAX_THREADS 64

struct pool {
        int rootfd;
        struct entries *es;
        const uint16_t *banks;
        size_t nbanks;
        const EVP_MD *mds[CVM_MEASURE_MAX_BANKS];
        atomic_size_t next;
        atomic_int fatal;            /* out of memory or OpenSSL failure: a negative errno */
};

static void fail_entry(struct entry *e, const char *what, int error) {
        char reason[256];

        snprintf(reason, sizeof(reason), "%s: %s", what, strerror(error));
        e->kind = ENTRY_ERROR;
        e->reason = strdup(reason);
}

/* One file, read once, every bank; 0, or <0 for a failure that is not the file's. */
static int hash_one(struct pool *p, struct entry *e, EVP_MD_CTX **ctx, uint8_t *buf) {
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

static void *worker(void *arg) {
        struct pool *p = arg;
        EVP_MD_CTX *ctx[CVM_MEASURE_MAX_BANKS] = { 0 };
        uint8_t *buf = malloc(READ_SIZE);
        int r = buf ? 0 : -ENOMEM;

        for (size_t b = 0; r == 0 && b < p->nbanks; b++)
                if (!(ctx[b] = sym_EVP_MD_CTX_new()))
                        r = -ENOMEM;
        while (r == 0 && atomic_load(&p->fatal) == 0) {
                size_t i = atomic_fetch_add(&p->next, 1);
                if (i >= p->es->n)
                        break;
                if (p->es->v[i].kind == ENTRY_FILE)
                        r = hash_one(p, &p->es->v[i], ctx, buf);
        }
        if (r < 0) {
                int zero = 0;
                atomic_compare_exchange_strong(&p->fatal, &zero, r);
        }
        for (size_t b = 0; b < p->nbanks; b++)
                sym_EVP_MD_CTX_free(ctx[b]);
        free(buf);
        return NULL;
}

int hash_entries(int rootfd, struct entries *es, const uint16_t *banks, size_t nbanks, unsigned threads, cvm_error *err) {
        struct pool p = { .rootfd = rootfd, .es = es, .banks = banks, .nbanks = nbanks };
        pthread_t tid[MAX_THREADS];
        unsigned started = 0;

        if (nbanks > CVM_MEASURE_MAX_BANKS)
                return cvm_error_set(err, EINVAL, "%zu banks asked for, at most %d", nbanks, CVM_MEASURE_MAX_BANKS);
        for (size_t b = 0; b < nbanks; b++) {
                int r = crypto_md(banks[b], &p.mds[b], err);
                if (r < 0)
                        return r;
        }
        if (threads == 0) {
                long n = sysconf(_SC_NPROCESSORS_ONLN);
                threads = n > 0 ? (unsigned) n : 1;
        }
        if (threads > MAX_THREADS)
                threads = MAX_THREADS;
        atomic_init(&p.next, 0);
        atomic_init(&p.fatal, 0);
        if (threads == 1) {
                worker(&p);
        } else {
                for (; started < threads; started++)
                        if (pthread_create(&tid[started], NULL, worker, &p) != 0)
                                break;
                if (started == 0)
                        worker(&p);
                for (unsigned i = 0; i < started; i++)
                        pthread_join(tid[i], NULL);
        }
        if (atomic_load(&p.fatal) < 0)
                return cvm_error_set(err, -atomic_load(&p.fatal), "hashing failed: %s", strerror(-atomic_load(&p.fatal)));
        return 0;
}
