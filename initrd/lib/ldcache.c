/* SPDX-License-Identifier: Apache-2.0 */
/*
 * /etc/ld.so.cache, the index ldconfig writes and ld.so consults before the
 * system directories.  Format "glibc-ld.so.cache1.1" (the only one glibc
 * writes since 2.32): a 48-byte header, nlibs 24-byte entries, then the
 * strings; key and value are offsets from the start of the header.  Entries
 * are sorted so that the first match is the one ld.so picks.
 */

#include <errno.h>
#include <string.h>

#include "initrd_internal.h"
#include "cvminitrd/bundle.h"

#define MAGIC "glibc-ld.so.cache"
#define VERSION "1.1"
#define HEADER 48
#define ENTRY 24

#define FLAG_TYPE_MASK 0x00ff
#define FLAG_ELF_LIBC6 0x0003
#define FLAG_REQUIRED_MASK 0xff00
#define FLAG_X8664_LIB64 0x0300

static int string_at(const uint8_t *c, size_t len, uint32_t off, const char **ret) {
        if (off >= len || !memchr(c + off, '\0', len - off))
                return -EBADMSG;
        *ret = (const char *) c + off;
        return 0;
}

int cvm_ldcache_lookup(const uint8_t *c, size_t len, const char *soname, const char **ret, cvm_error *err) {
        uint32_t nlibs;

        if (len < HEADER || memcmp(c, MAGIC, strlen(MAGIC)) != 0 || memcmp(c + strlen(MAGIC), VERSION, 3) != 0)
                return cvm_error_set(err, EBADMSG, "ld.so.cache: expected the '" MAGIC VERSION "' format");
        nlibs = le32(c + 20);
        if (nlibs > (len - HEADER) / ENTRY)
                return cvm_error_set(err, EBADMSG, "ld.so.cache: %u entries do not fit in %zu bytes", nlibs, len);
        for (uint32_t i = 0; i < nlibs; i++) {
                const uint8_t *e = c + HEADER + (size_t) i * ENTRY;
                int32_t flags = (int32_t) le32(e);
                uint64_t hwcap = le64(e + 16);
                const char *key, *value;

                if (string_at(c, len, le32(e + 4), &key) < 0 || string_at(c, len, le32(e + 8), &value) < 0)
                        return cvm_error_set(err, EBADMSG, "ld.so.cache: entry %u points outside the file", i);
                if (strcmp(key, soname) != 0)
                        continue;
                /* glibc-hwcaps variants (hwcap != 0) need a CPU level the guest may lack: the baseline runs everywhere. */
                if ((flags & FLAG_TYPE_MASK) != FLAG_ELF_LIBC6 || (flags & FLAG_REQUIRED_MASK) != FLAG_X8664_LIB64 ||
                    hwcap != 0)
                        continue;
                *ret = value;
                return 0;
        }
        return -ENOENT;
}
