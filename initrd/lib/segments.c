/* SPDX-License-Identifier: Apache-2.0 */
/* Finding the segments of an initramfs the way the kernel's unpack_to_rootfs() does. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "initrd_internal.h"

#define NEWC_HEADER 110
#define NEWC_FIELDS 13
#define TRAILER "TRAILER!!!"

enum { F_INO, F_MODE, F_UID, F_GID, F_NLINK, F_MTIME, F_FILESIZE, F_MAJ, F_MIN, F_RMAJ, F_RMIN, F_NAMESIZE, F_CHECK };

static const char *const names[_CVM_INITRD_COMPRESSION_MAX] = {
        [CVM_INITRD_NONE] = "none",   [CVM_INITRD_GZIP] = "gzip",   [CVM_INITRD_ZSTD] = "zstd",
        [CVM_INITRD_XZ] = "xz",       [CVM_INITRD_LZMA] = "lzma",   [CVM_INITRD_BZIP2] = "bzip2",
        [CVM_INITRD_LZ4] = "lz4",
};

const char *cvm_initrd_compression_name(enum cvm_initrd_compression c) {
        return (unsigned) c < _CVM_INITRD_COMPRESSION_MAX ? names[c] : "unknown";
}

int cvm_initrd_compression_from_name(const char *name, enum cvm_initrd_compression *ret) {
        for (unsigned i = 0; i < _CVM_INITRD_COMPRESSION_MAX; i++)
                if (strcmp(name, names[i]) == 0) {
                        *ret = i;
                        return 0;
                }
        return -EINVAL;
}

bool cvm_initrd_can_compress(enum cvm_initrd_compression c) {
        return c < _CVM_INITRD_COMPRESSION_MAX && c != CVM_INITRD_LZ4;
}

/* The magics of lib/decompress.c, the table the kernel chooses a decompressor from. */
int initrd_detect_compression(const uint8_t *b, size_t n) {
        static const struct {
                uint8_t magic[6];
                size_t len;
                int c;
        } magics[] = {
                { { 0x1f, 0x8b }, 2, CVM_INITRD_GZIP },
                { { 0x1f, 0x9e }, 2, CVM_INITRD_GZIP },
                { { 'B', 'Z', 'h' }, 3, CVM_INITRD_BZIP2 },
                { { 0x5d, 0x00, 0x00 }, 3, CVM_INITRD_LZMA },
                { { 0xfd, '7', 'z', 'X', 'Z', 0x00 }, 6, CVM_INITRD_XZ },
                { { 0x89, 'L', 'Z', 'O' }, 4, -2 },
                { { 0x02, 0x21, 0x4c, 0x18 }, 4, CVM_INITRD_LZ4 },
                { { 0x28, 0xb5, 0x2f, 0xfd }, 4, CVM_INITRD_ZSTD },
        };
        for (size_t i = 0; i < sizeof(magics) / sizeof(magics[0]); i++)
                if (n >= magics[i].len && memcmp(b, magics[i].magic, magics[i].len) == 0)
                        return magics[i].c;
        return -1;
}

static int hex_field(const uint8_t *p, uint32_t *ret) {
        uint32_t v = 0;
        for (int i = 0; i < 8; i++) {
                int d;
                if (p[i] >= '0' && p[i] <= '9')
                        d = p[i] - '0';
                else if (p[i] >= 'a' && p[i] <= 'f')
                        d = p[i] - 'a' + 10;
                else if (p[i] >= 'A' && p[i] <= 'F')
                        d = p[i] - 'A' + 10;
                else
                        return -EBADMSG;
                v = v << 4 | (uint32_t) d;
        }
        *ret = v;
        return 0;
}

static uint64_t pad4(uint64_t x) {
        return (x + 3) & ~(uint64_t) 3;
}

int cvm_initrd_cpio_length(const uint8_t *buf, size_t len, uint64_t *ret, cvm_error *err) {
        uint64_t pos = 0;

        for (;;) {
                uint32_t f[NEWC_FIELDS];
                uint64_t name_end, data_end;

                if (len - pos < NEWC_HEADER)
                        return cvm_error_set(err, EBADMSG,
                                             "offset %llu: truncated cpio header (%zu bytes left, a newc header is %d)",
                                             (unsigned long long) pos, (size_t) (len - pos), NEWC_HEADER);
                if (memcmp(buf + pos, "07070", 5) != 0 || (buf[pos + 5] != '1' && buf[pos + 5] != '2'))
                        return cvm_error_set(err, EBADMSG, "offset %llu: expected cpio newc magic 070701 or 070702",
                                             (unsigned long long) pos);
                for (int i = 0; i < NEWC_FIELDS; i++)
                        if (hex_field(buf + pos + 6 + 8 * i, &f[i]) < 0)
                                return cvm_error_set(err, EBADMSG, "offset %llu: cpio header field %d is not hex",
                                                     (unsigned long long) (pos + 6 + 8 * i), i);
                if (f[F_NAMESIZE] == 0)
                        return cvm_error_set(err, EBADMSG, "offset %llu: cpio entry with an empty name",
                                             (unsigned long long) pos);
                name_end = pad4(pos + NEWC_HEADER + f[F_NAMESIZE]);
                if (pos + NEWC_HEADER + f[F_NAMESIZE] > len)
                        return cvm_error_set(err, EBADMSG, "offset %llu: cpio name of %u bytes runs past the end (%zu)",
                                             (unsigned long long) pos, f[F_NAMESIZE], len);
                if (buf[pos + NEWC_HEADER + f[F_NAMESIZE] - 1] != '\0')
                        return cvm_error_set(err, EBADMSG, "offset %llu: cpio name is not NUL-terminated",
                                             (unsigned long long) pos);
                data_end = pad4(name_end + f[F_FILESIZE]);
                if (name_end + f[F_FILESIZE] > len)
                        return cvm_error_set(err, EBADMSG,
                                             "offset %llu: cpio entry '%.64s' claims %u bytes of data, past the end (%zu)",
                                             (unsigned long long) pos, (const char *) buf + pos + NEWC_HEADER,
                                             f[F_FILESIZE], len);
                if (f[F_NAMESIZE] == sizeof(TRAILER) &&
                    memcmp(buf + pos + NEWC_HEADER, TRAILER, sizeof(TRAILER)) == 0) {
                        *ret = data_end < len ? data_end : len;
                        return 0;
                }
                pos = data_end;
                if (pos > len)
                        pos = len;
        }
}

static int add_segment(struct initrd_segments *segs, uint64_t off, uint64_t length, enum cvm_initrd_compression c,
                       cvm_error *err) {
        if (segs->n == segs->cap) {
                size_t nc = segs->cap ? segs->cap * 2 : 4;
                struct cvm_initrd_segment *v = realloc(segs->v, nc * sizeof(*v));
                if (!v)
                        return cvm_error_set(err, ENOMEM, "out of memory");
                segs->v = v;
                segs->cap = nc;
        }
        segs->v[segs->n++] = (struct cvm_initrd_segment) { .offset = off, .length = length, .compression = c };
        return 0;
}

int cvm_initrd_walk(const uint8_t *buf, size_t len, struct cvm_initrd_segment **ret, size_t *n_ret,
                    cvm_error *err) {
        struct initrd_segments segs = { 0 };
        int r = initrd_walk(buf, len, NULL, INITRD_WALK_ALL, NULL, NULL, &segs, err);

        if (r < 0) {
                free(segs.v);
                return r;
        }
        *ret = segs.v;
        *n_ret = segs.n;
        return 0;
}

/*
 * The length of the compressed segment of kind c at buf + pos (the last in
 * segs), as mode says to find it; *by_end when end failed (its error names
 * the image itself).
 */
static int compressed_end(const uint8_t *buf, size_t len, size_t pos, enum cvm_initrd_compression c,
                          enum initrd_walk_mode mode, initrd_end_fn end, void *ctx, struct initrd_segments *segs,
                          bool *by_end, cvm_error *err) {
        struct cvm_initrd_segment *s = &segs->v[segs->n - 1];
        int r;

        if (mode == INITRD_WALK_PREFIX) {
                s->to_end = true;
                return 0;
        }
        if (mode == INITRD_WALK_DEFER && initrd_decoder_handles(c)) {
                r = end(ctx, segs->n - 1, err);
                *by_end = r < 0;
                return r;
        }
        r = initrd_stream_length(c, buf + pos, len - pos, &s->length, err);
        return r < 0 ? cvm_error_prefix(err, "segment %zu (%s at offset %zu): ", segs->n - 1,
                                        cvm_initrd_compression_name(c), pos)
                     : 0;
}

/* The walk; *by_end when the error came from end (which named the image itself). */
static int walk(const uint8_t *buf, size_t len, enum initrd_walk_mode mode, initrd_end_fn end, void *ctx,
                struct initrd_segments *segs, bool *by_end, cvm_error *err) {
        size_t pos = 0;
        int r;

        for (;;) {
                uint64_t length = 0;
                int c;

                while (pos < len && buf[pos] == 0)
                        pos++;
                if (pos == len)
                        break;
                if (buf[pos] == '0') {
                        if (pos & 3)
                                return cvm_error_set(err, EBADMSG,
                                                     "segment %zu at offset %zu: a cpio archive must start on a 4-byte boundary",
                                                     segs->n, pos);
                        r = cvm_initrd_cpio_length(buf + pos, len - pos, &length, err);
                        if (r < 0)
                                return cvm_error_prefix(err, "segment %zu (cpio at offset %zu): ", segs->n, pos);
                        c = CVM_INITRD_NONE;
                } else {
                        c = initrd_detect_compression(buf + pos, len - pos);
                        if (c == -2)
                                return cvm_error_set(err, EOPNOTSUPP, "segment %zu at offset %zu: lzo is not supported",
                                                     segs->n, pos);
                        if (c < 0)
                                return cvm_error_set(err, EBADMSG,
                                                     "segment %zu at offset %zu: neither a cpio archive nor a known "
                                                     "compression (bytes %02x %02x)",
                                                     segs->n, pos, buf[pos], pos + 1 < len ? buf[pos + 1] : 0);
                        length = len - pos;
                }
                if ((r = add_segment(segs, pos, length, c, err)) < 0)
                        return r;
                if (c != CVM_INITRD_NONE) {
                        if ((r = compressed_end(buf, len, pos, c, mode, end, ctx, segs, by_end, err)) < 0)
                                return r;
                        if (segs->v[segs->n - 1].to_end)
                                break;
                }
                pos += segs->v[segs->n - 1].length;
        }
        if (segs->n == 0)
                return cvm_error_set(err, EBADMSG, "no cpio archive in %zu bytes", len);
        return 0;
}

int initrd_walk(const uint8_t *buf, size_t len, const char *name, enum initrd_walk_mode mode, initrd_end_fn end,
                void *ctx, struct initrd_segments *segs, cvm_error *err) {
        bool by_end = false;
        int r = walk(buf, len, mode, end, ctx, segs, &by_end, err);

        return r < 0 && name && !by_end ? cvm_error_prefix(err, "%s: ", name) : r;
}
