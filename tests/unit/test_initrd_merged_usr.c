/* SPDX-License-Identifier: Apache-2.0 */
/* Appending over earlier segments: paths resolved through their symlinks (merged /usr), no entry replaced by another type. */
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"
#include "cvminitrd/initrd.h"

struct node {
        const char *path;
        mode_t mode;
        const char *link;
};

static const uint8_t content[] = "x";

static void add_nodes(cvm_initrd_fileset *fs, const struct node *nodes) {
        cvm_error err = { 0 };

        for (const struct node *n = nodes; n->path; n++) {
                struct cvm_initrd_entry e = { .path = n->path, .mode = n->mode, .link = n->link };
                if (S_ISREG(n->mode)) {
                        e.size = 1;
                        e.data = content;
                }
                assert_int_equal(cvm_initrd_fileset_add_entry(fs, &e, &err), 0);
        }
}

/* The set as one uncompressed segment; *len its size (the caller frees it). */
static uint8_t *segment(cvm_initrd_fileset *fs, size_t *len) {
        cvm_error err = { 0 };
        int fd = memfd_create("seg", 0);
        struct stat st;
        uint8_t *buf;

        assert_true(fd >= 0);
        assert_int_equal(cvm_initrd_write_segment(fs, fd, CVM_INITRD_NONE, 0, &err), 0);
        assert_int_equal(fstat(fd, &st), 0);
        buf = malloc((size_t) st.st_size);
        assert_non_null(buf);
        assert_int_equal(pread(fd, buf, (size_t) st.st_size, 0), st.st_size);
        close(fd);
        *len = (size_t) st.st_size;
        return buf;
}

/* A base image of one segment holding nodes (parents as given, none added). */
static cvm_initrd *base_image(const struct node *nodes, uint8_t **buf) {
        cvm_initrd_fileset *fs;
        cvm_initrd *rd;
        size_t len;

        assert_int_equal(cvm_initrd_fileset_new(&fs), 0);
        add_nodes(fs, nodes);
        *buf = segment(fs, &len);
        cvm_initrd_fileset_free(fs);
        assert_int_equal(cvm_initrd_open_buffer(*buf, len, "base", &rd, NULL), 0);
        return rd;
}

/* "path type" lines of every entry, in archive order. */
static int list_entry(const struct cvm_initrd_entry *e, void *userdata) {
        char *out = userdata;
        size_t n = strlen(out);

        snprintf(out + n, 1024 - n, "%s %c\n", e->path, S_ISDIR(e->mode) ? 'd' : S_ISLNK(e->mode) ? 'l' : 'f');
        return 0;
}

/* Place adds over base, write the set, and list what the new segment holds. */
static int place_and_list(const struct node *base, const struct node *adds, unsigned flags, char out[1024],
                          cvm_error *err) {
        uint8_t *bbuf, *nbuf;
        cvm_initrd_fileset *fs;
        cvm_initrd *rd = base_image(base, &bbuf), *nrd;
        size_t len;
        int r;

        out[0] = '\0';
        assert_int_equal(cvm_initrd_fileset_new(&fs), 0);
        add_nodes(fs, adds);
        r = cvm_initrd_fileset_place(fs, rd, flags, err);
        if (r == 0) {
                nbuf = segment(fs, &len);
                assert_int_equal(cvm_initrd_open_buffer(nbuf, len, "new", &nrd, NULL), 0);
                assert_int_equal(cvm_initrd_foreach(nrd, SIZE_MAX, false, list_entry, out, NULL), 0);
                cvm_initrd_close(nrd);
                free(nbuf);
        }
        cvm_initrd_fileset_free(fs);
        cvm_initrd_close(rd);
        free(bbuf);
        return r;
}

static const struct node merged_usr[] = {
        { "bin", S_IFLNK | 0777, "usr/bin" }, { "lib", S_IFLNK | 0777, "usr/lib" }, { "usr", S_IFDIR | 0755, NULL },
        { "usr/bin", S_IFDIR | 0755, NULL },  { "usr/lib", S_IFDIR | 0755, NULL },  { "init", S_IFREG | 0755, NULL },
        { "etc", S_IFDIR | 0755, NULL },      {},
};

/* The bug: lib/modules/X made a "lib" directory entry, which the kernel put in place of lib -> usr/lib. */
static void test_merged_usr_module(void **state) {
        static const struct node adds[] = {
                { "lib/modules/6.1/x.ko", S_IFREG | 0644, NULL }, { "bin/tool", S_IFREG | 0755, NULL }, {}
        };
        char out[1024];
        cvm_error err = { 0 };
        (void) state;

        assert_int_equal(place_and_list(merged_usr, adds, 0, out, &err), 0);
        assert_string_equal(out, "usr/bin/tool f\nusr/lib/modules d\nusr/lib/modules/6.1 d\nusr/lib/modules/6.1/x.ko f\n");
}

/* A chain of links, absolute targets, "." and ".." in targets: followed as the kernel's path walk does. */
static void test_chain_and_absolute(void **state) {
        static const struct node base[] = {
                { "a", S_IFLNK | 0777, "b" },        { "b", S_IFLNK | 0777, "/c/./d" }, { "c", S_IFDIR | 0755, NULL },
                { "c/d", S_IFDIR | 0755, NULL },     { "e", S_IFDIR | 0755, NULL },     { "e/f", S_IFLNK | 0777, "../c" },
                { "lib64", S_IFLNK | 0777, "/usr/lib" }, { "usr", S_IFDIR | 0755, NULL }, {}
        };
        static const struct node adds[] = {
                { "a/x", S_IFREG | 0644, NULL }, { "e/f/y", S_IFREG | 0644, NULL }, { "lib64/ld.so", S_IFREG | 0755, NULL }, {}
        };
        char out[1024];
        cvm_error err = { 0 };
        (void) state;

        assert_int_equal(place_and_list(base, adds, 0, out, &err), 0);
        assert_string_equal(out, "c/d/x f\nc/y f\nusr/lib d\nusr/lib/ld.so f\n");
}

/* Hostile links: loops end with ELOOP, "../../.." and "/.." stop at the image's root. */
static void test_loop_and_escape(void **state) {
        static const struct node base[] = {
                { "l1", S_IFLNK | 0777, "l2" },       { "l2", S_IFLNK | 0777, "l1" }, { "self", S_IFLNK | 0777, "./self" },
                { "esc", S_IFLNK | 0777, "../../../etc" }, { "abs", S_IFLNK | 0777, "/../../tmp/../../opt" }, {}
        };
        static const struct node loop[] = { { "l1/x", S_IFREG | 0644, NULL }, {} };
        static const struct node self[] = { { "self/x", S_IFREG | 0644, NULL }, {} };
        static const struct node esc[] = { { "esc/passwd", S_IFREG | 0644, NULL }, { "abs/y", S_IFREG | 0644, NULL }, {} };
        char out[1024];
        cvm_error err = { 0 };
        (void) state;

        assert_int_equal(place_and_list(base, loop, 0, out, &err), -ELOOP);
        assert_non_null(strstr(err.msg, "l1/x: more than 40 symlinks"));
        assert_int_equal(place_and_list(base, self, 0, out, &err), -ELOOP);
        assert_int_equal(place_and_list(base, esc, 0, out, &err), 0);
        assert_string_equal(out, "etc d\netc/passwd f\nopt d\nopt/y f\n");
}

/* No entry replaces an earlier one of another type, unless files replacing files is asked for. */
static void test_type_conflicts(void **state) {
        static const struct node file_over_dir[] = { { "etc", S_IFREG | 0644, NULL }, {} };
        static const struct node dir_over_link[] = { { "lib", S_IFDIR | 0755, NULL }, {} };
        static const struct node file_over_link[] = { { "bin", S_IFREG | 0755, NULL }, {} };
        static const struct node under_file[] = { { "init/x", S_IFREG | 0644, NULL }, {} };
        static const struct node dir_over_dir[] = { { "usr/lib", S_IFDIR | 0700, NULL }, {} };
        char out[1024];
        cvm_error err = { 0 };
        (void) state;

        assert_int_equal(place_and_list(merged_usr, file_over_dir, CVM_INITRD_PLACE_REPLACE, out, &err), -EEXIST);
        assert_non_null(strstr(err.msg, "etc: would replace a directory of an earlier segment with a regular file"));
        assert_int_equal(place_and_list(merged_usr, dir_over_link, CVM_INITRD_PLACE_REPLACE, out, &err), -EEXIST);
        assert_non_null(strstr(err.msg, "lib: would replace a symlink of an earlier segment with a directory"));
        assert_int_equal(place_and_list(merged_usr, file_over_link, 0, out, &err), -EEXIST);
        assert_non_null(strstr(err.msg, "replacing files must be asked for"));
        assert_int_equal(place_and_list(merged_usr, file_over_link, CVM_INITRD_PLACE_REPLACE, out, &err), 0);
        assert_string_equal(out, "bin f\n");
        assert_int_equal(place_and_list(merged_usr, under_file, 0, out, &err), -ENOTDIR);
        assert_non_null(strstr(err.msg, "init/x: 'init' is a regular file in an earlier segment, not a directory"));
        assert_int_equal(place_and_list(merged_usr, dir_over_dir, 0, out, &err), 0);
        assert_string_equal(out, "usr/lib d\n");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_merged_usr_module), cmocka_unit_test(test_chain_and_absolute),
                cmocka_unit_test(test_loop_and_escape), cmocka_unit_test(test_type_conflicts),
        };
        return cmocka_run_group_tests_name("initrd-merged-usr", tests, NULL, NULL);
}
