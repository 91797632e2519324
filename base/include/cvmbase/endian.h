/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * Fixed-width integers in untrusted bytes: little-endian (TCG logs, cpio, ELF)
 * and big-endian (TPM structures, CEL TLV, the QGS protocol) readers and
 * writers, and a bounds-checked little-endian cursor.
 */

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A bounds-checked little-endian cursor over untrusted bytes. */
struct reader {
        const uint8_t *buf;
        size_t len;
        size_t off;
};

static inline size_t rd_left(const struct reader *r) {
        assert(r->off <= r->len);
        return r->len - r->off;
}

static inline bool rd_has(const struct reader *r, size_t n) {
        return rd_left(r) >= n;
}

/* Callers check rd_has() first (asserted); these never read past len. */
static inline uint8_t rd_u8(struct reader *r) {
        assert(rd_has(r, 1));
        return r->buf[r->off++];
}

static inline uint16_t rd_u16(struct reader *r) {
        assert(rd_has(r, 2));
        uint16_t v = (uint16_t) (r->buf[r->off] | r->buf[r->off + 1] << 8);
        r->off += 2;
        return v;
}

static inline uint32_t rd_u32(struct reader *r) {
        assert(rd_has(r, 4));
        const uint8_t *p = r->buf + r->off;
        r->off += 4;
        return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 | (uint32_t) p[3] << 24;
}

static inline uint64_t rd_u64(struct reader *r) {
        uint64_t lo = rd_u32(r);
        return lo | (uint64_t) rd_u32(r) << 32;
}

static inline const uint8_t *rd_bytes(struct reader *r, size_t n) {
        assert(rd_has(r, n));
        const uint8_t *p = r->buf + r->off;
        r->off += n;
        return p;
}

static inline uint32_t le32(const uint8_t *p) {
        return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 | (uint32_t) p[3] << 24;
}

static inline uint16_t le16(const uint8_t *p) {
        return (uint16_t) (p[0] | p[1] << 8);
}

static inline uint64_t le64(const uint8_t *p) {
        return (uint64_t) le32(p) | (uint64_t) le32(p + 4) << 32;
}

static inline void put_le16(uint8_t *p, uint16_t v) {
        p[0] = (uint8_t) v;
        p[1] = (uint8_t) (v >> 8);
}

static inline void put_le32(uint8_t *p, uint32_t v) {
        for (int i = 0; i < 4; i++)
                p[i] = (uint8_t) (v >> (8 * i));
}

static inline uint32_t be32(const uint8_t *p) {
        return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3];
}

static inline void put_be32(uint8_t *p, uint32_t v) {
        for (int i = 0; i < 4; i++)
                p[i] = (uint8_t) (v >> (24 - 8 * i));
}
