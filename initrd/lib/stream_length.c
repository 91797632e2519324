/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Where a compressed segment ends.  No container records it: the kernel
 * learns it from its decompressor, which stops at the stream's end marker
 * and reports the bytes it consumed.  So does this file, with each format's
 * own library (gzip: ISA-L, gunzip.c); the output is discarded.
 */

#include <bzlib.h>
#include <errno.h>
#include <stdlib.h>
#include <lzma.h>
#include <zstd.h>

#include "initrd_internal.h"

#define SCRATCH (256 * 1024)
/* xz -9 and lzma -9 decode in 65 MiB; a header asking for more is hostile (the fuzzer found a 4 GiB one). */
#define LZMA_MEMLIMIT (256ULL << 20)

static int too_big(cvm_error *err) {
        return cvm_error_set(err, EFBIG, "expands past %llu bytes; refusing it",
                             (unsigned long long) INITRD_MAX_UNPACKED);
}

static int no_end(cvm_error *err, size_t len) {
        return cvm_error_set(err, EBADMSG, "the compressed stream does not end within the %zu bytes that follow (truncated?)",
                             len);
}

static int gzip_length(const uint8_t *buf, size_t len, uint64_t *ret, cvm_error *err) {
        initrd_gunzip *z;
        const void *out;
        size_t n;
        int r;

        if (initrd_gunzip_new(buf, len, &z) < 0)
                return cvm_error_set(err, ENOMEM, "cannot start a gzip decoder");
        while ((r = initrd_gunzip_read(z, &out, &n, err)) > 0)
                ;
        *ret = initrd_gunzip_consumed(z);
        initrd_gunzip_free(z);
        return r;
}

static int zstd_length(const uint8_t *buf, size_t len, uint64_t *ret, cvm_error *err) {
        size_t n = ZSTD_findFrameCompressedSize(buf, len);

        if (ZSTD_isError(n))
                return cvm_error_set(err, EBADMSG, "corrupt or truncated zstd frame: %s", ZSTD_getErrorName(n));
        *ret = n;
        return 0;
}

/* xz and the legacy .lzma: liblzma, single stream, stops at the stream's end. */
static int lzma_length(bool xz, const uint8_t *buf, size_t len, uint64_t *ret, cvm_error *err) {
        _cleanup_free_ uint8_t *out = malloc(SCRATCH);
        lzma_stream s = LZMA_STREAM_INIT;
        lzma_ret lr;

        if (!out)
                return cvm_error_set(err, ENOMEM, "out of memory");
        lr = xz ? lzma_stream_decoder(&s, LZMA_MEMLIMIT, 0) : lzma_alone_decoder(&s, LZMA_MEMLIMIT);
        if (lr != LZMA_OK)
                return cvm_error_set(err, ENOMEM, "cannot start an %s decoder", xz ? "xz" : "lzma");
        s.next_in = buf;
        s.avail_in = len;
        do {
                s.next_out = out;
                s.avail_out = SCRATCH;
                lr = lzma_code(&s, LZMA_FINISH);
                if (s.total_out > INITRD_MAX_UNPACKED) {
                        lzma_end(&s);
                        return too_big(err);
                }
        } while (lr == LZMA_OK);
        *ret = s.total_in;
        lzma_end(&s);
        if (lr == LZMA_STREAM_END)
                return 0;
        if (lr == LZMA_BUF_ERROR)
                return no_end(err, len);
        if (lr == LZMA_MEMLIMIT_ERROR)
                return cvm_error_set(err, EFBIG, "the %s stream needs more than %llu MiB to decode; refusing it",
                                     xz ? "xz" : "lzma", LZMA_MEMLIMIT >> 20);
        return cvm_error_set(err, EBADMSG, "corrupt %s stream near byte %llu of it (liblzma error %d)",
                             xz ? "xz" : "lzma", (unsigned long long) *ret, (int) lr);
}

static int bzip2_length(const uint8_t *buf, size_t len, uint64_t *ret, cvm_error *err) {
        _cleanup_free_ char *out = malloc(SCRATCH);
        bz_stream b = { 0 };
        uint64_t total_out;
        int br;

        if (!out || BZ2_bzDecompressInit(&b, 0, 0) != BZ_OK)
                return cvm_error_set(err, ENOMEM, "cannot start a bzip2 decoder");
        b.next_in = (char *) buf;
        b.avail_in = len > UINT32_MAX ? UINT32_MAX : (unsigned) len;
        do {
                b.next_out = out;
                b.avail_out = SCRATCH;
                br = BZ2_bzDecompress(&b);
                total_out = (uint64_t) b.total_out_hi32 << 32 | b.total_out_lo32;
                if (total_out > INITRD_MAX_UNPACKED) {
                        BZ2_bzDecompressEnd(&b);
                        return too_big(err);
                }
        } while (br == BZ_OK && (b.avail_in > 0 || b.avail_out == 0));
        *ret = (uint64_t) b.total_in_hi32 << 32 | b.total_in_lo32;
        BZ2_bzDecompressEnd(&b);
        if (br == BZ_STREAM_END)
                return 0;
        if (br == BZ_OK)
                return no_end(err, len);
        return cvm_error_set(err, EBADMSG, "corrupt bzip2 stream near byte %llu of it (libbz2 error %d)",
                             (unsigned long long) *ret, br);
}

/*
 * The legacy lz4 frame the kernel reads: a magic, then chunks of a 32-bit
 * compressed size and that many bytes, up to the end of the input or a
 * zero size (the padding before the next segment).  No chunk may exceed
 * what 8 MiB of input compresses to at worst.
 */
static int lz4_length(const uint8_t *buf, size_t len, uint64_t *ret, cvm_error *err) {
        const uint32_t magic = 0x184c2102, max_chunk = (8u << 20) + (8u << 20) / 255 + 16;
        size_t pos = 4;

        while (len - pos >= 4) {
                uint32_t n = (uint32_t) buf[pos] | (uint32_t) buf[pos + 1] << 8 | (uint32_t) buf[pos + 2] << 16 |
                             (uint32_t) buf[pos + 3] << 24;
                if (n == 0)
                        break;
                pos += 4;
                if (n == magic)
                        continue;
                if (n > max_chunk)
                        return cvm_error_set(err, EBADMSG, "lz4 chunk at byte %zu of it claims %u bytes (at most %u)",
                                             pos - 4, n, max_chunk);
                if (n > len - pos)
                        return no_end(err, len);
                pos += n;
        }
        *ret = pos;
        return 0;
}

int initrd_stream_length(enum cvm_initrd_compression c, const uint8_t *buf, size_t len, uint64_t *ret,
                         cvm_error *err) {
        switch (c) {
        case CVM_INITRD_GZIP:
                return gzip_length(buf, len, ret, err);
        case CVM_INITRD_ZSTD:
                return zstd_length(buf, len, ret, err);
        case CVM_INITRD_XZ:
                return lzma_length(true, buf, len, ret, err);
        case CVM_INITRD_LZMA:
                return lzma_length(false, buf, len, ret, err);
        case CVM_INITRD_BZIP2:
                return bzip2_length(buf, len, ret, err);
        case CVM_INITRD_LZ4:
                return lz4_length(buf, len, ret, err);
        default:
                return cvm_error_set(err, EINVAL, "not a compression");
        }
}
