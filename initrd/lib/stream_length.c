/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Where a compressed segment ends.  No container records it: the kernel
 * learns it from its decompressor, which stops at the stream's end marker
 * and reports the bytes it consumed.  So does this file for gzip, xz, lzma
 * and bzip2 (decode.c, the output discarded); zstd and lz4 frames say where
 * they end in their headers.
 */

#include <errno.h>
#include <zstd.h>

#include "initrd_internal.h"

/* The codecs whose end only decoding finds: decode (decode.c), output discarded. */
static int decode_length(enum cvm_initrd_compression c, const uint8_t *buf, size_t len, uint64_t *ret,
                         cvm_error *err) {
        initrd_decoder *d;
        const void *out;
        size_t n;
        int r;

        if ((r = initrd_decoder_new(c, buf, len, &d, err)) < 0)
                return r;
        while ((r = initrd_decoder_read(d, &out, &n, err)) > 0)
                ;
        *ret = initrd_decoder_consumed(d);
        initrd_decoder_free(d);
        return r;
}

static int zstd_length(const uint8_t *buf, size_t len, uint64_t *ret, cvm_error *err) {
        size_t n = ZSTD_findFrameCompressedSize(buf, len);

        if (ZSTD_isError(n))
                return cvm_error_set(err, EBADMSG, "corrupt or truncated zstd frame: %s", ZSTD_getErrorName(n));
        *ret = n;
        return 0;
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
                        return initrd_no_end(err, len);
                pos += n;
        }
        *ret = pos;
        return 0;
}

int initrd_stream_length(enum cvm_initrd_compression c, const uint8_t *buf, size_t len, uint64_t *ret,
                         cvm_error *err) {
        switch (c) {
        case CVM_INITRD_GZIP:
        case CVM_INITRD_XZ:
        case CVM_INITRD_LZMA:
        case CVM_INITRD_BZIP2:
                return decode_length(c, buf, len, ret, err);
        case CVM_INITRD_ZSTD:
                return zstd_length(buf, len, ret, err);
        case CVM_INITRD_LZ4:
                return lz4_length(buf, len, ret, err);
        default:
                return cvm_error_set(err, EINVAL, "not a compression");
        }
}
