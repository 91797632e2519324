/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cvm_initrd_append: the segment written while the image is still being
 * decoded is the one kept only when the placement over the whole image is
 * the same; either way the bytes are those of the sequential path.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"
#include "cvminitrd/initrd.h"

/* Whether the speculation ran is up to the scheduler: a case is tried until it did. */
#define TRIES 8
#define FILLER 600

struct node {
        const char *path;
        mode_t mode;
        const char *link;
};

static char dir[] = "/tmp/test-initrd-append-XXXXXX";

static void add_node(cvm_initrd_fileset *fs, const char *path, mode_t mode, const char *link, const uint8_t *data,
                     size_t size) {
        struct cvm_initrd_entry e = { .path = path, .mode = mode, .link = link, .size = size, .data = data };
        cvm_error err = { 0 };

        assert_int_equal(cvm_initrd_fileset_add_entry(fs, &e, &err), 0);
}

/* Append one segment of nodes (and, with filler, FILLER files of text under usr/share) to fd. */
static void write_segment(int fd, const struct node *nodes, bool filler, enum cvm_initrd_compression c) {
        cvm_initrd_fileset *fs;
        cvm_error err = { 0 };
        uint8_t text[2048];

        for (size_t i = 0; i < sizeof(text); i++)
                text[i] = (uint8_t) ("abcdefgh\n"[(i * 7 + i / 13) % 9]);
        assert_int_equal(cvm_initrd_fileset_new(&fs), 0);
        for (const struct node *n = nodes; n->path; n++)
                add_node(fs, n->path, n->mode, n->link, S_ISREG(n->mode) ? text : NULL, S_ISREG(n->mode) ? 16 : 0);
        for (int i = 0; filler && i < FILLER; i++) {
                char path[64];
                snprintf(path, sizeof(path), "usr/share/f%04d", i);
                text[0] = (uint8_t) i;
                add_node(fs, path, S_IFREG | 0644, NULL, text, sizeof(text));
        }
        assert_int_equal(cvm_initrd_write_segment(fs, fd, c, 0, &err), 0);
        cvm_initrd_fileset_free(fs);
}

static const struct node early[] = { { "kernel", S_IFDIR | 0755, NULL }, { "kernel/ucode.bin", S_IFREG | 0644, NULL }, {} };

static const struct node merged_usr[] = {
        { "bin", S_IFLNK | 0777, "usr/bin" }, { "etc", S_IFDIR | 0755, NULL },      { "init", S_IFREG | 0755, NULL },
        { "lib", S_IFLNK | 0777, "usr/lib" }, { "usr", S_IFDIR | 0755, NULL },      { "usr/bin", S_IFDIR | 0755, NULL },
        { "usr/lib", S_IFDIR | 0755, NULL },  { "usr/share", S_IFDIR | 0755, NULL }, {},
};

/* An early segment, a gzip main one of merged_usr and the filler, and optionally a last one of extra. */
static void make_image(const char *path, const struct node *extra) {
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

        assert_true(fd >= 0);
        write_segment(fd, early, false, CVM_INITRD_NONE);
        write_segment(fd, merged_usr, true, CVM_INITRD_GZIP);
        if (extra)
                write_segment(fd, extra, false, CVM_INITRD_GZIP);
        close(fd);
}

/* The set every case appends: through lib -> usr/lib, and beside the image's own etc. */
static cvm_initrd_fileset *adds(void) {
        static const uint8_t conf[] = "k=v\n";
        cvm_initrd_fileset *fs;

        assert_int_equal(cvm_initrd_fileset_new(&fs), 0);
        add_node(fs, "lib/cvm/bundle/bin/tool", S_IFREG | 0755, NULL, conf, 4);
        add_node(fs, "lib/cvm/bundle/lib/libx.so", S_IFREG | 0644, NULL, conf, 4);
        add_node(fs, "etc/cvm.conf", S_IFREG | 0644, NULL, conf, 4);
        return fs;
}

static void assert_same_file(const char *a, const char *b) {
        size_t la, lb;
        uint8_t *x = slurp(a, &la), *y = slurp(b, &lb);

        assert_int_equal(la, lb);
        assert_memory_equal(x, y, la);
        free(x);
        free(y);
}

static int append(const char *in, const char *out, bool sequential, struct cvm_initrd_append_result *res,
                  cvm_error *err) {
        struct cvm_initrd_append_opts o = { .sequential = sequential };
        cvm_initrd_fileset *fs = adds();
        int r = cvm_initrd_append(in, fs, &o, out, res, err);

        cvm_initrd_fileset_free(fs);
        return r;
}

static int keep_entry(const struct cvm_initrd_entry *e, void *userdata) {
        return cvm_initrd_fileset_add_entry(userdata, e, NULL);
}

/* Whether the appended segment holds path. */
static bool has_path(const char *image, const char *path) {
        cvm_initrd *rd;
        cvm_initrd_fileset *fs;
        bool found;

        assert_int_equal(cvm_initrd_open(image, &rd, NULL), 0);
        assert_int_equal(cvm_initrd_fileset_new(&fs), 0);
        assert_int_equal(cvm_initrd_foreach(rd, cvm_initrd_segment_count(rd) - 1, true,
                                            keep_entry, fs, NULL), 0);
        found = cvm_initrd_fileset_contains(fs, path);
        cvm_initrd_fileset_free(fs);
        cvm_initrd_close(rd);
        return found;
}

/*
 * Try the case until the segment was written speculatively; every try's
 * bytes equal the sequential path's.  Returns whether a speculation was kept.
 */
static bool speculate_until(const char *in, bool expect_kept) {
        char seq[PATH_MAX], spec[PATH_MAX];
        struct cvm_initrd_append_result res;
        cvm_error err = { 0 };

        snprintf(seq, sizeof(seq), "%s/seq.img", dir);
        snprintf(spec, sizeof(spec), "%s/spec.img", dir);
        assert_int_equal(append(in, seq, true, &res, &err), 0);
        assert_false(res.speculated);
        for (int i = 0; i < TRIES; i++) {
                assert_int_equal(append(in, spec, false, &res, &err), 0);
                assert_same_file(seq, spec);
                if (!res.speculated)
                        continue;
                assert_int_equal(res.kept, expect_kept);
                return res.kept;
        }
        fail_msg("no speculation in %d tries", TRIES);
        return false;
}

/* The usual image: sorted, merged /usr; the guess is whole once the decode is past usr/lib. */
static void test_speculation_kept(void **state) {
        char in[PATH_MAX], out[PATH_MAX];
        (void) state;

        snprintf(in, sizeof(in), "%s/base.img", dir);
        snprintf(out, sizeof(out), "%s/spec.img", dir);
        make_image(in, NULL);
        assert_true(speculate_until(in, true));
        assert_true(has_path(out, "usr/lib/cvm/bundle/bin/tool"));
        assert_false(has_path(out, "usr/lib"));
}

/*
 * A later segment points lib elsewhere: the guess made from the main segment
 * is wrong, and the segment is written again.  (A guess that saw the later
 * segment never looks whole: its last path, opt, sorts before opt/cvm/...)
 */
static void test_speculation_redone(void **state) {
        static const struct node late[] = { { "lib", S_IFLNK | 0777, "/opt" }, { "opt", S_IFDIR | 0755, NULL }, {} };
        char in[PATH_MAX], out[PATH_MAX];
        (void) state;

        snprintf(in, sizeof(in), "%s/late.img", dir);
        snprintf(out, sizeof(out), "%s/spec.img", dir);
        make_image(in, late);
        assert_false(speculate_until(in, false));
        assert_true(has_path(out, "opt/cvm/bundle/bin/tool"));
        assert_false(has_path(out, "usr/lib/cvm/bundle/bin/tool"));
}

/* Errors name the input and leave no output: a truncated image, and a placement the image refuses. */
static void test_errors(void **state) {
        char in[PATH_MAX], cut[PATH_MAX], out[PATH_MAX];
        struct cvm_initrd_append_opts o = { 0 };
        struct cvm_initrd_append_result res;
        cvm_initrd_fileset *fs;
        cvm_error err = { 0 };
        size_t len;
        uint8_t *buf;
        int fd;
        (void) state;

        snprintf(in, sizeof(in), "%s/base.img", dir);
        snprintf(cut, sizeof(cut), "%s/cut.img", dir);
        snprintf(out, sizeof(out), "%s/none.img", dir);
        make_image(in, NULL);
        buf = slurp(in, &len);
        fd = open(cut, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        assert_int_equal(write(fd, buf, len - 200), (ssize_t) (len - 200));
        close(fd);
        free(buf);
        assert_true(append(cut, out, false, &res, &err) < 0);
        assert_true(res.bad_input);
        assert_non_null(strstr(err.msg, cut));
        assert_int_equal(access(out, F_OK), -1);

        assert_int_equal(cvm_initrd_fileset_new(&fs), 0);
        add_node(fs, "init", S_IFDIR | 0755, NULL, NULL, 0);
        assert_int_equal(cvm_initrd_append(in, fs, &o, out, &res, &err), -EEXIST);
        cvm_initrd_fileset_free(fs);
        assert_true(res.bad_input);
        assert_non_null(strstr(err.msg, "init: would replace a regular file of an earlier segment with a directory"));
        assert_non_null(strstr(err.msg, in));
        assert_int_equal(access(out, F_OK), -1);
}

static int setup(void **state) {
        (void) state;
        return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state) {
        char cmd[PATH_MAX + 16];
        (void) state;
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        return system(cmd) == 0 ? 0 : -1;
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_speculation_kept),
                cmocka_unit_test(test_speculation_redone),
                cmocka_unit_test(test_errors),
        };
        return cmocka_run_group_tests_name("initrd-append", tests, setup, teardown);
}
