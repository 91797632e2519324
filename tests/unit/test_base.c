/* SPDX-License-Identifier: Apache-2.0 */
/* The base layer (base/, the cvmbase headers): atomic writes, capped reads, temporaries, strv, byte order, cleanup. */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"

#include "cvmbase/base.h"

/* A fresh directory for one test (removed by the test). */
static void tmpdir(char *dir, size_t size) {
        snprintf(dir, size, "/tmp/cvm-test-base.XXXXXX");
        assert_non_null(mkdtemp(dir));
}

/* The number of entries in dir besides . and .. */
static int entries(const char *dir) {
        DIR *d = opendir(dir);
        struct dirent *de;
        int n = 0;

        assert_non_null(d);
        while ((de = readdir(d)))
                n += strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
        closedir(d);
        return n;
}

static void put(const char *path, const char *text) {
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fputs(text, f);
        assert_int_equal(fclose(f), 0);
}

/* path holds exactly text (read back through read_file). */
static void assert_holds(const char *path, const char *text) {
        _cleanup_free_ uint8_t *buf = NULL;
        cvm_error err = { 0 };
        size_t len;

        assert_int_equal(read_file(path, 4096, &buf, &len, &err), 0);
        assert_int_equal(len, strlen(text));
        assert_memory_equal(buf, text, len);
}

static void test_atomic_write_replaces(void **state) {
        char dir[64], path[128];
        cvm_error err = { 0 };
        struct stat st;

        (void) state;
        tmpdir(dir, sizeof(dir));
        snprintf(path, sizeof(path), "%s/out", dir);
        put(path, "old");
        assert_int_equal(write_file_atomic(path, "new contents", 12, 0640, "cvm-test", &err), 0);
        assert_holds(path, "new contents");
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 0777 & ~0640, 0);
        assert_int_equal(entries(dir), 1);
        remove_tree(dir);
}

/* A write that fails half-way (RLIMIT_FSIZE) leaves the old file as it was and no temporary. */
static void test_atomic_write_failure_keeps_old(void **state) {
        char dir[64], path[128], big[8192];
        struct rlimit old, small;
        cvm_error err = { 0 };

        (void) state;
        tmpdir(dir, sizeof(dir));
        snprintf(path, sizeof(path), "%s/out", dir);
        put(path, "old");
        memset(big, 'x', sizeof(big));
        signal(SIGXFSZ, SIG_IGN);
        assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
        small = (struct rlimit) { 4096, old.rlim_max };   /* the soft limit only: it can be raised back */
        assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
        assert_int_equal(write_file_atomic(path, big, sizeof(big), 0644, "cvm-test", &err), -EFBIG);
        assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
        signal(SIGXFSZ, SIG_DFL);
        assert_non_null(strstr(err.msg, "write failed"));
        assert_holds(path, "old");
        assert_int_equal(entries(dir), 1);
        remove_tree(dir);
}

/* A rename that fails (the destination is a directory) and an abort both leave no temporary. */
static void test_atomic_rename_failure_and_abort(void **state) {
        char dir[64], path[128], inner[160];
        struct atomic_file f;
        cvm_error err = { 0 };

        (void) state;
        tmpdir(dir, sizeof(dir));
        snprintf(path, sizeof(path), "%s/out", dir);
        snprintf(inner, sizeof(inner), "%s/keep", path);
        assert_int_equal(mkdir(path, 0755), 0);
        put(inner, "x");
        assert_true(write_file_atomic(path, "new", 3, 0644, "cvm-test", &err) < 0);
        assert_non_null(strstr(err.msg, "cannot rename into place"));
        assert_int_equal(entries(dir), 1);
        assert_int_equal(entries(path), 1);
        snprintf(path, sizeof(path), "%s/other", dir);
        assert_int_equal(atomic_file_open(&f, path, "cvm-test", &err), 0);
        assert_int_equal(write_all(f.fd, "partial", 7, f.tmp, &err), 0);
        assert_int_equal(entries(dir), 2);
        atomic_file_abort(&f);
        atomic_file_abort(&f);
        assert_int_equal(entries(dir), 1);
        assert_int_equal(access(path, F_OK), -1);
        remove_tree(dir);
}

/* write_file_new creates, and never replaces: an existing file stays as it was, and no temporary is left. */
static void test_write_new_never_replaces(void **state) {
        char dir[64], path[128];
        cvm_error err = { 0 };

        (void) state;
        tmpdir(dir, sizeof(dir));
        snprintf(path, sizeof(path), "%s/new", dir);
        assert_int_equal(write_file_new(path, "first", 5, 0644, "cvm-test", &err), 0);
        assert_int_equal(write_file_new(path, "second", 6, 0644, "cvm-test", &err), -EEXIST);
        assert_holds(path, "first");
        assert_int_equal(entries(dir), 1);
        remove_tree(dir);
}

/* Temporaries of dead writers go, a live writer's and a kept file stay. */
static void test_temp_sweep(void **state) {
        char dir[64], out[128], dead[192], live[192], kept[192];
        struct stat st;

        (void) state;
        tmpdir(dir, sizeof(dir));
        snprintf(out, sizeof(out), "%s/o.img", dir);
        snprintf(dead, sizeof(dead), "%s/.o.img.cvm-test.999999999.abc", dir);
        snprintf(live, sizeof(live), "%s/.o.img.cvm-test.%ld.abc", dir, (long) getpid());
        snprintf(kept, sizeof(kept), "%s/.o.img.cvm-test.999999998.in", dir);
        put(dead, "x");
        put(live, "x");
        put(kept, "x");
        assert_int_equal(stat(kept, &st), 0);
        temp_sweep_stale(out, "cvm-test", &st);
        assert_int_equal(access(dead, F_OK), -1);
        assert_int_equal(access(live, F_OK), 0);
        assert_int_equal(access(kept, F_OK), 0);
        remove_tree(dir);
        assert_int_equal(access(dir, F_OK), -1);
}

static void test_read_caps(void **state) {
        char dir[64], path[128];
        uint8_t *buf = NULL;
        size_t len;
        int p[2];
        cvm_error err = { 0 };

        (void) state;
        tmpdir(dir, sizeof(dir));
        snprintf(path, sizeof(path), "%s/fifo", dir);
        assert_int_equal(mkfifo(path, 0600), 0);
        assert_int_equal(read_file(path, 100, &buf, &len, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "a FIFO, expected a regular file"));
        assert_int_equal(read_file(dir, 100, &buf, &len, &err), -EISDIR);
        snprintf(path, sizeof(path), "%s/big", dir);
        put(path, "0123456789abcdef");
        assert_int_equal(read_file(path, 10, &buf, &len, &err), -EFBIG);
        assert_non_null(strstr(err.msg, "16 bytes, larger than the 10 bytes limit"));
        /* A stream that reports no size is capped as it is read. */
        assert_int_equal(pipe(p), 0);
        assert_int_equal(write(p[1], "0123456789abcdef", 16), 16);
        close(p[1]);
        assert_int_equal(read_fd(p[0], "pipe", 10, &buf, &len, &err), -EFBIG);
        close(p[0]);
        assert_null(buf);
        remove_tree(dir);
}

static void append(char ***v, size_t *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void append(char ***v, size_t *n, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        strv_appendv(v, n, fmt, ap);
        va_end(ap);
}

static void test_strv(void **state) {
        char **v = NULL;
        size_t n = 0;

        (void) state;
        append(&v, &n, "a%d", 1);
        append(&v, &n, "%s", "bc");
        assert_int_equal(n, 2);
        assert_string_equal(v[0], "a1");
        assert_string_equal(v[1], "bc");
        strv_free(v, n);
        strv_free(NULL, 0);
}

static void test_byte_order(void **state) {
        static const uint8_t b[] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08 };
        struct reader r = { .buf = b, .len = sizeof(b) };
        uint8_t out[4];

        (void) state;
        assert_int_equal(le16(b), 0x0201);
        assert_int_equal(le32(b), 0x04030201);
        assert_true(le64(b) == UINT64_C(0x0807060504030201));
        assert_int_equal(be32(b), 0x01020304);
        put_le32(out, 0xdeadbeef);
        assert_int_equal(le32(out), 0xdeadbeef);
        put_be32(out, 0xdeadbeef);
        assert_int_equal(be32(out), 0xdeadbeef);
        put_le16(out, 0xbeef);
        assert_int_equal(le16(out), 0xbeef);
        assert_true(rd_has(&r, 8));
        assert_int_equal(rd_u16(&r), 0x0201);
        assert_int_equal(rd_u32(&r), 0x06050403);
        assert_false(rd_has(&r, 3));
        assert_int_equal(rd_left(&r), 2);
}

static void test_cleanup_and_numbers(void **state) {
        _cleanup_free_ char *kept = NULL;
        uint64_t v;

        (void) state;
        {
                _cleanup_free_ char *s = strdup("x");
                kept = TAKE_PTR(s);
                assert_null(s);
        }
        assert_string_equal(kept, "x");
        assert_int_equal(hex_nibble('F'), 15);
        assert_int_equal(hex_nibble('g'), -1);
        assert_int_equal(cvm_parse_uint("0x1f", SIZE_MAX, 0, 255, &v), 0);
        assert_int_equal(v, 31);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_atomic_write_replaces),
                cmocka_unit_test(test_atomic_write_failure_keeps_old),
                cmocka_unit_test(test_atomic_rename_failure_and_abort),
                cmocka_unit_test(test_write_new_never_replaces),
                cmocka_unit_test(test_temp_sweep),
                cmocka_unit_test(test_read_caps),
                cmocka_unit_test(test_strv),
                cmocka_unit_test(test_byte_order),
                cmocka_unit_test(test_cleanup_and_numbers),
        };
        return cmocka_run_group_tests_name("base", tests, NULL, NULL);
}
