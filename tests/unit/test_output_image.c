/* SPDX-License-Identifier: Apache-2.0 */
/*
 * How the overlay becomes the output (rewriter/output_image.c), against
 * qemu-img and qemu-io: the commit onto a clone of the input gives the same
 * disk as qemu-img convert, grown to the overlay's size, with the input's
 * bytes untouched; a raw input's holes stay holes; what must not carry over
 * (an internal snapshot) sends the output to convert; without reflink the
 * default converts.  Each case builds its images in a fresh folder.
 */

#include "unit.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../rewriter/output_image.h"

#define MiB (1024LL * 1024)

struct imgs {
        char dir[256], in[300], ov[300], ov2[300], out[300], out2[300];
};

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...) {
        char cmd[1024];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(cmd, sizeof(cmd), fmt, ap);
        va_end(ap);
        if (system(cmd) != 0)
                fail_msg("command failed: %s", cmd);
}

static int sh_status(const char *cmd) {
        int s = system(cmd);
        return WIFEXITED(s) ? WEXITSTATUS(s) : -1;
}

/* In TMPDIR: on btrfs or XFS the clone is a reflink, elsewhere a copy. */
static void imgs_init(struct imgs *m) {
        const char *tmp = getenv("TMPDIR");

        snprintf(m->dir, sizeof(m->dir), "%s/test_output_image.XXXXXX", tmp && *tmp ? tmp : "/tmp");
        assert_non_null(mkdtemp(m->dir));
        snprintf(m->in, sizeof(m->in), "%s/in", m->dir);
        snprintf(m->ov, sizeof(m->ov), "%s/ov.qcow2", m->dir);
        snprintf(m->ov2, sizeof(m->ov2), "%s/ov2.qcow2", m->dir);
        snprintf(m->out, sizeof(m->out), "%s/out", m->dir);
        snprintf(m->out2, sizeof(m->out2), "%s/out2", m->dir);
}

static void imgs_free(struct imgs *m) {
        sh("rm -rf %s", m->dir);
}

/*
 * The rewrite's changes in the overlay (and a copy of it, since a commit
 * repoints the overlay): the disk grown from 64 to 96 MiB, data over the
 * input's data, over a hole, past the old end, and zeroes over input data.
 */
static void overlays(struct imgs *m, const char *infmt) {
        sh("qemu-img create -q -f qcow2 -b %s -F %s %s 96M", m->in, infmt, m->ov);
        sh("qemu-io -f qcow2 -c 'write -P 0xa1 1M 3M' -c 'write -P 0xa2 40M 1M' -c 'write -P 0xa3 80M 2M' "
           "-c 'write -z 8M 1M' %s >/dev/null", m->ov);
        sh("cp %s %s", m->ov, m->ov2);
}

/* The input: 64 MiB with data at 0-10 MiB and 48-50 MiB, in format fmt. */
static void input(struct imgs *m, const char *fmt) {
        sh("qemu-img create -q -f %s %s 64M", fmt, m->in);
        sh("qemu-io -f %s -c 'write -P 0x11 0 10M' -c 'write -P 0x22 48M 2M' %s >/dev/null", fmt, m->in);
}

static int write_with(const char *how, const struct output_image *q, const char **method, cvm_error *err) {
        int r;

        if (how)
                setenv("CVM_REWRITE_OUTPUT", how, 1);
        else
                unsetenv("CVM_REWRITE_OUTPUT");
        r = output_image_write(q, method, err);
        unsetenv("CVM_REWRITE_OUTPUT");
        return r;
}

/* The output through the commit path and through convert: the same disk, 96 MiB, and the input unchanged. */
static void same_as_convert(struct imgs *m, const char *fmt) {
        struct output_image q = { .overlay = m->ov, .input = m->in, .input_format = fmt, .part = m->out, .format = fmt,
                                  .compression = "none" };
        cvm_error err = { 0 };
        const char *method = NULL;
        char cmd[1024];

        sh("cp --sparse=always %s %s/in.before", m->in, m->dir);
        if (write_with("commit", &q, &method, &err) < 0)
                fail_msg("commit: %s", err.msg);
        assert_true(strcmp(method, "copy+commit") == 0 || strcmp(method, "reflink+commit") == 0);
        q.overlay = m->ov2;
        q.part = m->out2;
        if (write_with("convert", &q, &method, &err) < 0)
                fail_msg("convert: %s", err.msg);
        assert_string_equal(method, "convert");
        snprintf(cmd, sizeof(cmd), "qemu-img compare -q -f %s -F %s %s %s", fmt, fmt, m->out, m->out2);
        assert_int_equal(sh_status(cmd), 0);
        snprintf(cmd, sizeof(cmd), "qemu-img info -f %s --output=json %s | grep -q '\"virtual-size\": 100663296'", fmt, m->out);
        assert_int_equal(sh_status(cmd), 0);
        /* The changes are there: qemu-io verifies each pattern, and says so on a mismatch. */
        snprintf(cmd, sizeof(cmd), "qemu-io -f %s -c 'read -P 0xa1 1M 3M' -c 'read -P 0x11 4M 4M' -c 'read -P 0 8M 1M' "
                 "-c 'read -P 0xa2 40M 1M' -c 'read -P 0x22 48M 2M' -c 'read -P 0xa3 80M 2M' %s | grep -q 'Pattern verification failed'",
                 fmt, m->out);
        assert_int_equal(sh_status(cmd), 1);
        snprintf(cmd, sizeof(cmd), "cmp -s %s %s/in.before", m->in, m->dir);
        assert_int_equal(sh_status(cmd), 0);
        if (strcmp(fmt, "qcow2") == 0) {
                snprintf(cmd, sizeof(cmd), "qemu-img check -q -f qcow2 %s", m->out);
                assert_int_equal(sh_status(cmd), 0);
        }
}

static void test_commit_qcow2(void **state) {
        struct imgs m;
        (void) state;

        imgs_init(&m);
        input(&m, "qcow2");
        overlays(&m, "qcow2");
        same_as_convert(&m, "qcow2");
        imgs_free(&m);
}

/* A raw input: the copy keeps its holes (the 64 MiB input holds 12 MiB of data). */
static void test_commit_raw(void **state) {
        struct imgs m;
        struct stat st;
        (void) state;

        imgs_init(&m);
        input(&m, "raw");
        overlays(&m, "raw");
        same_as_convert(&m, "raw");
        assert_int_equal(stat(m.out, &st), 0);
        assert_int_equal(st.st_size, 96 * MiB);
        assert_true(st.st_blocks * 512 < 24 * MiB);
        imgs_free(&m);
}

/* An internal snapshot would carry the input's old state into the output: converted instead, even when commit is asked. */
static void test_snapshot_converts(void **state) {
        struct output_image q = { .input_format = "qcow2", .format = "qcow2", .compression = "none" };
        cvm_error err = { 0 };
        const char *method = NULL;
        char cmd[1024];
        struct imgs m;
        (void) state;

        imgs_init(&m);
        input(&m, "qcow2");
        sh("qemu-img snapshot -c before %s", m.in);
        overlays(&m, "qcow2");
        q.overlay = m.ov;
        q.input = m.in;
        q.part = m.out;
        assert_int_equal(write_with("commit", &q, &method, &err), 0);
        assert_string_equal(method, "convert");
        snprintf(cmd, sizeof(cmd), "qemu-img info --output=json %s | grep -q snapshots", m.out);
        assert_int_equal(sh_status(cmd), 1);
        imgs_free(&m);
}

/* Whether this folder's file system can reflink (ext4 cannot; btrfs and XFS can). */
static bool can_reflink(const char *dir) {
        char a[300], b[300];
        int fa, fb;
        bool ok;

        snprintf(a, sizeof(a), "%s/probe-a", dir);
        snprintf(b, sizeof(b), "%s/probe-b", dir);
        fa = open(a, O_RDWR | O_CREAT | O_EXCL, 0600);
        fb = open(b, O_RDWR | O_CREAT | O_EXCL, 0600);
        assert_true(fa >= 0 && fb >= 0);
        assert_int_equal(write(fa, "x", 1), 1);
        ok = ioctl(fb, FICLONE, fa) == 0;
        close(fa);
        close(fb);
        unlink(a);
        unlink(b);
        return ok;
}

/* The default commits only where the clone is free; elsewhere it converts and leaves no copy behind. */
static void test_auto(void **state) {
        struct output_image q = { .input_format = "qcow2", .format = "qcow2", .compression = "none" };
        cvm_error err = { 0 };
        const char *method = NULL;
        struct imgs m;
        (void) state;

        imgs_init(&m);
        input(&m, "qcow2");
        overlays(&m, "qcow2");
        q.overlay = m.ov;
        q.input = m.in;
        q.part = m.out;
        if (write_with(NULL, &q, &method, &err) < 0)
                fail_msg("auto: %s", err.msg);
        assert_string_equal(method, can_reflink(m.dir) ? "reflink+commit" : "convert");
        imgs_free(&m);
}

static void test_bad_env(void **state) {
        struct output_image q = { .overlay = "/nonexistent", .input = "/nonexistent", .input_format = "qcow2",
                                  .part = "/nonexistent.part", .format = "qcow2", .compression = "none" };
        cvm_error err = { 0 };
        const char *method = NULL;
        (void) state;

        assert_int_equal(write_with("reflink", &q, &method, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "CVM_REWRITE_OUTPUT=reflink: expected auto, commit or convert"));
}

/* What qemu-img info says of an input, and what keeps it from carrying over. */
static void test_refusal(void **state) {
        static const struct {
                const char *json, *why;
        } cases[] = {
                { "{\"format-specific\":{\"type\":\"qcow2\",\"data\":{\"compat\":\"1.1\",\"corrupt\":false}},\"dirty-flag\":false}", "" },
                { "{\"backing-filename\":\"base.img\",\"format-specific\":{\"data\":{}}}", "the input reads another file (a backing file or an external data file)" },
                { "{\"snapshots\":[{\"id\":\"1\",\"name\":\"before\"}],\"format-specific\":{\"data\":{}}}",
                  "the input has internal snapshots" },
                { "{\"snapshots\":[],\"format-specific\":{\"data\":{}}}", "" },
                { "{\"encrypted\":true,\"format-specific\":{\"data\":{}}}", "the input is encrypted" },
                { "{\"dirty-flag\":true,\"format-specific\":{\"data\":{}}}",
                  "the input was not closed cleanly (its dirty flag is set)" },
                { "{\"format-specific\":{\"data\":{\"data-file\":\"d.raw\"}}}", "the input reads another file (a backing file or an external data file)" },
                { "{\"format-specific\":{\"data\":{\"bitmaps\":[{\"name\":\"b0\"}]}}}", "the input has dirty bitmaps" },
                { "{\"format-specific\":{\"data\":{\"corrupt\":true}}}", "the input is marked corrupt" },
                { "{}", "qemu-img info does not describe the input's qcow2 header" },
        };
        (void) state;

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct json_object *info = json_tokener_parse(cases[i].json);
                assert_non_null(info);
                assert_string_equal(output_commit_refusal("qcow2", "qcow2", "none", info), cases[i].why);
                json_object_put(info);
        }
        assert_string_equal(output_commit_refusal("qcow2", "qcow2", "none", NULL), "qemu-img info cannot read the input");
        assert_string_equal(output_commit_refusal("qcow2", "qcow2", "zlib", NULL), "the recipe asks for compressed clusters");
        assert_string_equal(output_commit_refusal("raw", "qcow2", "none", NULL), "the input is not qcow2");
        assert_string_equal(output_commit_refusal("qcow2", "raw", "none", NULL), "the input is not raw");
        assert_string_equal(output_commit_refusal("raw", "raw", "none", NULL), "");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_refusal),        cmocka_unit_test(test_bad_env),   cmocka_unit_test(test_commit_qcow2),
                cmocka_unit_test(test_commit_raw),     cmocka_unit_test(test_snapshot_converts), cmocka_unit_test(test_auto),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
