/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gzip on all cores, pigz's way: the input is cut into fixed 256 KiB blocks,
 * each deflated on its own (primed with the 32 KiB before it, ended with a
 * sync flush so the next starts on a byte), and the pieces joined into ONE
 * gzip member with the combined CRC.  One member because the kernel's
 * initramfs unpacker wants a whole cpio archive in each compressed stream.
 * zlib has no such mode and pigz is a program, not a library, hence this
 * file.  The cuts depend on the input alone, so the bytes are the same with
 * any number of threads.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "initrd_internal.h"

#define BLOCK (256 * 1024)
#define DICT (32 * 1024)
#define BLOCKS_PER_THREAD 4

struct gz_job {
        const uint8_t *in, *dict;
        size_t len, dict_len;
        uint8_t *out;
        size_t out_cap, out_len;
        uLong crc;
        bool last, failed;
};

struct initrd_gzip {
        int fd;
        unsigned threads;
        size_t nblocks;          /* blocks per batch */
        uint8_t *in;             /* nblocks * BLOCK of input */
        size_t in_len;
        uint8_t tail[DICT];      /* the last DICT bytes before in */
        size_t tail_len;
        struct gz_job *jobs;
        atomic_size_t next;
        size_t njobs;
        uLong crc;
        uint64_t isize, written;
        bool started;
};

static void deflate_job(struct gz_job *j) {
        z_stream s = { 0 };
        int zr;

        j->failed = true;
        if (deflateInit2(&s, 6, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
                return;
        if (j->dict_len > 0 && deflateSetDictionary(&s, j->dict, (uInt) j->dict_len) != Z_OK)
                goto out;
        s.next_in = (Bytef *) j->in;
        s.avail_in = (uInt) j->len;
        s.next_out = j->out;
        s.avail_out = (uInt) j->out_cap;
        zr = deflate(&s, j->last ? Z_FINISH : Z_SYNC_FLUSH);
        if ((j->last ? zr == Z_STREAM_END : zr == Z_OK) && s.avail_in == 0 && s.avail_out > 0) {
                j->out_len = j->out_cap - s.avail_out;
                j->crc = crc32(0, j->in, (uInt) j->len);
                j->failed = false;
        }
out:
        deflateEnd(&s);
}

static void *worker(void *p) {
        struct initrd_gzip *g = p;

        for (size_t i; (i = atomic_fetch_add(&g->next, 1)) < g->njobs;)
                deflate_job(&g->jobs[i]);
        return NULL;
}

/* Deflate the batch's blocks on up to threads threads, the calling one included. */
static void run_jobs(struct initrd_gzip *g) {
        pthread_t t[64];
        size_t n = 0;

        atomic_store(&g->next, 0);
        while (n + 1 < g->threads && n + 1 < g->njobs && n < sizeof(t) / sizeof(t[0]) &&
               pthread_create(&t[n], NULL, worker, g) == 0)
                n++;
        worker(g);
        while (n > 0)
                pthread_join(t[--n], NULL);
}

static const uint8_t gzip_header[10] = { 0x1f, 0x8b, Z_DEFLATED, 0, 0, 0, 0, 0, 0, 3 };

/* Compress and write the buffered input; with last, its final block ends the stream. */
static int flush_batch(struct initrd_gzip *g, bool last, cvm_error *err) {
        size_t nb = last && g->in_len == 0 ? 1 : (g->in_len + BLOCK - 1) / BLOCK;
        int r;

        for (size_t i = 0; i < nb; i++) {
                struct gz_job *j = &g->jobs[i];
                size_t off = i * BLOCK;

                j->in = g->in + off;
                j->len = g->in_len - off < BLOCK ? g->in_len - off : BLOCK;
                j->dict = i > 0 ? j->in - DICT : g->tail;
                j->dict_len = i > 0 ? DICT : g->tail_len;
                j->last = last && i + 1 == nb;
        }
        g->njobs = nb;
        run_jobs(g);
        if (!g->started) {
                if ((r = write_all(g->fd, gzip_header, sizeof(gzip_header), NULL, err)) < 0)
                        return r;
                g->written += sizeof(gzip_header);
                g->started = true;
        }
        for (size_t i = 0; i < nb; i++) {
                struct gz_job *j = &g->jobs[i];
                if (j->failed)
                        return cvm_error_set(err, EIO, "gzip encoder failed");
                if ((r = write_all(g->fd, j->out, j->out_len, NULL, err)) < 0)
                        return r;
                g->written += j->out_len;
                g->crc = crc32_combine(g->crc, j->crc, (z_off_t) j->len);
                g->isize += j->len;
        }
        g->tail_len = g->in_len < DICT ? g->in_len : DICT;
        memcpy(g->tail, g->in + g->in_len - g->tail_len, g->tail_len);
        g->in_len = 0;
        return 0;
}

int initrd_gzip_new(unsigned threads, int fd, initrd_gzip **ret, cvm_error *err) {
        initrd_gzip *g = calloc(1, sizeof(*g));

        if (!g)
                return cvm_error_set(err, ENOMEM, "out of memory");
        g->fd = fd;
        g->threads = threads > 0 ? threads : 1;
        g->nblocks = (size_t) g->threads * BLOCKS_PER_THREAD;
        g->crc = crc32(0, NULL, 0);
        g->in = malloc(g->nblocks * BLOCK);
        g->jobs = calloc(g->nblocks, sizeof(*g->jobs));
        for (size_t i = 0; g->in && g->jobs && i < g->nblocks; i++) {
                g->jobs[i].out_cap = compressBound(BLOCK) + 64;
                if (!(g->jobs[i].out = malloc(g->jobs[i].out_cap)))
                        break;
        }
        if (!g->in || !g->jobs || !g->jobs[g->nblocks - 1].out) {
                initrd_gzip_finish(g, false, NULL, NULL);
                return cvm_error_set(err, ENOMEM, "out of memory");
        }
        *ret = g;
        return 0;
}

/* A full batch is compressed only when more input comes, so the last block is always the one flagged last. */
int initrd_gzip_write(initrd_gzip *g, const void *buf, size_t len, cvm_error *err) {
        const uint8_t *p = buf;
        size_t cap = g->nblocks * BLOCK;
        int r;

        while (len > 0) {
                size_t n;
                if (g->in_len == cap && (r = flush_batch(g, false, err)) < 0)
                        return r;
                n = len < cap - g->in_len ? len : cap - g->in_len;
                memcpy(g->in + g->in_len, p, n);
                g->in_len += n;
                p += n;
                len -= n;
        }
        return 0;
}

int initrd_gzip_finish(initrd_gzip *g, bool ok, uint64_t *written, cvm_error *err) {
        uint8_t trailer[8];
        int r = 0;

        if (ok && (r = flush_batch(g, true, err)) == 0) {
                for (int i = 0; i < 4; i++) {
                        trailer[i] = (uint8_t) (g->crc >> (8 * i));
                        trailer[4 + i] = (uint8_t) (g->isize >> (8 * i));
                }
                r = write_all(g->fd, trailer, sizeof(trailer), NULL, err);
                g->written += sizeof(trailer);
        }
        if (written)
                *written = g->written;
        for (size_t i = 0; g->jobs && i < g->nblocks; i++)
                free(g->jobs[i].out);
        free(g->jobs);
        free(g->in);
        free(g);
        return r;
}
