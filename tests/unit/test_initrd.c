/* SPDX-License-Identifier: Apache-2.0 */
/* The initramfs library: path spelling, segment walking, deterministic writing in every codec, ELF and ld.so.cache. */
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "unit.h"
#include "cvminitrd/bundle.h"
#include "cvminitrd/initrd.h"

static void test_path_normalise(void **state) {
        static const struct {
                const char *in, *out;
        } ok[] = { { "/usr/bin/x", "usr/bin/x" }, { "./a//b/./c/", "a/b/c" }, { ".", "." }, { "/", "." },
                   { "./", "." }, { "a..b/..c", "a..b/..c" } };
        char out[64];
        (void) state;

        for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
                assert_int_equal(cvm_initrd_path_normalise(ok[i].in, out, sizeof(out)), 0);
                assert_string_equal(out, ok[i].out);
        }
        assert_int_equal(cvm_initrd_path_normalise("", out, sizeof(out)), -EINVAL);
        assert_int_equal(cvm_initrd_path_normalise("a/../b", out, sizeof(out)), -EINVAL);
        assert_int_equal(cvm_initrd_path_normalise("/..", out, sizeof(out)), -EINVAL);
        assert_int_equal(cvm_initrd_path_normalise("abcdefgh", out, 8), -ENAMETOOLONG);
}

/* A two-file set written with codec c into a memfd; the bytes are returned. */
static uint8_t *segment_bytes(enum cvm_initrd_compression c, int64_t mtime, size_t *len) {
        static const uint8_t content[] = "hello initramfs\n";
        struct cvm_initrd_entry e = { .path = "etc/greeting", .mode = S_IFREG | 0644, .size = sizeof(content) - 1,
                                      .data = content, .mtime = 2000000000 };
        struct cvm_initrd_entry l = { .path = "/etc/link", .mode = S_IFLNK | 0777, .link = "greeting" };
        cvm_initrd_fileset *fs;
        cvm_error err = { 0 };
        int fd = memfd_create("seg", 0);
        uint8_t *buf;
        struct stat st;

        assert_true(fd >= 0);
        assert_int_equal(cvm_initrd_fileset_new(&fs), 0);
        assert_int_equal(cvm_initrd_fileset_add_entry(fs, &e, &err), 0);
        assert_int_equal(cvm_initrd_fileset_add_entry(fs, &l, &err), 0);
        assert_int_equal(cvm_initrd_fileset_add_parents(fs, &err), 0);
        assert_int_equal(cvm_initrd_fileset_count(fs), 3);
        assert_int_equal(cvm_initrd_write_segment(fs, fd, c, mtime, &err), 0);
        cvm_initrd_fileset_free(fs);
        assert_int_equal(fstat(fd, &st), 0);
        buf = malloc((size_t) st.st_size);
        assert_int_equal(pread(fd, buf, (size_t) st.st_size, 0), st.st_size);
        close(fd);
        *len = (size_t) st.st_size;
        return buf;
}

struct seen {
        int n;
        bool greeting, link;
};

static int check_entry(const struct cvm_initrd_entry *e, void *userdata) {
        struct seen *s = userdata;
        s->n++;
        if (strcmp(e->path, "etc/greeting") == 0) {
                assert_int_equal(e->size, 16);
                assert_memory_equal(e->data, "hello initramfs\n", 16);
                assert_int_equal(e->uid, 0);
                /* Clamped to the epoch the writer was given. */
                assert_int_equal(e->mtime, 1000);
                s->greeting = true;
        }
        if (strcmp(e->path, "etc/link") == 0) {
                assert_string_equal(e->link, "greeting");
                s->link = true;
        }
        return 0;
}

static void test_codecs_round_trip(void **state) {
        (void) state;
        for (int c = CVM_INITRD_NONE; c < _CVM_INITRD_COMPRESSION_MAX; c++) {
                struct cvm_initrd_segment *segs;
                struct seen seen = { 0 };
                size_t n, len, len2;
                uint8_t *a, *b;
                cvm_initrd *rd;

                if (!cvm_initrd_can_compress(c))
                        continue;
                a = segment_bytes(c, 1000, &len);
                b = segment_bytes(c, 1000, &len2);
                /* Deterministic: the same set gives the same bytes. */
                assert_int_equal(len, len2);
                assert_memory_equal(a, b, len);
                assert_int_equal(cvm_initrd_walk(a, len, &segs, &n, NULL), 0);
                assert_int_equal(n, 1);
                assert_int_equal(segs[0].compression, c);
                assert_int_equal(segs[0].offset, 0);
                assert_int_equal(segs[0].length, len);
                free(segs);
                assert_int_equal(cvm_initrd_open_buffer(a, len, "mem", &rd, NULL), 0);
                assert_int_equal(cvm_initrd_foreach(rd, SIZE_MAX, true, check_entry, &seen, NULL), 0);
                assert_int_equal(seen.n, 3);
                assert_true(seen.greeting && seen.link);
                cvm_initrd_close(rd);
                free(a);
                free(b);
        }
}

/* none + padding + gzip + xz + trailing zeros: four offsets the walker must find exactly. */
static void test_walk_concatenation(void **state) {
        size_t l0, l1, l2, total, n;
        uint8_t *s0 = segment_bytes(CVM_INITRD_NONE, 0, &l0), *s1 = segment_bytes(CVM_INITRD_GZIP, 0, &l1);
        uint8_t *s2 = segment_bytes(CVM_INITRD_XZ, 0, &l2), *img;
        struct cvm_initrd_segment *segs;
        cvm_error err = { 0 };
        (void) state;

        total = l0 + 9 + l1 + l2 + 7;
        img = calloc(1, total);
        memcpy(img, s0, l0);
        memcpy(img + l0 + 9, s1, l1);
        memcpy(img + l0 + 9 + l1, s2, l2);
        assert_int_equal(cvm_initrd_walk(img, total, &segs, &n, &err), 0);
        assert_int_equal(n, 3);
        assert_int_equal(segs[1].offset, l0 + 9);
        assert_int_equal(segs[1].length, l1);
        assert_int_equal(segs[2].offset, l0 + 9 + l1);
        assert_int_equal(segs[2].compression, CVM_INITRD_XZ);
        free(segs);
        /* A cpio header one byte off its 4-byte boundary is refused with its offset. */
        memmove(img + 1, img, l0);
        img[0] = 0;
        assert_int_equal(cvm_initrd_walk(img, l0 + 1, &segs, &n, &err), -EBADMSG);
        assert_non_null(strstr(err.msg, "segment 0 at offset 1: a cpio archive must start on a 4-byte boundary"));
        /* Only zeros: no archive. */
        memset(img, 0, 64);
        assert_int_equal(cvm_initrd_walk(img, 64, &segs, &n, &err), -EBADMSG);
        assert_non_null(strstr(err.msg, "no cpio archive"));
        free(img);
        free(s0);
        free(s1);
        free(s2);
}

/* buf as one gzip member (zlib). */
static uint8_t *gzip_bytes(const uint8_t *buf, size_t len, size_t *ret) {
        z_stream z = { 0 };
        uint8_t *out = malloc(len + 1024);

        assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY), Z_OK);
        z.next_in = (uint8_t *) buf;
        z.avail_in = (uInt) len;
        z.next_out = out;
        z.avail_out = (uInt) len + 1024;
        assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
        *ret = z.total_out;
        deflateEnd(&z);
        return out;
}

static int count_entry(const struct cvm_initrd_entry *e, void *userdata) {
        char *out = userdata;
        size_t n = strlen(out);

        snprintf(out + n, 512 - n, "%zu:%s:%o:%s:%d;", e->segment, e->path, (unsigned) e->mode, e->link ? e->link : "-",
                 e->data != NULL);
        return 0;
}

/*
 * Opening finds a gzip, xz or bzip2 segment's end by reading its entries,
 * once: the segments equal the plain walk's, the entries kept equal a second
 * read, and a segment after it is found.
 */
static void test_open_reads_to_end(void **state) {
        const enum cvm_initrd_compression cs[] = { CVM_INITRD_GZIP, CVM_INITRD_XZ, CVM_INITRD_BZIP2, CVM_INITRD_LZMA };
        uint8_t *s[4], *img = NULL, *bad;
        size_t l[4], total = 0, n;
        struct cvm_initrd_segment *segs;
        char kept[512] = "", read[512] = "";
        cvm_initrd *rd;
        cvm_error err = { 0 };
        (void) state;

        for (int i = 0; i < 4; i++) {
                s[i] = segment_bytes(cs[i], 0, &l[i]);
                img = realloc(img, total + l[i]);
                memcpy(img + total, s[i], l[i]);
                total += l[i];
        }
        assert_int_equal(cvm_initrd_walk(img, total, &segs, &n, &err), 0);
        assert_int_equal(cvm_initrd_open_buffer(img, total, "mem", &rd, &err), 0);
        assert_int_equal(cvm_initrd_segment_count(rd), 4);
        for (size_t i = 0; i < 4; i++) {
                assert_int_equal(cvm_initrd_segment(rd, i)->offset, segs[i].offset);
                assert_int_equal(cvm_initrd_segment(rd, i)->length, l[i]);
                assert_int_equal(cvm_initrd_segment(rd, i)->compression, cs[i]);
        }
        assert_int_equal(cvm_initrd_foreach(rd, SIZE_MAX, false, count_entry, kept, &err), 0);
        assert_int_equal(cvm_initrd_foreach(rd, SIZE_MAX, true, count_entry, read, &err), 0);
        /* The same entries, with data only when asked for. */
        assert_non_null(strstr(kept, "3:etc/link:120777:greeting:0;"));
        assert_non_null(strstr(read, "3:etc/greeting:100644:-:1;"));
        for (char *p = read; (p = strstr(p, ":1;")); p++)
                p[1] = '0';
        assert_string_equal(kept, read);
        cvm_initrd_close(rd);

        /* The second segment cut short: opening names it and says it does not end. */
        assert_int_equal(cvm_initrd_open_buffer(img, l[0] + l[1] - 8, "cut", &rd, &err), -EBADMSG);
        assert_non_null(strstr(err.msg, "cut: segment 1 (xz at offset"));
        /* What follows a segment whose end was found by reading it is named as any other segment is. */
        memcpy(img + l[0], "XYZW", 4);
        assert_int_equal(cvm_initrd_open_buffer(img, l[0] + 4, "tail", &rd, &err), -EBADMSG);
        assert_non_null(strstr(err.msg, "tail: segment 1 at offset"));
        assert_non_null(strstr(err.msg, "neither a cpio archive nor a known compression (bytes 58 59)"));
        /* A gzip segment whose cpio is corrupt inside: opening names the archive byte. */
        free(s[0]);
        s[0] = segment_bytes(CVM_INITRD_NONE, 0, &l[0]);
        s[0][116 + 6] = 'x'; /* the second entry's inode field (after "etc": 110 + 4 bytes, padded) */
        bad = gzip_bytes(s[0], l[0], &n);
        assert_int_equal(cvm_initrd_open_buffer(bad, n, "bad", &rd, &err), -EBADMSG);
        assert_non_null(strstr(err.msg, "bad: segment 0 (gzip at offset 0): archive byte 116: cpio header field 0 is not hex"));
        free(segs);
        free(img);
        for (int i = 0; i < 4; i++)
                free(s[i]);
        free(bad);
}

static void test_cpio_header_errors(void **state) {
        size_t len;
        uint8_t *s = segment_bytes(CVM_INITRD_NONE, 0, &len);
        uint64_t out;
        cvm_error err = { 0 };
        (void) state;

        s[6 + 8 * 6] = 'x'; /* the filesize field of the first entry */
        assert_int_equal(cvm_initrd_cpio_length(s, len, &out, &err), -EBADMSG);
        assert_non_null(strstr(err.msg, "offset 54: cpio header field 6 is not hex"));
        free(s);
        s = segment_bytes(CVM_INITRD_NONE, 0, &len);
        /* The trailer cut off: a truncated header at the offset where it starts. */
        assert_int_equal(cvm_initrd_cpio_length(s, len - 124, &out, &err), -EBADMSG);
        assert_non_null(strstr(err.msg, "truncated cpio header"));
        free(s);
}

/* Found by fuzz_initrd: a .lzma header asking for a 4 GiB dictionary made liblzma allocate it. */
static void test_hostile_streams(void **state) {
        uint8_t lzma[64] = { 0x5d, 0x00, 0x00, 0x00, 0xf7, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
        uint8_t zstd[16] = { 0x28, 0xb5, 0x2f, 0xfd, 0x04, 0x58 };
        struct cvm_initrd_segment *segs;
        cvm_error err = { 0 };
        size_t n;
        (void) state;

        assert_int_equal(cvm_initrd_walk(lzma, sizeof(lzma), &segs, &n, &err), -EFBIG);
        assert_non_null(strstr(err.msg, "segment 0 (lzma at offset 0): the lzma stream needs more than 256 MiB"));
        assert_int_equal(cvm_initrd_walk(zstd, sizeof(zstd), &segs, &n, &err), -EBADMSG);
        assert_non_null(strstr(err.msg, "segment 0 (zstd at offset 0): corrupt or truncated zstd frame"));
}

static void test_elf_and_ldcache(void **state) {
        struct cvm_elf_info info;
        const char *path;
        cvm_error err = { 0 };
        size_t len, clen;
        uint8_t *elf = slurp("/bin/true", &len), *cache = slurp("/etc/ld.so.cache", &clen);
        bool libc = false;
        (void) state;

        assert_int_equal(cvm_elf_parse(elf, len, &info, &err), 0);
        assert_non_null(info.interp);
        assert_non_null(strstr(info.interp, "ld-linux"));
        for (size_t i = 0; i < info.n_needed; i++)
                libc |= strcmp(info.needed[i], "libc.so.6") == 0;
        assert_true(libc);
        /* Symbol versions: /bin/true needs glibc's base version from libc.so.6. */
        libc = false;
        for (size_t i = 0; i < info.n_verneed; i++)
                libc |= !strcmp(info.verneed[i].file, "libc.so.6") && !strcmp(info.verneed[i].version, "GLIBC_2.2.5");
        assert_true(libc);
        cvm_elf_info_clear(&info);
        /* Cut inside the program headers: refused, not read past. */
        assert_int_equal(cvm_elf_parse(elf, 100, &info, &err), -EBADMSG);
        assert_int_equal(cvm_elf_parse((const uint8_t *) "#!/bin/sh\n", 10, &info, &err), -ENOEXEC);

        assert_int_equal(cvm_ldcache_lookup(cache, clen, "libc.so.6", &path, &err), 0);
        assert_non_null(strstr(path, "libc.so.6"));
        assert_int_equal(access(path, R_OK), 0);
        /* libc defines its versions (GLIBC_2.34 since Debian 12), never its own name as one. */
        free(elf);
        elf = slurp(path, &len);
        assert_int_equal(cvm_elf_parse(elf, len, &info, &err), 0);
        libc = false;
        for (size_t i = 0; i < info.n_verdef; i++) {
                libc |= !strcmp(info.verdef[i], "GLIBC_2.34");
                assert_string_not_equal(info.verdef[i], "libc.so.6");
        }
        assert_true(libc);
        cvm_elf_info_clear(&info);
        assert_int_equal(cvm_ldcache_lookup(cache, clen, "libno-such-lib.so.9", &path, &err), -ENOENT);
        assert_int_equal(cvm_ldcache_lookup(cache, 30, "libc.so.6", &path, &err), -EBADMSG);
        free(elf);
        free(cache);
}

/* SRC:DEST[:MODE]: a third field is always an octal mode <= 07777; non-regular sources are refused by type. */
static void test_add_spec(void **state) {
        char src[] = "/tmp/cvm-unit-spec.XXXXXX";
        char spec[256];
        cvm_initrd_fileset *fs;
        cvm_error err = { 0 };
        int fd = mkstemp(src);
        (void) state;

        assert_true(fd >= 0);
        assert_int_equal(write(fd, "x", 1), 1);
        close(fd);
        assert_int_equal(cvm_initrd_fileset_new(&fs), 0);
        snprintf(spec, sizeof(spec), "%s:/etc/x:0640", src);
        assert_int_equal(cvm_initrd_fileset_add_spec(fs, spec, NULL, &err), 0);
        assert_true(cvm_initrd_fileset_contains(fs, "etc/x"));
        static const char *const bad_modes[] = { "99999", "10000", "rw", "", "0x1", "-1", "8" };
        for (size_t i = 0; i < sizeof(bad_modes) / sizeof(bad_modes[0]); i++) {
                snprintf(spec, sizeof(spec), "%s:/etc/y:%s", src, bad_modes[i]);
                assert_int_equal(cvm_initrd_fileset_add_spec(fs, spec, NULL, &err), -EINVAL);
                assert_non_null(strstr(err.msg, "is not an octal mode of at most 07777"));
        }
        assert_false(cvm_initrd_fileset_contains(fs, "etc/y:99999"));
        assert_int_equal(cvm_initrd_fileset_add_spec(fs, "/dev/zero:/z", NULL, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "/dev/zero: a character device, expected a regular file"));
        assert_int_equal(cvm_initrd_fileset_add_spec(fs, "/tmp:/z", NULL, &err), -EISDIR);
        assert_int_equal(cvm_initrd_fileset_add_tree_spec(fs, "/tmp:/z:0755", NULL, &err), -EINVAL);
        assert_int_equal(cvm_initrd_fileset_add_tree_spec(fs, "/dev/null:/z", NULL, &err), -ENOTDIR);
        assert_non_null(strstr(err.msg, "/dev/null: is a character device, not a directory"));
        assert_int_equal(cvm_initrd_fileset_count(fs), 1);
        cvm_initrd_fileset_free(fs);
        unlink(src);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_path_normalise),     cmocka_unit_test(test_codecs_round_trip),
                cmocka_unit_test(test_walk_concatenation),
                cmocka_unit_test(test_open_reads_to_end), cmocka_unit_test(test_cpio_header_errors),
                cmocka_unit_test(test_hostile_streams),    cmocka_unit_test(test_elf_and_ldcache),
                cmocka_unit_test(test_add_spec),
        };
        return cmocka_run_group_tests_name("initrd", tests, NULL, NULL);
}
