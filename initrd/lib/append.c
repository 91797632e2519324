/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Appending with the image's decode, the copy of its bytes and the new
 * segment's compression overlapped.  Where a path lands depends on the
 * earlier entries (place.c), so the plain order is: decode the image, place
 * the set, compress it, which leaves every core but one idle during the
 * decode.  Here a thread decodes (image.c's tap hands each entry over)
 * while this one copies the kept bytes into the output's temporary, then
 * waits until the entries read so far are likely all that matters: the
 * segment being read has come in byte order and has gone past every path
 * the set lands at.  In the sorted archives mkinitramfs and dracut write
 * that is early (usr/lib/cvm comes before usr/lib/modules).  This thread
 * then places a copy of the set over those entries and writes it after the
 * kept bytes.  When the decode ends the set is placed over the whole image;
 * the segment written is kept only when that gives the same set
 * (fileset_same) in the same compression, else it is cut off and written
 * again.  The bytes are a function of the placed set, so a wrong guess
 * costs time, never bytes; a speculation that fails is dropped, and the
 * plain path reports whatever error is real.
 *
 * Locking: shared.lock guards the entries handed over (pending), done and
 * the decode's results.  The decoding thread holds it to add one entry,
 * this thread to take the batch; after the join this thread owns it all.
 */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileset.h"

/* Entries handed over before this thread wakes: a batch is a few hundred microseconds of decoding. */
#define HAND_BATCH 64
/* The speculative writer's nice value, above the decode's (weight 335 against 1024 where they share a core). */
#define SPECULATION_NICE 5

struct handed {
        char *path, *link;
        mode_t mode;
        size_t segment;
};

struct shared {
        pthread_mutex_t lock;
        pthread_cond_t cond;
        const char *path;
        int fd;                 /* the image, for the decode (which takes it) */
        bool tapped;            /* a thread speculates: hand entries over... */
        bool listening;         /* ...until it stops guessing, or INITRD_CACHE_MAX bytes were handed */
        size_t bytes;
        struct handed *pending;
        size_t n, cap;
        bool done;
        /* The decode's results, set with done. */
        int r;
        cvm_initrd *rd;
        cvm_initrd_fileset *view;
        cvm_error err;
};

/* The guessed view: the entries handed over so far, and whether the current segment came sorted. */
struct guess {
        cvm_initrd_fileset *view;
        size_t segment;
        bool started, sorted;
        char last[PATH_MAX];
};

/* A segment written after the kept bytes before the decode ended: the set it holds and its compression (the guess). */
struct speculation {
        struct atomic_file *f;
        uint64_t keep;
        int64_t mtime;
        cvm_initrd_fileset *placed;     /* the set placed over the guess; NULL when nothing good was written */
        cvm_initrd_fileset *work;       /* its copy, which writing changes */
        enum cvm_initrd_compression c;
        bool written;                   /* something may follow the kept bytes */
        bool threaded;                  /* the writer runs: join it before reading the rest */
        pthread_t writer;
        int r;
};

static void handed_free(struct handed *h, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(h[i].path);
                free(h[i].link);
        }
        free(h);
}

/*
 * On the decoding thread: a copy of e for the guess, while this thread still
 * guesses and the copies fit.  The guess is optional, so a copy that cannot
 * be made ends the handover, never the decode.
 */
static int tap(const struct cvm_initrd_entry *e, void *userdata) {
        struct shared *s = userdata;
        struct handed h = { .mode = e->mode, .segment = e->segment };

        pthread_mutex_lock(&s->lock);
        s->bytes += sizeof(h) + strlen(e->path) + 1 + (e->link ? strlen(e->link) + 1 : 0);
        if (s->bytes > INITRD_CACHE_MAX)
                s->listening = false;
        if (!s->listening)
                goto out;
        if (s->n == s->cap) {
                size_t nc = s->cap ? s->cap * 2 : 4 * HAND_BATCH;
                struct handed *p = realloc(s->pending, nc * sizeof(*p));
                if (!p) {
                        s->listening = false;
                        goto out;
                }
                s->pending = p;
                s->cap = nc;
        }
        if (!(h.path = strdup(e->path)) || (e->link && !(h.link = strdup(e->link)))) {
                free(h.path);
                s->listening = false;
                goto out;
        }
        s->pending[s->n++] = h;
        if (s->n >= HAND_BATCH)
                pthread_cond_signal(&s->cond);
out:
        pthread_mutex_unlock(&s->lock);
        return 0;
}

/* The decoding thread: open (gzip, xz, lzma, bzip2 decoded there), then the view (zstd and cpio read there). */
static void *decode(void *userdata) {
        struct shared *s = userdata;
        cvm_initrd_fileset *view = NULL;
        cvm_initrd *rd = NULL;
        cvm_error err = { 0 };
        int r = initrd_open_fd(s->fd, s->path, false, s->tapped ? tap : NULL, s, &rd, &err);

        if (r == 0) {
                r = initrd_view_build(rd, &view, &err);
                initrd_untap(rd);
        }
        pthread_mutex_lock(&s->lock);
        s->r = r;
        s->rd = rd;
        s->view = view;
        s->err = err;
        s->done = true;
        pthread_cond_signal(&s->cond);
        pthread_mutex_unlock(&s->lock);
        return NULL;
}

/* Take a batch into the guessed view. */
static int guess_take(struct guess *g, struct handed *h, size_t n) {
        for (size_t i = 0; i < n; i++) {
                struct fs_entry *e;

                if (!g->started || h[i].segment != g->segment) {
                        g->started = g->sorted = true;
                        g->segment = h[i].segment;
                } else if (strcmp(h[i].path, g->last) <= 0)
                        g->sorted = false;
                snprintf(g->last, sizeof(g->last), "%s", h[i].path);
                if (!(e = fileset_push(g->view, h[i].path, NULL)))
                        return -ENOMEM;
                e->mode = h[i].mode;
                e->link = TAKE_PTR(h[i].link);
        }
        return 0;
}

/*
 * The speculative segment's writer, niced: the decode is the critical path
 * and keeps its core, the compression (with the encoder's threads, which
 * inherit the nice value) takes what the decode leaves.  On Linux nice is
 * per thread, so the rest of the process keeps its priority.
 */
static void *write_speculation(void *userdata) {
        struct speculation *sp = userdata;
        cvm_error err = { 0 };

        (void) setpriority(PRIO_PROCESS, (id_t) gettid(), SPECULATION_NICE);
        sp->r = initrd_image_segment(sp->f, sp->keep, sp->work, sp->c, sp->mtime, &err);
        /* Its writeback starts now, as the kept bytes' did. */
        if (sp->r == 0)
                (void) sync_file_range(sp->f->fd, (off_t) sp->keep, 0, SYNC_FILE_RANGE_WRITE);
        return NULL;
}

/* Start writing the set placed over the guess after the kept bytes, once the guess has passed every path it lands at. */
static bool try_speculate(struct guess *g, const cvm_initrd_fileset *fs, const struct cvm_initrd_append_opts *o,
                          struct speculation *sp) {
        _cleanup_(cvm_initrd_fileset_freep) cvm_initrd_fileset *placed = NULL;
        cvm_error err = { 0 };

        if (fileset_clone(fs, &placed) < 0 || initrd_place_over(placed, g->view, o->place_flags, &err) < 0)
                return false;
        if (placed->n > 0 && strcmp(g->last, placed->e[placed->n - 1].path) <= 0)
                return false;
        if (fileset_clone(placed, &sp->work) < 0)
                return false;
        sp->placed = TAKE_PTR(placed);
        sp->mtime = o->mtime;
        sp->written = true;
        sp->threaded = pthread_create(&sp->writer, NULL, write_speculation, sp) == 0;
        if (!sp->threaded)
                write_speculation(sp);
        return true;
}

/* Wait for the writer: what it wrote is good, or placed is dropped (the rewind drops the bytes). */
static void speculation_end(struct speculation *sp) {
        if (sp->threaded)
                pthread_join(sp->writer, NULL);
        sp->threaded = false;
        if (sp->r < 0) {
                cvm_initrd_fileset_free(sp->placed);
                sp->placed = NULL;
        }
        cvm_initrd_fileset_free(sp->work);
        sp->work = NULL;
}

/* The greatest path of fs, byte-wise. */
static const char *greatest_path(const cvm_initrd_fileset *fs) {
        const char *top = "";

        for (size_t i = 0; i < fs->n; i++)
                if (strcmp(fs->e[i].path, top) > 0)
                        top = fs->e[i].path;
        return top;
}

/* Until the decode is done: take the entries it hands over, and speculate once when the guess looks whole. */
static void wait_speculating(struct shared *s, const cvm_initrd_fileset *fs, const struct cvm_initrd_append_opts *o,
                             struct speculation *sp) {
        _cleanup_(cvm_initrd_fileset_freep) cvm_initrd_fileset *view = NULL;
        const char *top = greatest_path(fs);
        bool guessing = cvm_initrd_fileset_new(&view) == 0;
        struct guess g = { .view = view };

        for (;;) {
                struct handed *batch;
                size_t n;
                bool done;

                pthread_mutex_lock(&s->lock);
                s->listening = s->listening && guessing;
                while (!s->done && (!s->listening || s->n < HAND_BATCH))
                        pthread_cond_wait(&s->cond, &s->lock);
                batch = s->pending;
                n = s->n;
                done = s->done;
                s->pending = NULL;
                s->n = s->cap = 0;
                pthread_mutex_unlock(&s->lock);
                if (guessing && !done && guess_take(&g, batch, n) < 0)
                        guessing = false;
                handed_free(batch, n);
                if (done)
                        return;
                if (guessing && g.sorted && strcmp(g.last, top) > 0 && try_speculate(&g, fs, o, sp))
                        guessing = false;
        }
}

/* The compression the new segment gets: the one asked for, else the last segment's (none when it cannot be written). */
static enum cvm_initrd_compression compression_for(const cvm_initrd *rd, const struct cvm_initrd_append_opts *o) {
        enum cvm_initrd_compression c;

        if (o->compression_set)
                return o->compression;
        c = cvm_initrd_segment(rd, cvm_initrd_segment_count(rd) - 1)->compression;
        return cvm_initrd_can_compress(c) ? c : CVM_INITRD_NONE;
}

/*
 * The compression guessed before the decode, from the segments up to the
 * first compressed one of in (the image open as path; the walk maps a dup).
 */
static int guess_compression(int in, const char *path, const struct cvm_initrd_append_opts *o,
                             enum cvm_initrd_compression *ret) {
        _cleanup_(cvm_initrd_closep) cvm_initrd *rd = NULL;
        int fd;

        if (o->compression_set) {
                *ret = o->compression;
                return 0;
        }
        if ((fd = fcntl(in, F_DUPFD_CLOEXEC, 3)) < 0 || initrd_open_fd(fd, path, true, NULL, NULL, &rd, NULL) < 0)
                return -EBADMSG;
        *ret = compression_for(rd, o);
        return 0;
}

/* Place fs over the whole image's view, and end the image: with the speculative segment when it is the same. */
static int place_and_commit(struct shared *s, cvm_initrd_fileset *fs, const struct cvm_initrd_append_opts *o,
                            struct speculation *sp, struct cvm_initrd_append_result *res, cvm_error *err) {
        enum cvm_initrd_compression c;
        size_t size;
        int r;

        res->bad_input = true;
        if (s->r < 0) {
                *err = s->err;
                return s->r;
        }
        cvm_initrd_data(s->rd, &size);
        if (size != sp->keep)
                return cvm_error_set(err, EBUSY, "%s: changed while it was read (%llu bytes, then %zu)", s->path,
                                     (unsigned long long) sp->keep, size);
        if ((r = initrd_place_over(fs, s->view, o->place_flags, err)) < 0)
                return cvm_error_prefix(err, "%s: ", s->path);
        res->bad_input = false;
        c = compression_for(s->rd, o);
        res->speculated = sp->placed != NULL;
        res->kept = res->speculated && sp->c == c && fileset_same(sp->placed, fs);
        if (!res->kept && ((sp->written && (r = initrd_image_rewind(sp->f, sp->keep, err)) < 0) ||
                           (r = initrd_image_segment(sp->f, sp->keep, fs, c, o->mtime, err)) < 0))
                return r;
        return initrd_image_commit(sp->f, err);
}

int cvm_initrd_append(const char *path, cvm_initrd_fileset *fs, const struct cvm_initrd_append_opts *o,
                      const char *out, struct cvm_initrd_append_result *res, cvm_error *err) {
        struct shared s = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER, .path = path };
        struct atomic_file f = { .fd = -1 };
        struct speculation sp = { .f = &f };
        cvm_error out_err = { 0 };
        struct stat st;
        pthread_t t;
        int in, r;

        *res = (struct cvm_initrd_append_result) { .bad_input = true };
        if ((in = open_regular(path, CVM_INITRD_MAX_IMAGE, false, &st, err)) < 0)
                return in;
        if ((s.fd = fcntl(in, F_DUPFD_CLOEXEC, 3)) < 0) {
                close(in);
                return cvm_error_set(err, errno, "%s: %s", path, strerror(errno));
        }
        sp.keep = (uint64_t) st.st_size;
        /* A prefix that does not open is reported by the decode, in its words. */
        s.tapped = s.listening = !o->sequential && guess_compression(in, path, o, &sp.c) == 0;
        if (s.tapped && pthread_create(&t, NULL, decode, &s) != 0)
                s.tapped = false;
        /* The kept bytes are copied while the image is decoded. */
        r = initrd_image_begin(&f, out, in, path, NULL, sp.keep, &out_err);
        close(in);
        if (s.tapped) {
                if (r == 0)
                        wait_speculating(&s, fs, o, &sp);
                pthread_join(t, NULL);
                speculation_end(&sp);
        } else
                decode(&s);
        handed_free(s.pending, s.n);
        if (r == 0)
                r = place_and_commit(&s, fs, o, &sp, res, err);
        else if (s.r < 0) {
                *err = s.err;
                r = s.r;
        } else {
                *err = out_err;
                res->bad_input = false;
        }
        initrd_image_abort(&f);
        cvm_initrd_close(s.rd);
        cvm_initrd_fileset_free(s.view);
        cvm_initrd_fileset_free(sp.placed);
        return r;
}
