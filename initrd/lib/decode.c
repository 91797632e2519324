/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Decoding a compressed segment to its exact end, for the codecs whose end
 * nothing records: gzip, xz, lzma and bzip2.  Each stops where its stream's
 * end marker is (checksums checked) and says how many bytes that took,
 * which is where the segment ends, as the kernel's decompressor reports it.
 * One decoder serves the length of a segment and its entries, so the pass
 * that reads the entries also finds the end.
 *
 * gzip is decoded by Intel's ISA-L (libisal, packaged in Debian): 2.6x
 * zlib's speed on a 144 MB initramfs here.  xz and the legacy .lzma by
 * liblzma, bzip2 by libbz2.  zstd and lz4 are not here: their frames say
 * where they end (stream_length.c), and libarchive decodes them.
 */

#include <bzlib.h>
#include <errno.h>
#include <isa-l/igzip_lib.h>
#include <lzma.h>
#include <stdlib.h>

#include "initrd_internal.h"

#define SCRATCH (256 * 1024)
/* xz -9 and lzma -9 decode in 65 MiB; a header asking for more is hostile (the fuzzer found a 4 GiB one). */
#define LZMA_MEMLIMIT (256ULL << 20)
/* ISA-L's and libbz2's avail_in are 32-bit: the input is given in windows of at most this. */
#define WINDOW (1u << 30)

struct initrd_decoder {
        enum cvm_initrd_compression c;
        const uint8_t *start;
        size_t len;
        const uint8_t *in;      /* where the current window was taken from */
        size_t left;            /* input after that window */
        uint64_t out_total;
        bool done;
        union {
                struct inflate_state gz;
                lzma_stream xz;
                bz_stream bz;
        } s;
        uint8_t out[SCRATCH];
};

int initrd_too_big(cvm_error *err) {
        return cvm_error_set(err, EFBIG, "expands past %llu bytes; refusing it", (unsigned long long) INITRD_MAX_UNPACKED);
}

int initrd_no_end(cvm_error *err, uint64_t len) {
        return cvm_error_set(err, EBADMSG,
                             "the compressed stream does not end within the %llu bytes that follow (truncated?)",
                             (unsigned long long) len);
}

bool initrd_decoder_handles(enum cvm_initrd_compression c) {
        return c == CVM_INITRD_GZIP || c == CVM_INITRD_XZ || c == CVM_INITRD_LZMA || c == CVM_INITRD_BZIP2;
}

/* The next window of input, once the last one is used up: its start and length. */
static uint32_t next_window(initrd_decoder *d, const uint8_t **p) {
        uint32_t take = d->left > WINDOW ? WINDOW : (uint32_t) d->left;

        *p = d->in;
        d->in += take;
        d->left -= take;
        return take;
}

uint64_t initrd_decoder_consumed(const initrd_decoder *d) {
        switch (d->c) {
        case CVM_INITRD_GZIP:
                return (uint64_t) (d->in - d->start) - d->s.gz.avail_in;
        case CVM_INITRD_BZIP2:
                return (uint64_t) (d->in - d->start) - d->s.bz.avail_in;
        default:
                return d->s.xz.total_in;
        }
}

static const char *isal_error(int r) {
        switch (r) {
        case ISAL_INVALID_BLOCK: return "invalid deflate block";
        case ISAL_INVALID_SYMBOL: return "invalid deflate symbol";
        case ISAL_INVALID_LOOKBACK: return "invalid back-reference distance";
        case ISAL_INVALID_WRAPPER: return "not a gzip header";
        case ISAL_UNSUPPORTED_METHOD: return "a compression method other than deflate";
        case ISAL_INCORRECT_CHECKSUM: return "the CRC or size in the trailer does not match";
        default: return "inflate failed";
        }
}

/* One call of the codec into d->out: *n bytes out, d->done at the stream's end; -errno with err set. */
static int gz_step(initrd_decoder *d, size_t *n, cvm_error *err) {
        struct inflate_state *s = &d->s.gz;
        int r;

        if (s->avail_in == 0 && d->left > 0) {
                const uint8_t *p;
                s->avail_in = next_window(d, &p);
                s->next_in = (uint8_t *) p;
        }
        s->next_out = d->out;
        s->avail_out = SCRATCH;
        r = isal_inflate(s);
        *n = SCRATCH - s->avail_out;
        if (r < 0)
                return cvm_error_set(err, EBADMSG, "corrupt gzip stream at byte %llu of it: %s",
                                     (unsigned long long) initrd_decoder_consumed(d), isal_error(r));
        d->done = s->block_state == ISAL_BLOCK_FINISH;
        return 0;
}

static int bz_step(initrd_decoder *d, size_t *n, cvm_error *err) {
        bz_stream *s = &d->s.bz;
        int r;

        if (s->avail_in == 0 && d->left > 0) {
                const uint8_t *p;
                s->avail_in = next_window(d, &p);
                s->next_in = (char *) p;
        }
        s->next_out = (char *) d->out;
        s->avail_out = SCRATCH;
        r = BZ2_bzDecompress(s);
        *n = SCRATCH - s->avail_out;
        if (r != BZ_OK && r != BZ_STREAM_END)
                return cvm_error_set(err, EBADMSG, "corrupt bzip2 stream near byte %llu of it (libbz2 error %d)",
                                     (unsigned long long) initrd_decoder_consumed(d), r);
        d->done = r == BZ_STREAM_END;
        return 0;
}

static int xz_step(initrd_decoder *d, size_t *n, cvm_error *err) {
        const char *name = d->c == CVM_INITRD_XZ ? "xz" : "lzma";
        lzma_stream *s = &d->s.xz;
        lzma_ret r;

        s->next_out = d->out;
        s->avail_out = SCRATCH;
        r = lzma_code(s, LZMA_FINISH);
        *n = SCRATCH - s->avail_out;
        d->done = r == LZMA_STREAM_END;
        if (r == LZMA_OK || r == LZMA_STREAM_END)
                return 0;
        if (r == LZMA_BUF_ERROR)
                return initrd_no_end(err, d->len);
        if (r == LZMA_MEMLIMIT_ERROR)
                return cvm_error_set(err, EFBIG, "the %s stream needs more than %llu MiB to decode; refusing it", name,
                                     LZMA_MEMLIMIT >> 20);
        return cvm_error_set(err, EBADMSG, "corrupt %s stream near byte %llu of it (liblzma error %d)", name,
                             (unsigned long long) s->total_in, (int) r);
}

int initrd_decoder_new(enum cvm_initrd_compression c, const uint8_t *buf, size_t len, initrd_decoder **ret,
                       cvm_error *err) {
        initrd_decoder *d;
        bool ok;

        if (!initrd_decoder_handles(c))
                return cvm_error_set(err, EINVAL, "%s is not decoded to find its end", cvm_initrd_compression_name(c));
        if (!(d = calloc(1, sizeof(*d))))
                return cvm_error_set(err, ENOMEM, "out of memory");
        d->c = c;
        d->start = d->in = buf;
        d->len = d->left = len;
        switch (c) {
        case CVM_INITRD_GZIP:
                isal_inflate_init(&d->s.gz);
                d->s.gz.crc_flag = ISAL_GZIP;
                ok = true;
                break;
        case CVM_INITRD_BZIP2:
                ok = BZ2_bzDecompressInit(&d->s.bz, 0, 0) == BZ_OK;
                break;
        default:
                d->s.xz = (lzma_stream) LZMA_STREAM_INIT;
                d->s.xz.next_in = buf;
                d->s.xz.avail_in = len;
                d->left = 0;
                ok = (c == CVM_INITRD_XZ ? lzma_stream_decoder(&d->s.xz, LZMA_MEMLIMIT, 0)
                                         : lzma_alone_decoder(&d->s.xz, LZMA_MEMLIMIT)) == LZMA_OK;
                break;
        }
        if (!ok) {
                free(d);
                return cvm_error_set(err, ENOMEM, "cannot start a %s decoder", cvm_initrd_compression_name(c));
        }
        *ret = d;
        return 0;
}

int initrd_decoder_read(initrd_decoder *d, const void **out, size_t *n, cvm_error *err) {
        while (!d->done) {
                uint64_t before = initrd_decoder_consumed(d);
                int r = d->c == CVM_INITRD_GZIP ? gz_step(d, n, err)
                      : d->c == CVM_INITRD_BZIP2 ? bz_step(d, n, err) : xz_step(d, n, err);

                if (r < 0)
                        return r;
                if ((d->out_total += *n) > INITRD_MAX_UNPACKED)
                        return initrd_too_big(err);
                if (*n > 0) {
                        *out = d->out;
                        return 1;
                }
                /* Nothing out and nothing taken: the input ended inside the stream. */
                if (!d->done && initrd_decoder_consumed(d) == before)
                        return initrd_no_end(err, d->len);
        }
        return 0;
}

void initrd_decoder_free(initrd_decoder *d) {
        if (!d)
                return;
        if (d->c == CVM_INITRD_BZIP2)
                BZ2_bzDecompressEnd(&d->s.bz);
        else if (d->c == CVM_INITRD_XZ || d->c == CVM_INITRD_LZMA)
                lzma_end(&d->s.xz);
        free(d);
}
