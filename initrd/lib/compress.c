/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Compressing a new segment so the kernel can read it and the bytes never
 * depend on the clock: gzip without a name or mtime, xz with CRC32 (the
 * kernel's XZ decoder does not check CRC64, which libarchive's xz filter
 * always writes), zstd, the legacy .lzma and bzip2.  Levels are the ones
 * mkinitramfs uses: gzip 6, zstd 1, xz and lzma 6, bzip2 9.
 *
 * gzip, xz and zstd compress on every core, in blocks whose bounds depend on
 * the input alone (gzip: compress_gzip.c; xz: 1 MiB blocks; zstd: 1 MiB
 * jobs), so the bytes do not depend on the thread count.  .lzma and bzip2
 * stay on one: the kernel reads a single stream of either, which has no
 * independent blocks to share out.
 */

#include <bzlib.h>
#include <errno.h>
#include <lzma.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <unistd.h>
#include <zstd.h>

#include "initrd_internal.h"

#define OUTBUF (256 * 1024)
#define MAX_THREADS 64
/* xz's and zstd's independent units; xz's dictionary need not exceed its block. */
#define XZ_BLOCK (1024 * 1024)
#define ZSTD_JOB (1024 * 1024)

struct initrd_compressor {
        enum cvm_initrd_compression c;
        int fd;
        uint64_t written;
        uint8_t *out;
        union {
                initrd_gzip *gz;
                lzma_stream x;
                bz_stream b;
                ZSTD_CStream *zs;
        };
};

static int flush_out(initrd_compressor *z, size_t n, cvm_error *err) {
        z->written += n;
        return write_all(z->fd, z->out, n, NULL, err);
}

/* $CVM_INITRD_THREADS (1-64) if set, else the online CPUs (at most 64); -EINVAL naming a bad value. */
static int compress_threads(unsigned *ret, cvm_error *err) {
        const char *v = getenv("CVM_INITRD_THREADS");
        uint64_t n;
        int cpus;

        if (v && *v) {
                if (cvm_parse_uint(v, SIZE_MAX, 10, MAX_THREADS, &n) < 0 || n == 0)
                        return cvm_error_set(err, EINVAL, "CVM_INITRD_THREADS='%s': expected a number from 1 to %d", v,
                                             MAX_THREADS);
                *ret = (unsigned) n;
                return 0;
        }
        cpus = get_nprocs();
        *ret = cpus < 1 ? 1 : cpus > MAX_THREADS ? MAX_THREADS : (unsigned) cpus;
        return 0;
}

/* xz in XZ_BLOCK blocks on threads threads, CRC32 for the kernel. */
static bool xz_encoder(lzma_stream *x, unsigned threads) {
        lzma_options_lzma opt;
        lzma_filter filters[2] = { { LZMA_FILTER_LZMA2, &opt }, { LZMA_VLI_UNKNOWN, NULL } };
        lzma_mt mt = { .threads = threads, .block_size = XZ_BLOCK, .filters = filters, .check = LZMA_CHECK_CRC32 };

        if (lzma_lzma_preset(&opt, 6))
                return false;
        opt.dict_size = XZ_BLOCK;
        *x = (lzma_stream) LZMA_STREAM_INIT;
        return lzma_stream_encoder_mt(x, &mt) == LZMA_OK;
}

/* zstd level 1 with a checksum; nbWorkers >= 1 even on one core, as its output differs from nbWorkers 0. */
static bool zstd_encoder(ZSTD_CStream **zs, unsigned threads) {
        *zs = ZSTD_createCStream();
        return *zs && !ZSTD_isError(ZSTD_CCtx_setParameter(*zs, ZSTD_c_compressionLevel, 1)) &&
               !ZSTD_isError(ZSTD_CCtx_setParameter(*zs, ZSTD_c_checksumFlag, 1)) &&
               !ZSTD_isError(ZSTD_CCtx_setParameter(*zs, ZSTD_c_nbWorkers, (int) threads)) &&
               !ZSTD_isError(ZSTD_CCtx_setParameter(*zs, ZSTD_c_jobSize, ZSTD_JOB));
}

int initrd_compressor_new(enum cvm_initrd_compression c, int fd, initrd_compressor **ret, cvm_error *err) {
        initrd_compressor *z;
        unsigned threads = 1;
        bool ok;
        int r = compress_threads(&threads, err);

        if (r < 0)
                return r;
        z = calloc(1, sizeof(*z));
        if (!z || !(z->out = malloc(OUTBUF))) {
                free(z);
                return cvm_error_set(err, ENOMEM, "out of memory");
        }
        z->c = c;
        z->fd = fd;
        switch (c) {
        case CVM_INITRD_NONE:
                ok = true;
                break;
        case CVM_INITRD_GZIP:
                ok = initrd_gzip_new(threads, fd, &z->gz, NULL) == 0;
                break;
        case CVM_INITRD_XZ:
                ok = xz_encoder(&z->x, threads);
                break;
        case CVM_INITRD_LZMA: {
                lzma_options_lzma opt;
                z->x = (lzma_stream) LZMA_STREAM_INIT;
                ok = !lzma_lzma_preset(&opt, 6) && lzma_alone_encoder(&z->x, &opt) == LZMA_OK;
                break;
        }
        case CVM_INITRD_BZIP2:
                ok = BZ2_bzCompressInit(&z->b, 9, 0, 0) == BZ_OK;
                break;
        case CVM_INITRD_ZSTD:
                ok = zstd_encoder(&z->zs, threads);
                break;
        default:
                free(z->out);
                free(z);
                return cvm_error_set(err, EOPNOTSUPP, "cannot write %s segments", cvm_initrd_compression_name(c));
        }
        if (!ok) {
                initrd_compressor_finish(z, false, NULL, NULL);
                return cvm_error_set(err, ENOMEM, "cannot start a %s encoder", cvm_initrd_compression_name(c));
        }
        *ret = z;
        return 0;
}

/* Run the codec over in (flushing the end when finish); output goes to fd. */
static int pump(initrd_compressor *z, const void *in, size_t len, bool finish, cvm_error *err) {
        int r;

        switch (z->c) {
        case CVM_INITRD_NONE:
                z->written += len;
                return write_all(z->fd, in, len, NULL, err);
        case CVM_INITRD_GZIP:
                return finish ? 0 : initrd_gzip_write(z->gz, in, len, err);
        case CVM_INITRD_XZ:
        case CVM_INITRD_LZMA:
                z->x.next_in = in;
                z->x.avail_in = len;
                for (;;) {
                        lzma_ret lr;
                        z->x.next_out = z->out;
                        z->x.avail_out = OUTBUF;
                        lr = lzma_code(&z->x, finish ? LZMA_FINISH : LZMA_RUN);
                        if (lr != LZMA_OK && lr != LZMA_STREAM_END)
                                return cvm_error_set(err, EIO, "%s encoder failed (liblzma error %d)",
                                                     cvm_initrd_compression_name(z->c), (int) lr);
                        r = flush_out(z, OUTBUF - z->x.avail_out, err);
                        if (r < 0)
                                return r;
                        if (finish ? lr == LZMA_STREAM_END : z->x.avail_in == 0 && z->x.avail_out != 0)
                                return 0;
                }
        case CVM_INITRD_BZIP2:
                z->b.next_in = (char *) in;
                z->b.avail_in = (unsigned) len;
                for (;;) {
                        int br;
                        z->b.next_out = (char *) z->out;
                        z->b.avail_out = OUTBUF;
                        br = BZ2_bzCompress(&z->b, finish ? BZ_FINISH : BZ_RUN);
                        if (br < 0)
                                return cvm_error_set(err, EIO, "bzip2 encoder failed (libbz2 error %d)", br);
                        r = flush_out(z, OUTBUF - z->b.avail_out, err);
                        if (r < 0)
                                return r;
                        if (finish ? br == BZ_STREAM_END : z->b.avail_in == 0 && z->b.avail_out != 0)
                                return 0;
                }
        case CVM_INITRD_ZSTD: {
                ZSTD_inBuffer ib = { in, len, 0 };
                for (;;) {
                        ZSTD_outBuffer ob = { z->out, OUTBUF, 0 };
                        size_t left = ZSTD_compressStream2(z->zs, &ob, &ib, finish ? ZSTD_e_end : ZSTD_e_continue);
                        if (ZSTD_isError(left))
                                return cvm_error_set(err, EIO, "zstd encoder failed: %s", ZSTD_getErrorName(left));
                        r = flush_out(z, ob.pos, err);
                        if (r < 0)
                                return r;
                        if (finish ? left == 0 : ib.pos == ib.size)
                                return 0;
                }
        }
        default:
                return cvm_error_set(err, EINVAL, "no encoder");
        }
}

int initrd_compressor_write(initrd_compressor *z, const void *buf, size_t len, cvm_error *err) {
        const uint8_t *p = buf;

        /* zlib and libbz2 count input in 32-bit units. */
        while (len > 0) {
                size_t n = len > (1u << 30) ? (1u << 30) : len;
                int r = pump(z, p, n, false, err);
                if (r < 0)
                        return r;
                p += n;
                len -= n;
        }
        return 0;
}

int initrd_compressor_finish(initrd_compressor *z, bool ok, uint64_t *written, cvm_error *err) {
        int r = ok ? pump(z, NULL, 0, true, err) : 0;

        switch (z->c) {
        case CVM_INITRD_GZIP:
                if (z->gz) {
                        uint64_t n = 0;
                        int k = initrd_gzip_finish(z->gz, ok && r == 0, &n, err);
                        z->written += n;
                        r = r < 0 ? r : k;
                }
                break;
        case CVM_INITRD_XZ:
        case CVM_INITRD_LZMA:
                lzma_end(&z->x);
                break;
        case CVM_INITRD_BZIP2:
                BZ2_bzCompressEnd(&z->b);
                break;
        case CVM_INITRD_ZSTD:
                ZSTD_freeCStream(z->zs);
                break;
        default:
                break;
        }
        if (written)
                *written = z->written;
        free(z->out);
        free(z);
        return r;
}
