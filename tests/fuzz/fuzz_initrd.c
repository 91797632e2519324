/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer harness: the initramfs segment walker, the libarchive entry reader
 * behind it, and the resolution of appended paths through the image's symlinks.
 * Two oracles for the pass that finds a gzip/xz/lzma/bzip2 segment's end while
 * reading its entries: the plain walk finds the same segments, and the
 * entries it kept equal a second read of the segment.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cvminitrd/initrd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int touch(const struct cvm_initrd_entry *e, void *userdata) {
        size_t *n = userdata;
        *n += strlen(e->path) + (e->link ? strlen(e->link) : 0) + (e->hardlink ? strlen(e->hardlink) : 0);
        return 0;
}

/* What place() wrote must read back: every name relative, without "..", as the reader checks. */
static void read_back(cvm_initrd_fileset *fs) {
        int fd = memfd_create("placed", 0);
        cvm_initrd *rd;
        uint8_t *buf;
        size_t n = 0;
        struct stat st;

        if (fd < 0 || cvm_initrd_write_segment(fs, fd, CVM_INITRD_NONE, 0, NULL) < 0 || fstat(fd, &st) < 0 ||
            !(buf = malloc((size_t) st.st_size)))
                __builtin_trap();
        if (pread(fd, buf, (size_t) st.st_size, 0) != st.st_size ||
            cvm_initrd_open_buffer(buf, (size_t) st.st_size, "placed", &rd, NULL) < 0)
                __builtin_trap();
        if (cvm_initrd_foreach(rd, SIZE_MAX, false, touch, &n, NULL) < 0)
                __builtin_trap();
        cvm_initrd_close(rd);
        free(buf);
        close(fd);
}

/* Place a few paths over the image: its symlinks (loops, "..", absolute targets) resolved inside the root. */
static void place(const cvm_initrd *rd) {
        static const char *const paths[] = { "lib/modules/6.1/x.ko", "bin/sh", "a/b/c/d/e", "usr/lib/x", "etc" };
        static const uint8_t one[] = "x";
        cvm_initrd_fileset *fs;

        if (cvm_initrd_fileset_new(&fs) < 0)
                return;
        for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
                struct cvm_initrd_entry e = { .path = paths[i], .mode = S_IFREG | 0644, .size = 1, .data = one };
                if (cvm_initrd_fileset_add_entry(fs, &e, NULL) < 0)
                        __builtin_trap();
        }
        if (cvm_initrd_fileset_place(fs, rd, 0, NULL) == 0)
                read_back(fs);
        cvm_initrd_fileset_free(fs);
}

/* Opening found the segments the plain walk finds, each inside the buffer. */
static void same_segments(const cvm_initrd *rd, const uint8_t *data, size_t size) {
        struct cvm_initrd_segment *segs;
        size_t n;

        if (cvm_initrd_walk(data, size, &segs, &n, NULL) < 0 || n != cvm_initrd_segment_count(rd))
                __builtin_trap();
        for (size_t i = 0; i < n; i++) {
                const struct cvm_initrd_segment *s = cvm_initrd_segment(rd, i);
                if (s->offset > size || s->length > size - s->offset || s->length == 0 || s->offset != segs[i].offset ||
                    s->length != segs[i].length || s->compression != segs[i].compression)
                        __builtin_trap();
        }
        free(segs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        cvm_initrd *rd;
        size_t kept = 0, read = 0;

        if (cvm_initrd_open_buffer(data, size, "fuzz", &rd, NULL) < 0)
                return 0;
        same_segments(rd, data, size);
        if (cvm_initrd_foreach(rd, SIZE_MAX, false, touch, &kept, NULL) == 0 &&
            cvm_initrd_foreach(rd, SIZE_MAX, true, touch, &read, NULL) == 0 && kept != read)
                __builtin_trap();
        place(rd);
        cvm_initrd_close(rd);
        return 0;
}
