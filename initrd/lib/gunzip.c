/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One gzip member decoded with Intel's ISA-L (libisal, packaged in Debian):
 * 2.6x zlib's speed on a 144 MB initramfs here, and gzip is what Ubuntu's
 * and Debian's older images use.  It stops at the member's trailer (CRC and
 * size checked) and says how many bytes that took, which is where a gzip
 * segment ends; output comes in SCRATCH-sized blocks.
 */

#include <errno.h>
#include <isa-l/igzip_lib.h>
#include <stdlib.h>

#include "initrd_internal.h"

#define SCRATCH (256 * 1024)

struct initrd_gunzip {
        struct inflate_state s;
        const uint8_t *start;
        const uint8_t *in;        /* where s.next_in's window was last refilled from */
        size_t left;              /* input after that window */
        uint64_t out_total;
        bool done;
        uint8_t out[SCRATCH];
};

/* ISA-L's avail_in is 32-bit: a window of at most 1 GiB, moved on as it is used. */
static void refill(initrd_gunzip *z) {
        uint32_t take;

        if (z->s.avail_in > 0 || z->left == 0)
                return;
        take = z->left > (1u << 30) ? (1u << 30) : (uint32_t) z->left;
        z->s.next_in = (uint8_t *) z->in;
        z->s.avail_in = take;
        z->in += take;
        z->left -= take;
}

int initrd_gunzip_new(const uint8_t *buf, size_t len, initrd_gunzip **ret) {
        initrd_gunzip *z = malloc(sizeof(*z));

        if (!z)
                return -ENOMEM;
        isal_inflate_init(&z->s);
        z->s.crc_flag = ISAL_GZIP;
        z->start = z->in = buf;
        z->left = len;
        z->out_total = 0;
        z->done = false;
        refill(z);
        *ret = z;
        return 0;
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

int initrd_gunzip_read(initrd_gunzip *z, const void **out, size_t *n, cvm_error *err) {
        while (!z->done) {
                uint64_t before;
                int r;
                refill(z);
                before = initrd_gunzip_consumed(z);
                z->s.next_out = z->out;
                z->s.avail_out = SCRATCH;
                r = isal_inflate(&z->s);
                *n = SCRATCH - z->s.avail_out;
                if (r < 0)
                        return cvm_error_set(err, EBADMSG, "corrupt gzip stream at byte %llu of it: %s",
                                             (unsigned long long) initrd_gunzip_consumed(z), isal_error(r));
                z->done = z->s.block_state == ISAL_BLOCK_FINISH;
                if ((z->out_total += *n) > INITRD_MAX_UNPACKED)
                        return cvm_error_set(err, EFBIG, "expands past %llu bytes; refusing it",
                                             (unsigned long long) INITRD_MAX_UNPACKED);
                if (*n > 0) {
                        *out = z->out;
                        return 1;
                }
                /* Nothing out and nothing taken: the input ended inside the member (or the decoder is stuck). */
                if (!z->done && initrd_gunzip_consumed(z) == before && (z->s.avail_in == 0 || r > 0))
                        return cvm_error_set(err, EBADMSG,
                                             "the compressed stream does not end within the %llu bytes that follow (truncated?)",
                                             (unsigned long long) before);
        }
        return 0;
}

uint64_t initrd_gunzip_consumed(const initrd_gunzip *z) {
        return (uint64_t) (z->in - z->start) - z->s.avail_in;
}

void initrd_gunzip_free(initrd_gunzip *z) {
        free(z);
}
