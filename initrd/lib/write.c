/* SPDX-License-Identifier: Apache-2.0 */
/* Writing a file set as one deterministic newc segment, and an image around it, atomically. */

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileset.h"

#define CHUNK (1024 * 1024)

struct sink {
        initrd_compressor *z;
        cvm_error *err;
        bool failed;
};

static la_ssize_t sink_write(struct archive *a, void *userdata, const void *buf, size_t len) {
        struct sink *s = userdata;
        (void) a;
        if (initrd_compressor_write(s->z, buf, len, s->err) < 0) {
                s->failed = true;
                return -1;
        }
        return (la_ssize_t) len;
}

static void archive_write_freep(struct archive **a) {
        if (*a)
                archive_write_free(*a);
}

static void entry_freep(struct archive_entry **e) {
        if (*e)
                archive_entry_free(*e);
}

static int archive_fail(struct archive *a, struct sink *s, const char *path, cvm_error *err) {
        if (s->failed)
                return -err->code;
        return cvm_error_set(err, EIO, "'%s': %s", path, archive_error_string(a) ? archive_error_string(a) : "write failed");
}

/* Stream a host file, checking it is still the regular file of the size listed. */
static int write_host_file(struct archive *a, struct sink *s, const struct fs_entry *e, cvm_error *err) {
        _cleanup_free_ uint8_t *buf = malloc(CHUNK);
        uint64_t left = e->size;
        struct stat st;
        int fd, r = 0;

        if (!buf)
                return cvm_error_set(err, ENOMEM, "out of memory");
        fd = open_regular(e->src, CVM_INITRD_MAX_ENTRY, e->src_nofollow, &st, err);
        if (fd < 0)
                return fd;
        if ((uint64_t) st.st_size != e->size) {
                close(fd);
                return cvm_error_set(err, EBUSY, "%s: changed while the archive was written", e->src);
        }
        while (left > 0) {
                ssize_t n = read(fd, buf, left < CHUNK ? left : CHUNK);
                if (n <= 0) {
                        r = cvm_error_set(err, n < 0 ? errno : EBUSY, "%s: %s", e->src,
                                          n < 0 ? strerror(errno) : "shrank while the archive was written");
                        break;
                }
                if (archive_write_data(a, buf, (size_t) n) != n) {
                        r = archive_fail(a, s, e->path, err);
                        break;
                }
                left -= (uint64_t) n;
        }
        close(fd);
        return r;
}

static int write_content(struct archive *a, struct sink *s, const struct fs_entry *e, cvm_error *err) {
        if (e->src)
                return write_host_file(a, s, e, err);
        if (e->size > 0 && archive_write_data(a, e->data, e->size) != (la_ssize_t) e->size)
                return archive_fail(a, s, e->path, err);
        return 0;
}

/*
 * Hard-link groups as newc and the kernel's maybe_link() want them: every
 * member shares the root's inode number and nlink is the group's size; the
 * content (from whichever member carried it when read) is written once, with
 * the group's last member in path order, the others have size 0.
 */
struct groups {
        size_t *root;   /* per entry: the index of its group's root, or SIZE_MAX */
        size_t *count;  /* per root: members, the root included */
        size_t *last;   /* per root: the member written last */
};

static void groups_free(struct groups *g) {
        free(g->root);
        free(g->count);
        free(g->last);
}

static int link_groups(cvm_initrd_fileset *fs, struct groups *g, cvm_error *err) {
        g->root = malloc((fs->n + 1) * sizeof(size_t));
        g->count = calloc(fs->n + 1, sizeof(size_t));
        g->last = calloc(fs->n + 1, sizeof(size_t));
        if (!g->root || !g->count || !g->last)
                return cvm_error_set(err, ENOMEM, "out of memory");
        for (size_t i = 0; i < fs->n; i++) {
                struct fs_entry *e = &fs->e[i], *t;
                g->root[i] = SIZE_MAX;
                if (!e->hardlink)
                        continue;
                t = fileset_find(fs, fs->n, e->hardlink);
                if (!t || !S_ISREG(t->mode) || t->hardlink)
                        return cvm_error_set(err, EINVAL, "'%s' is a hard link to '%s', which is not a file here",
                                             e->path, e->hardlink);
                g->root[i] = (size_t) (t - fs->e);
                if (t->size == 0 && e->size > 0) {
                        t->data = e->data;
                        t->size = e->size;
                        e->data = NULL;
                        e->size = 0;
                }
        }
        for (size_t i = 0; i < fs->n; i++)
                if (g->root[i] != SIZE_MAX) {
                        size_t t = g->root[i];
                        g->root[t] = t;
                }
        for (size_t i = 0; i < fs->n; i++)
                if (g->root[i] != SIZE_MAX) {
                        g->count[g->root[i]]++;
                        g->last[g->root[i]] = i;
                }
        return 0;
}

int cvm_initrd_write_segment(cvm_initrd_fileset *fs, int fd, enum cvm_initrd_compression c, int64_t mtime,
                             cvm_error *err) {
        _cleanup_(archive_write_freep) struct archive *a = archive_write_new();
        _cleanup_(entry_freep) struct archive_entry *ae = archive_entry_new();
        struct sink s = { .err = err };
        struct groups g = { 0 };
        int r;

        if (!a || !ae)
                return cvm_error_set(err, ENOMEM, "out of memory");
        fileset_sort(fs);
        r = initrd_compressor_new(c, fd, &s.z, err);
        if (r < 0)
                return r;
        if (archive_write_set_format_cpio_newc(a) != ARCHIVE_OK || archive_write_add_filter_none(a) != ARCHIVE_OK ||
            archive_write_set_bytes_per_block(a, 0) != ARCHIVE_OK ||
            archive_write_open(a, &s, NULL, sink_write, NULL) != ARCHIVE_OK) {
                r = archive_fail(a, &s, "(archive)", err);
                goto out;
        }
        r = link_groups(fs, &g, err);
        if (r < 0)
                goto out;
        for (size_t i = 0; i < fs->n; i++) {
                const struct fs_entry *e = &fs->e[i];
                const struct fs_entry *content = g.root[i] != SIZE_MAX ? &fs->e[g.root[i]] : e;
                bool grouped = g.root[i] != SIZE_MAX && g.count[g.root[i]] > 1;
                bool carries = !grouped || g.last[g.root[i]] == i;

                archive_entry_clear(ae);
                archive_entry_set_pathname(ae, e->path);
                archive_entry_set_mode(ae, S_ISREG(e->mode) ? (S_IFREG | (e->mode & 07777)) : e->mode);
                archive_entry_set_uid(ae, 0);
                archive_entry_set_gid(ae, 0);
                archive_entry_set_ino64(ae, (int64_t) (grouped ? g.root[i] : i) + 1);
                archive_entry_set_nlink(ae, S_ISDIR(e->mode) ? 2 : grouped ? (unsigned) g.count[g.root[i]] : 1);
                archive_entry_set_mtime(ae, e->mtime < 0 ? 0 : e->mtime > mtime ? mtime : e->mtime, 0);
                if (S_ISLNK(e->mode))
                        archive_entry_set_symlink(ae, e->link);
                if (S_ISCHR(e->mode) || S_ISBLK(e->mode)) {
                        archive_entry_set_rdevmajor(ae, e->rdev_major);
                        archive_entry_set_rdevminor(ae, e->rdev_minor);
                }
                archive_entry_set_size(ae, S_ISREG(e->mode) && carries ? (la_int64_t) content->size : 0);
                if (archive_write_header(a, ae) != ARCHIVE_OK) {
                        r = archive_fail(a, &s, e->path, err);
                        goto out;
                }
                if (S_ISREG(e->mode) && carries) {
                        r = write_content(a, &s, content, err);
                        if (r < 0)
                                goto out;
                }
        }
        if (archive_write_close(a) != ARCHIVE_OK) {
                r = archive_fail(a, &s, "TRAILER!!!", err);
                goto out;
        }
        groups_free(&g);
        return initrd_compressor_finish(s.z, true, NULL, err);
out:
        groups_free(&g);
        initrd_compressor_finish(s.z, false, NULL, NULL);
        return r;
}

int cvm_initrd_source_date_epoch(int64_t *ret, cvm_error *err) {
        const char *v = getenv("SOURCE_DATE_EPOCH");
        char *end;
        long long t;

        *ret = 0;
        if (!v || !*v)
                return 0;
        errno = 0;
        t = strtoll(v, &end, 10);
        if (errno || *end || t < 0)
                return cvm_error_set(err, EINVAL, "SOURCE_DATE_EPOCH='%s' is not a non-negative number of seconds", v);
        *ret = t;
        return 0;
}

/* n bytes of in (named in_name) from off to out (named out_name), through a buffer; -EBUSY when in ends first. */
static int copy_fd(int in, const char *in_name, off_t off, int out, const char *out_name, uint64_t n, cvm_error *err) {
        _cleanup_free_ uint8_t *buf = malloc(CHUNK);

        if (!buf)
                return cvm_error_set(err, ENOMEM, "out of memory");
        while (n > 0) {
                ssize_t got = pread(in, buf, n < CHUNK ? (size_t) n : CHUNK, off);
                if (got < 0 && errno == EINTR)
                        continue;
                if (got < 0)
                        return cvm_error_set(err, errno, "%s: %s", in_name, strerror(errno));
                if (got == 0)
                        return cvm_error_set(err, EBUSY, "%s: shrank while it was copied into %s", in_name, out_name);
                if (write_all(out, buf, (size_t) got, out_name, err) < 0)
                        return -err->code;
                off += got;
                n -= (uint64_t) got;
        }
        return 0;
}

/*
 * The first n bytes of in (an open file named in_name; data, its mapping, or
 * NULL) into out: in the kernel (or a reflink) when it can.  Errors name the
 * file at fault.
 */
static int copy_prefix(int in, const char *in_name, const uint8_t *data, int out, const char *out_name, uint64_t n,
                       cvm_error *err) {
        loff_t off = 0;

        if (n == 0)
                return 0;
        while (in >= 0 && (uint64_t) off < n) {
                ssize_t c = copy_file_range(in, &off, out, NULL, n - (uint64_t) off, 0);
                if (c > 0)
                        continue;
                if (c == 0 || errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP)
                        break;
                if (errno != EINTR)
                        return cvm_error_set(err, errno, "%s: copying %s into it: %s", out_name, in_name,
                                             strerror(errno));
        }
        if ((uint64_t) off == n)
                return 0;
        if (data)
                return write_all(out, data + off, n - (uint64_t) off, out_name, err);
        return copy_fd(in, in_name, (off_t) off, out, out_name, n - (uint64_t) off, err);
}

static int write_zeros(int fd, size_t n, cvm_error *err) {
        static const uint8_t zero[4];
        return write_all(fd, zero, n, NULL, err);
}

int initrd_image_begin(struct atomic_file *f, const char *out, int in, const char *in_name, const uint8_t *data,
                       uint64_t keep, cvm_error *err) {
        int r = atomic_file_open(f, out, INITRD_TEMP_TAG, err);

        if (r < 0)
                return cvm_error_prefix(err, "%s: ", out);
        initrd_temp_watch(f->tmp, false);
        r = copy_prefix(in, in_name, data, f->fd, out, keep, err);
        if (r < 0) {
                initrd_image_abort(f);
                return r;
        }
        /* The commit's fsync then waits for less: the copy's writeback starts now. */
        if (keep > 0)
                (void) sync_file_range(f->fd, 0, (off_t) keep, SYNC_FILE_RANGE_WRITE);
        return 0;
}

int initrd_image_segment(struct atomic_file *f, uint64_t keep, cvm_initrd_fileset *fs, enum cvm_initrd_compression c,
                         int64_t mtime, cvm_error *err) {
        int r = 0;

        /*
         * The kernel wants a cpio archive 4-byte aligned; a compressed stream may
         * start anywhere, and unpadded it stays a valid concatenation for
         * gzip -t / zstd -t, so distro tools still read the earlier segment.
         */
        if (c == CVM_INITRD_NONE && keep % 4)
                r = write_zeros(f->fd, 4 - keep % 4, err);
        if (r == 0)
                r = cvm_initrd_write_segment(fs, f->fd, c, mtime, err);
        return r < 0 ? cvm_error_prefix(err, "%s: ", f->path) : 0;
}

int initrd_image_rewind(struct atomic_file *f, uint64_t keep, cvm_error *err) {
        if (ftruncate(f->fd, (off_t) keep) < 0 || lseek(f->fd, (off_t) keep, SEEK_SET) < 0)
                return cvm_error_set(err, errno, "%s: %s", f->tmp, strerror(errno));
        return 0;
}

int initrd_image_commit(struct atomic_file *f, cvm_error *err) {
        int r = atomic_file_commit(f, 0644, err);

        initrd_image_abort(f);
        return r < 0 ? cvm_error_prefix(err, "%s: ", f->path) : 0;
}

void initrd_image_abort(struct atomic_file *f) {
        atomic_file_abort(f);
        initrd_temp_done();
}

int cvm_initrd_write_image(const cvm_initrd *rd, uint64_t keep, cvm_initrd_fileset *fs,
                           enum cvm_initrd_compression c, int64_t mtime, const char *out, cvm_error *err) {
        struct atomic_file f;
        size_t size = 0;
        int r;

        if (rd)
                cvm_initrd_data(rd, &size);
        if (keep > size)
                return cvm_error_set(err, EINVAL, "cannot keep %llu bytes of %zu", (unsigned long long) keep, size);
        r = initrd_image_begin(&f, out, rd ? initrd_fd(rd) : -1, rd ? initrd_name(rd) : "", rd ? cvm_initrd_data(rd, NULL) : NULL,
                               keep, err);
        if (r < 0)
                return r;
        r = initrd_image_segment(&f, keep, fs, c, mtime, err);
        if (r < 0) {
                initrd_image_abort(&f);
                return r;
        }
        return initrd_image_commit(&f, err);
}
