/* SPDX-License-Identifier: Apache-2.0 */
/*
 * An initramfs image: its bytes (mapped read-only, never written), its
 * segments, and the entries kept of the segments whose end was found by
 * reading them (a gzip, xz, lzma or bzip2 segment is decoded once to open
 * it; that pass keeps its entries for cvm_initrd_foreach).
 */

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "initrd_internal.h"

struct cvm_initrd {
        const uint8_t *data;
        size_t size;
        bool mapped;
        int fd;                 /* the file mapped, kept open for copy_file_range; -1 for buffers */
        char *name;
        struct initrd_segments segs;
        initrd_cache **caches;  /* per segment, NULL where nothing is kept */
        size_t n_caches;
        cvm_initrd_entry_fn tap; /* initrd_open_fd: each entry as a segment is decoded */
        void *tap_data;
};

/* The end of segment i, found by reading it; its entries kept. */
static int read_end(void *ctx, size_t i, cvm_error *err) {
        cvm_initrd *rd = ctx;
        initrd_cache **caches;

        if (i >= rd->n_caches) {
                size_t n = rd->segs.cap;
                if (!(caches = realloc(rd->caches, n * sizeof(*caches))))
                        return cvm_error_set(err, ENOMEM, "out of memory");
                memset(caches + rd->n_caches, 0, (n - rd->n_caches) * sizeof(*caches));
                rd->caches = caches;
                rd->n_caches = n;
        }
        return initrd_read_to_end(rd, i, &rd->caches[i], &rd->segs.v[i].length, err);
}

static int finish_open(cvm_initrd *rd, bool prefix_only, cvm_initrd **ret, cvm_error *err) {
        int r = initrd_walk(rd->data, rd->size, rd->name, prefix_only ? INITRD_WALK_PREFIX : INITRD_WALK_DEFER,
                            read_end, rd, &rd->segs, err);
        if (r < 0) {
                cvm_initrd_close(rd);
                return r;
        }
        *ret = rd;
        return 0;
}

int cvm_initrd_open_buffer(const uint8_t *buf, size_t len, const char *name, cvm_initrd **ret, cvm_error *err) {
        cvm_initrd *rd = calloc(1, sizeof(*rd));

        if (!rd || !(rd->name = strdup(name ? name : "buffer"))) {
                free(rd);
                return cvm_error_set(err, ENOMEM, "out of memory");
        }
        rd->data = buf;
        rd->size = len;
        rd->fd = -1;
        return finish_open(rd, false, ret, err);
}

/* The image open as fd (which it takes) with st its status, named path. */
static int open_fd(int fd, const struct stat *st, const char *path, bool prefix_only, cvm_initrd_entry_fn tap,
                   void *tap_data, cvm_initrd **ret, cvm_error *err) {
        cvm_initrd *rd;
        void *map;
        int e;

        if (st->st_size == 0) {
                close(fd);
                return cvm_error_set(err, EBADMSG, "%s: empty file", path);
        }
        map = mmap(NULL, (size_t) st->st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        e = errno;
        if (map == MAP_FAILED) {
                close(fd);
                return cvm_error_set(err, e, "%s: cannot map: %s", path, strerror(e));
        }
        rd = calloc(1, sizeof(*rd));
        if (!rd || !(rd->name = strdup(path))) {
                free(rd);
                munmap(map, (size_t) st->st_size);
                close(fd);
                return cvm_error_set(err, ENOMEM, "out of memory");
        }
        rd->fd = fd;
        rd->data = map;
        rd->size = (size_t) st->st_size;
        rd->mapped = true;
        rd->tap = tap;
        rd->tap_data = tap_data;
        return finish_open(rd, prefix_only, ret, err);
}

static int open_file(const char *path, bool prefix_only, cvm_initrd **ret, cvm_error *err) {
        struct stat st;
        int fd = open_regular(path, CVM_INITRD_MAX_IMAGE, false, &st, err);

        if (fd < 0)
                return fd;
        return open_fd(fd, &st, path, prefix_only, NULL, NULL, ret, err);
}

int cvm_initrd_open(const char *path, cvm_initrd **ret, cvm_error *err) {
        return open_file(path, false, ret, err);
}

int cvm_initrd_open_prefix(const char *path, cvm_initrd **ret, cvm_error *err) {
        return open_file(path, true, ret, err);
}

int initrd_open_fd(int fd, const char *path, bool prefix_only, cvm_initrd_entry_fn tap, void *userdata,
                   cvm_initrd **ret, cvm_error *err) {
        struct stat st;

        if (fstat(fd, &st) < 0) {
                int e = errno;
                close(fd);
                return cvm_error_set(err, e, "%s: %s", path, strerror(e));
        }
        return open_fd(fd, &st, path, prefix_only, tap, userdata, ret, err);
}

int initrd_tap(const cvm_initrd *rd, const struct cvm_initrd_entry *e) {
        return rd->tap ? rd->tap(e, rd->tap_data) : 0;
}

void initrd_untap(cvm_initrd *rd) {
        rd->tap = NULL;
        rd->tap_data = NULL;
}

void cvm_initrd_close(cvm_initrd *rd) {
        if (!rd)
                return;
        if (rd->mapped)
                munmap((void *) rd->data, rd->size);
        if (rd->fd >= 0)
                close(rd->fd);
        for (size_t i = 0; i < rd->n_caches; i++)
                initrd_cache_free(rd->caches[i]);
        free(rd->caches);
        free(rd->segs.v);
        free(rd->name);
        free(rd);
}

size_t cvm_initrd_segment_count(const cvm_initrd *rd) {
        return rd->segs.n;
}

const struct cvm_initrd_segment *cvm_initrd_segment(const cvm_initrd *rd, size_t i) {
        return i < rd->segs.n ? &rd->segs.v[i] : NULL;
}

const initrd_cache *initrd_cache_of(const cvm_initrd *rd, size_t i) {
        return i < rd->n_caches ? rd->caches[i] : NULL;
}

const uint8_t *cvm_initrd_data(const cvm_initrd *rd, size_t *size) {
        if (size)
                *size = rd->size;
        return rd->data;
}

int initrd_fd(const cvm_initrd *rd) {
        return rd->fd;
}

const char *initrd_name(const cvm_initrd *rd) {
        return rd->name;
}
