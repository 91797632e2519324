/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Authenticode digest of a PE/COFF image, as UEFI firmware measures a boot
 * application into PCR4 (EDK2 Tcg2MeasurePeImage; Microsoft PE/COFF
 * specification, "Calculating the PE Image Hash").
 *
 * Hand-written because no Debian C library exposes Authenticode hashing:
 * Debian's pesign, sbsigntool and osslsigncode (apt-cache search
 * authenticode, and this machine's package lists) ship tools, not libraries,
 * and libpe-style parsers are not packaged.  The input is hostile: every
 * header field is checked against the buffer before it is used.
 */
#include <errno.h>
#include <stdlib.h>

#include "cvm/bootchain.h"
#include "cvm/digest.h"
#include "crypto_dlopen.h"

#define PE_MAX_SECTIONS 96   /* the PE/COFF limit the Windows loader enforces */
#define DIR_SECURITY 4

/* What the hash needs from the headers, all offsets checked against the file. */
struct pe_layout {
        size_t checksum;        /* offset of OptionalHeader.CheckSum */
        size_t certdir;         /* offset of the security data directory entry; 0 if absent */
        size_t headers;         /* SizeOfHeaders */
        size_t cert_size;       /* the security directory's Size; 0 if absent */
        size_t sections;        /* offset of the section table */
        uint16_t nsections;
};

static int pe_bad(cvm_error *err, size_t off, const char *what) {
        return cvm_error_set(err, EBADMSG, "PE image: offset %zu: %s", off, what);
}

static int pe_optional(const uint8_t *pe, size_t len, size_t opt, size_t optsize, struct pe_layout *l, cvm_error *err) {
        size_t ndirs_off, dirs_off;
        uint16_t magic;
        uint32_t ndirs;

        if (optsize < 2 || opt + optsize > len)
                return pe_bad(err, opt, "optional header truncated");
        magic = le16(pe + opt);
        if (magic != 0x10b && magic != 0x20b)
                return pe_bad(err, opt, "optional header magic is neither PE32 (0x10b) nor PE32+ (0x20b)");
        ndirs_off = opt + (magic == 0x10b ? 92 : 108);
        dirs_off = opt + (magic == 0x10b ? 96 : 112);
        if (ndirs_off + 4 > opt + optsize)
                return pe_bad(err, opt, "optional header too short for NumberOfRvaAndSizes");
        l->checksum = opt + 64;
        l->headers = le32(pe + opt + 60);
        ndirs = le32(pe + ndirs_off);
        if (ndirs > DIR_SECURITY) {
                l->certdir = dirs_off + DIR_SECURITY * 8;
                if (l->certdir + 8 > opt + optsize)
                        return pe_bad(err, dirs_off, "data directories run past the optional header");
                l->cert_size = le32(pe + l->certdir + 4);
        }
        if (l->headers < opt + optsize || l->headers > len)
                return pe_bad(err, opt + 60, "SizeOfHeaders outside the file or inside the headers");
        return 0;
}

static int pe_parse(const uint8_t *pe, size_t len, struct pe_layout *l, cvm_error *err) {
        size_t nt, opt, optsize;

        *l = (struct pe_layout) {};
        if (len < 0x40 || pe[0] != 'M' || pe[1] != 'Z')
                return pe_bad(err, 0, "no MZ header");
        nt = le32(pe + 0x3c);
        if (nt > len || len - nt < 24 || memcmp(pe + nt, "PE\0\0", 4) != 0)
                return pe_bad(err, 0x3c, "e_lfanew does not point at a PE signature");
        l->nsections = le16(pe + nt + 6);
        optsize = le16(pe + nt + 20);
        opt = nt + 24;
        if (l->nsections == 0 || l->nsections > PE_MAX_SECTIONS)
                return pe_bad(err, nt + 6, "NumberOfSections is 0 or above 96");
        l->sections = opt + optsize;
        if (l->sections > len || (len - l->sections) / 40 < l->nsections)
                return pe_bad(err, l->sections, "section table runs past the end");
        return pe_optional(pe, len, opt, optsize, l, err);
}

struct pe_section {
        size_t raw, size;
};

static int section_cmp(const void *a, const void *b) {
        const struct pe_section *x = a, *y = b;
        return x->raw < y->raw ? -1 : x->raw > y->raw;
}

/* Hash the sections in file order; *end is where the last one ends. */
static int hash_sections(EVP_MD_CTX *ctx, const uint8_t *pe, size_t len, const struct pe_layout *l,
                         size_t *hashed, cvm_error *err) {
        struct pe_section s[PE_MAX_SECTIONS];
        size_t n = 0;

        for (size_t i = 0; i < l->nsections; i++) {
                const uint8_t *h = pe + l->sections + i * 40;
                size_t raw = le32(h + 20), size = le32(h + 16);
                if (size == 0)
                        continue;
                if (raw > len || size > len - raw)
                        return pe_bad(err, l->sections + i * 40 + 16, "section data outside the file");
                s[n++] = (struct pe_section) { raw, size };
        }
        qsort(s, n, sizeof(s[0]), section_cmp);
        for (size_t i = 0; i < n; i++) {
                if (sym_EVP_DigestUpdate(ctx, pe + s[i].raw, s[i].size) != 1)
                        return cvm_error_set(err, EIO, "PE image: hashing failed");
                *hashed += s[i].size;
        }
        return 0;
}

/* The headers without CheckSum and the security directory entry, the sections, then what follows them up to the certificates. */
static int hash_image(EVP_MD_CTX *ctx, const uint8_t *pe, size_t len, const struct pe_layout *l, cvm_error *err) {
        size_t skip_end = l->certdir ? l->certdir : l->headers, after = l->certdir ? l->certdir + 8 : l->headers;
        size_t hashed = l->headers;
        int r;

        if (sym_EVP_DigestUpdate(ctx, pe, l->checksum) != 1 ||
            sym_EVP_DigestUpdate(ctx, pe + l->checksum + 4, skip_end - (l->checksum + 4)) != 1 ||
            sym_EVP_DigestUpdate(ctx, pe + after, l->headers - after) != 1)
                return cvm_error_set(err, EIO, "PE image: hashing failed");
        r = hash_sections(ctx, pe, len, l, &hashed, err);
        if (r < 0)
                return r;
        if (hashed < len && l->cert_size < len - hashed &&
            sym_EVP_DigestUpdate(ctx, pe + hashed, len - hashed - l->cert_size) != 1)
                return cvm_error_set(err, EIO, "PE image: hashing failed");
        return 0;
}

int cvm_pe_authenticode(const uint8_t *pe, size_t len, uint16_t alg, uint8_t *out, cvm_error *err) {
        const EVP_MD *md = NULL;
        struct pe_layout l;
        EVP_MD_CTX *ctx;
        int r;

        r = crypto_md(alg, &md, err);
        if (r < 0)
                return r;
        r = pe_parse(pe, len, &l, err);
        if (r < 0)
                return r;
        ctx = sym_EVP_MD_CTX_new();
        if (!ctx)
                return cvm_error_set(err, ENOMEM, "out of memory");
        r = sym_EVP_DigestInit_ex(ctx, md, NULL) == 1 ? hash_image(ctx, pe, len, &l, err)
                                                       : cvm_error_set(err, EIO, "PE image: hashing failed");
        if (r >= 0 && sym_EVP_DigestFinal_ex(ctx, out, NULL) != 1)
                r = cvm_error_set(err, EIO, "PE image: hashing failed");
        sym_EVP_MD_CTX_free(ctx);
        return r;
}
