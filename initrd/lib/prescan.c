/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A bounds check of a compressed segment's cpio stream before libarchive
 * parses it: libarchive's cpio reader reads an entry's name in one
 * read-ahead of the size the header claims, so a hostile 4 GiB namesize
 * becomes a 4 GiB allocation (fuzz_initrd found it).  The decoded stream is
 * fed through here block by block on its way to the cpio reader (entries.c)
 * and walked header by header with a small state machine; nothing is
 * buffered but one header and one name.
 */

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "initrd_internal.h"

#define NEWC_HEADER 110

enum state { START, HEADER, NAME, SKIP };

struct initrd_scan {
        enum state st;
        uint8_t hdr[NEWC_HEADER];
        char name[PATH_MAX];
        size_t have;            /* bytes of hdr or name collected */
        uint32_t namesize, filesize;
        uint64_t skip;          /* bytes left to skip in SKIP */
        uint64_t pos;           /* offset in the decompressed stream */
        uint64_t entry;         /* where the current entry's header began */
};

static int hex8(const uint8_t *p, uint32_t *ret) {
        uint32_t v = 0;
        for (int i = 0; i < 8; i++) {
                int c = p[i], d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                                      : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
                if (d < 0)
                        return -1;
                v = v << 4 | (uint32_t) d;
        }
        *ret = v;
        return 0;
}

static uint64_t pad4(uint64_t x) {
        return (4 - (x & 3)) & 3;
}

static int header_done(struct initrd_scan *s, cvm_error *err) {
        uint32_t f;

        if (memcmp(s->hdr, "07070", 5) != 0 || (s->hdr[5] != '1' && s->hdr[5] != '2'))
                return cvm_error_set(err, EBADMSG, "archive byte %llu: expected cpio newc magic 070701 or 070702",
                                     (unsigned long long) s->entry);
        for (int i = 0; i < 13; i++)
                if (hex8(s->hdr + 6 + 8 * i, &f) < 0)
                        return cvm_error_set(err, EBADMSG, "archive byte %llu: cpio header field %d is not hex",
                                             (unsigned long long) s->entry, i);
        hex8(s->hdr + 6 + 8 * 6, &s->filesize);
        hex8(s->hdr + 6 + 8 * 11, &s->namesize);
        if (s->namesize == 0 || s->namesize > sizeof(s->name))
                return cvm_error_set(err, EBADMSG, "archive byte %llu: cpio name of %u bytes (expected 1 to %zu)",
                                     (unsigned long long) s->entry, s->namesize, sizeof(s->name));
        s->st = NAME;
        s->have = 0;
        return 0;
}

static int name_done(struct initrd_scan *s, cvm_error *err) {
        if (s->name[s->namesize - 1] != '\0')
                return cvm_error_set(err, EBADMSG, "archive byte %llu: cpio name is not NUL-terminated",
                                     (unsigned long long) s->entry);
        s->skip = pad4(NEWC_HEADER + s->namesize) + s->filesize + pad4(s->filesize);
        s->st = SKIP;
        return 0;
}

static int feed(struct initrd_scan *s, const uint8_t *p, size_t n, cvm_error *err) {
        while (n > 0) {
                size_t take = 0;
                int r = 0;
                switch (s->st) {
                case START:
                        /* NUL padding between archives; a header starts 4-byte aligned, as the kernel wants. */
                        if (*p == 0) {
                                p++;
                                n--;
                                s->pos++;
                                continue;
                        }
                        if (s->pos & 3)
                                return cvm_error_set(err, EBADMSG, "archive byte %llu: a cpio header off its 4-byte boundary",
                                                     (unsigned long long) s->pos);
                        s->st = HEADER;
                        s->have = 0;
                        s->entry = s->pos;
                        continue;
                case HEADER:
                        take = n < NEWC_HEADER - s->have ? n : NEWC_HEADER - s->have;
                        memcpy(s->hdr + s->have, p, take);
                        s->have += take;
                        if (s->have == NEWC_HEADER)
                                r = header_done(s, err);
                        break;
                case NAME:
                        take = n < s->namesize - s->have ? n : s->namesize - s->have;
                        memcpy(s->name + s->have, p, take);
                        s->have += take;
                        if (s->have == s->namesize)
                                r = name_done(s, err);
                        break;
                case SKIP:
                        take = (uint64_t) n < s->skip ? n : (size_t) s->skip;
                        s->skip -= take;
                        if (s->skip == 0)
                                s->st = START;
                        break;
                }
                if (r < 0)
                        return r;
                p += take;
                n -= take;
                s->pos += take;
        }
        return 0;
}

initrd_scan *initrd_scan_new(void) {
        initrd_scan *s = calloc(1, sizeof(*s));

        if (s)
                s->st = START;
        return s;
}

int initrd_scan_feed(initrd_scan *s, const void *p, size_t n, cvm_error *err) {
        if (s->pos + n > INITRD_MAX_UNPACKED)
                return cvm_error_set(err, EFBIG, "expands past %llu bytes; refusing it", (unsigned long long) INITRD_MAX_UNPACKED);
        return feed(s, p, n, err);
}

int initrd_scan_end(const initrd_scan *s, cvm_error *err) {
        if (s->st != START)
                return cvm_error_set(err, EBADMSG, "archive byte %llu: the entry that starts there is cut off by the end of the stream",
                                     (unsigned long long) s->entry);
        return 0;
}

void initrd_scan_free(initrd_scan *s) {
        free(s);
}
