/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Step validation, type by type (rewriter/step_types.c: guest paths, modes,
 * host sources and their specs, packages, names, enums, hashes) and kind by
 * kind (required and unknown arguments, list or scalar, the rules across
 * arguments), and that the run refuses exactly what --plan refuses: every
 * refused step is refused by step_run too, before the appliance is touched,
 * with the same message.
 */

#include "rewriter_fixture.h"

#include "../../rewriter/session.h"
#include "../../rewriter/step_kind.h"

#define A(k, v) { .key = (char *) (k), .value = (char *) (v) }
#define L(k, ...) { .key = (char *) (k), .list = (char *[]) { __VA_ARGS__, NULL } }
#define STEP(kind, ...) step_of(kind, (struct arg[]) { __VA_ARGS__ }, sizeof((struct arg[]) { __VA_ARGS__ }) / sizeof(struct arg))

static char plugin_dir[PATH_MAX + 16], user_file[PATH_MAX + 16];
static struct param host_param = { .name = (char *) "pkgs", .type = PARAM_HOST_FILES };
static struct plugin pl = { .name = (char *) "p", .dir = plugin_dir, .params = &host_param, .nparams = 1 };

static struct step step_of(const char *kind, struct arg *args, size_t n) {
        return (struct step) { .kind = (char *) kind, .args = args, .nargs = n, .where = (char *) "plugin.yaml:3:5", .plugin = &pl };
}

/* Validation accepts s, or refuses it with code and a message holding msg; the run then refuses it identically. */
static void expect(struct step s, int code, const char *msg) {
        cvm_error plan = { 0 }, run = { 0 };
        struct session ss = { .err = &run };
        int r = step_validate(&s, &plan);

        if (r != code)
                fail_msg("step %s: %d (%s), expected %d", s.kind, r, plan.msg, code);
        if (code == 0)
                return;
        if (!strstr(plan.msg, msg))
                fail_msg("step %s: '%s' does not hold '%s'", s.kind, plan.msg, msg);
        assert_int_equal(step_run(&ss, &s), code);
        assert_string_equal(run.msg, plan.msg);
}

static int setup(void **state) {
        char p[PATH_MAX * 2], q[PATH_MAX * 2];

        if (scratch_setup(state) < 0)
                return -1;
        snprintf(plugin_dir, sizeof(plugin_dir), "%s/plug", scratch);
        snprintf(user_file, sizeof(user_file), "%s/user.deb", scratch);
        host_param.value = user_file;
        put("plug/files/app.conf", "level=1\n");
        put("plug/files/tree", NULL);
        put("user.deb", "!<arch>\n");
        put("outside", "secret\n");
        return symlink(at("outside", p, sizeof(p)), at("plug/files/out", q, sizeof(q)));
}

static void test_kinds(void **state) {
        (void) state;
        assert_true(step_kind_known("mkdir"));
        assert_true(step_kind_known("initrd-append"));
        assert_false(step_kind_known("format"));
        assert_false(step_kind_known("Mkdir"));
        assert_string_equal(step_kind_find("ssh-inject")->name, "ssh-inject");
        assert_null(step_kind_find(""));
}

static void test_declarations(void **state) {
        (void) state;
        expect(STEP("mkdir", A("mode", "0755")), -EINVAL, "step mkdir needs 'path'");
        expect(STEP("mkdir", A("path", "/a"), A("owner", "root")), -EINVAL, "step mkdir has no argument 'owner'");
        expect(STEP("mkdir", L("path", "/a")), -EINVAL, "'path' must be a scalar");
        expect(STEP("install", A("files", "app.conf")), -EINVAL, "'files' must be a list");
        /* Words: a list or one scalar of them. */
        expect(STEP("kernel-cmdline", A("add", "quiet splash")), 0, NULL);
        expect(STEP("kernel-cmdline", L("add", "quiet"), L("remove", "console")), 0, NULL);
        expect(STEP("validate", A("x", "y")), -EINVAL, "step validate has no argument 'x'");
        expect(STEP("resize", A("size", "1G")), -EINVAL, "step resize has no argument 'size'");
}

static void test_guest_path(void **state) {
        (void) state;
        expect(STEP("touch", A("path", "/etc/x")), 0, NULL);
        expect(STEP("touch", A("path", "etc/x")), -EINVAL, "guest path 'etc/x' must be absolute");
        expect(STEP("touch", A("path", "/etc/../x")), -EINVAL, "guest path '/etc/../x'");
        expect(STEP("touch", A("path", "/etc/./x")), -EINVAL, "guest path '/etc/./x'");
        expect(STEP("touch", A("path", "/etc/.")), -EINVAL, "guest path '/etc/.'");
        expect(STEP("move", A("src", "x"), A("dest", "/y")), -EINVAL, "guest path 'x'");
        expect(STEP("copy", A("src", "app.conf"), A("dest", "rel")), -EINVAL, "guest path 'rel'");
        /* A list of them: below / as well. */
        expect(STEP("initrd-append", L("guest", "/usr/bin/true")), 0, NULL);
        expect(STEP("initrd-append", L("guest", "/")), -EINVAL, "guest path '/' must be absolute, below /");
        /* A folder: below /, no trailing slash. */
        expect(STEP("bundle", L("programs", "cvm-measure"), A("prefix", "/opt/cvm")), 0, NULL);
        expect(STEP("bundle", L("programs", "cvm-measure"), A("prefix", "/opt/cvm/")), -EINVAL, "prefix '/opt/cvm/' must be an absolute guest folder");
        /* The link's target is text: a relative target is a relative link. */
        expect(STEP("link", A("target", "../x"), A("path", "/etc/l")), 0, NULL);
}

static void test_mode(void **state) {
        (void) state;
        expect(STEP("chmod", A("path", "/x"), A("mode", "0644")), 0, NULL);
        expect(STEP("chmod", A("path", "/x"), A("mode", "7777")), 0, NULL);
        expect(STEP("chmod", A("path", "/x"), A("mode", "17777")), -EINVAL, "mode '17777' is not octal up to 7777");
        expect(STEP("chmod", A("path", "/x"), A("mode", "0x1ff")), -EINVAL, "is not octal");
        expect(STEP("chmod", A("path", "/x"), A("mode", "")), -EINVAL, "mode '' is not octal");
        expect(STEP("chmod", A("path", "/x")), -EINVAL, "needs 'mode'");
        expect(STEP("mkdir", A("path", "/x"), A("mode", "0999")), -EINVAL, "mode '0999'");
}

static void test_host_source(void **state) {
        (void) state;
        expect(STEP("copy", A("src", "app.conf"), A("dest", "/etc/")), 0, NULL);
        expect(STEP("copy", A("src", "tree"), A("dest", "/opt")), 0, NULL);
        expect(STEP("copy", A("src", "/etc/passwd"), A("dest", "/x")), -EPERM, "host source '/etc/passwd' must be a path relative to the plugin's files/");
        expect(STEP("copy", A("src", "../plugin.yaml"), A("dest", "/x")), -EPERM, "without '..'");
        expect(STEP("copy", A("src", ""), A("dest", "/x")), -EPERM, "host source ''");
        expect(STEP("copy", A("src", "out"), A("dest", "/x")), -EPERM, "a symlink leads out of the plugin's files/");
        expect(STEP("copy", A("src", "missing"), A("dest", "/x")), -ENOENT, "host source 'missing'");
        /* A file the user gave a host-files parameter, by its absolute path. */
        expect(STEP("copy", A("src", user_file), A("dest", "/x")), 0, NULL);
        /* Host files: regular files only. */
        expect(STEP("install", L("files", "app.conf")), 0, NULL);
        expect(STEP("install", L("files", "app.conf", "tree")), -EINVAL, "host source 'tree' is a directory, expected a regular file");
}

static void test_specs(void **state) {
        (void) state;
        expect(STEP("initrd-append", L("add", "app.conf:/etc/app.conf:0644")), 0, NULL);
        expect(STEP("initrd-append", L("tree", "tree:/opt/tree")), 0, NULL);
        expect(STEP("initrd-append", L("add", "app.conf")), -EINVAL, "'app.conf': expected SOURCE:DEST");
        expect(STEP("initrd-append", L("add", ":/x")), -EINVAL, "expected SOURCE:DEST");
        expect(STEP("initrd-append", L("add", "tree:/x")), -EINVAL, "host source 'tree' is a directory, expected a regular file");
        expect(STEP("initrd-append", L("tree", "app.conf:/x")), -EINVAL, "expected a directory");
        expect(STEP("initrd-append", L("add", "out:/x")), -EPERM, "a symlink leads out");
}

static void test_packages(void **state) {
        (void) state;
        expect(STEP("kernel", L("packages", user_file)), 0, NULL);
        expect(STEP("kernel", L("packages", "app.conf")), -EPERM, "package 'app.conf' is not a file given to one of the plugin's host-files parameters");
        expect(STEP("kernel", L("packages", " ")), -EINVAL, "step kernel: no packages");
        expect(STEP("kernel", L("packages", user_file), A("default", "yes")), -EINVAL, "default must be true or false");
        expect(STEP("kernel", L("packages", user_file), A("default", "false")), 0, NULL);
}

static void test_names(void **state) {
        (void) state;
        expect(STEP("bundle", L("programs", "cvm-measure", "cvm-evidence"), L("libs", "libcvm.so.0")), 0, NULL);
        expect(STEP("bundle", L("programs", "../bin/sh")), -EPERM, "programs entry '../bin/sh' must be a plain file name");
        expect(STEP("bundle", L("programs", "a"), L("libs", ".hidden")), -EPERM, "libs entry '.hidden'");
        expect(STEP("initrd-append", L("guest", "/x"), L("initramfs-tools", "local-top/cvm")), 0, NULL);
        expect(STEP("initrd-append", L("guest", "/x"), L("initramfs-tools", "boot/cvm")), -EINVAL, "initramfs-tools script 'boot/cvm' must be PHASE/NAME");
        expect(STEP("initrd-append", L("guest", "/x"), L("initramfs-tools", "local-top/../x")), -EINVAL, "must be PHASE/NAME");
        expect(STEP("initrd-append", L("guest", "/x"), L("modules", "tdx_guest", "tdx-guest")), 0, NULL);
        expect(STEP("initrd-append", L("guest", "/x"), L("modules", "../tdx")), -EINVAL, "module '../tdx' must be a kernel module name");
}

static void test_enums_and_hashes(void **state) {
        (void) state;
        expect(STEP("library", A("install", "auto")), 0, NULL);
        expect(STEP("library", A("install", "always")), -EINVAL, "install must be yes, auto or no, got 'always'");
        expect(STEP("password", A("user", "u"), A("hash", "$6$salt$abc")), 0, NULL);
        expect(STEP("password", A("user", "u"), A("hash", "$y$j9T$a$b")), 0, NULL);
        expect(STEP("password", A("user", "u"), A("hash", "$1$md5")), -EINVAL, "step password: hash must be a crypt SHA-512");
        expect(STEP("password", A("user", "u"), A("hash", "$6$a:0:0")), -EINVAL, "hash must be");
        expect(STEP("ima-label", L("paths", "/usr/bin"), A("hash", "sha256")), 0, NULL);
        expect(STEP("ima-label", L("paths", "/usr/bin"), A("hash", "md5")), -EINVAL, "hash 'md5': expected sha1, sha256, sha384 or sha512");
        expect(STEP("ima-label", L("paths", "/usr/b'in")), -EINVAL, "without '.', '..' or quotes");
}

static void test_across_arguments(void **state) {
        (void) state;
        expect(STEP("password", A("user", "u")), -EINVAL, "needs exactly one of password and hash");
        expect(STEP("password", A("user", "u"), A("password", "p"), A("hash", "$6$a$b")), -EINVAL, "exactly one");
        expect(STEP("password", A("user", "u"), A("password", "")), -EINVAL, "an empty password is refused");
        expect(STEP("initrd-append", L("modules", "tdx_guest")), -EINVAL, "step initrd-append needs add, tree or guest");
        expect(STEP("initrd-append", L("guest", "/x"), A("compress", "zip")), -EINVAL, "compress 'zip': expected none, gzip");
        expect(STEP("initrd-append", L("guest", "/x"), A("compress", "zstd")), 0, NULL);
}

/* A host source swapped for a link out of files/ after --plan: the run refuses it with --plan's own message. */
static void test_plan_then_swap(void **state) {
        char p[PATH_MAX * 2], q[PATH_MAX * 2];
        struct step s = STEP("copy", A("src", "swap.conf"), A("dest", "/etc/swap.conf"));
        cvm_error plan = { 0 }, run = { 0 };
        struct session ss = { .err = &run };

        (void) state;
        put("plug/files/swap.conf", "x\n");
        assert_int_equal(step_validate(&s, &plan), 0);
        assert_int_equal(unlink(at("plug/files/swap.conf", p, sizeof(p))), 0);
        assert_int_equal(symlink(at("outside", q, sizeof(q)), p), 0);
        assert_int_equal(step_run(&ss, &s), -EPERM);
        assert_int_equal(step_validate(&s, &plan), -EPERM);
        assert_string_equal(run.msg, plan.msg);
        assert_non_null(strstr(run.msg, "plugin.yaml:3:5: step copy: host source 'swap.conf': a symlink leads out"));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_kinds),      cmocka_unit_test(test_declarations), cmocka_unit_test(test_guest_path),
                cmocka_unit_test(test_mode),       cmocka_unit_test(test_host_source),  cmocka_unit_test(test_specs),
                cmocka_unit_test(test_packages),   cmocka_unit_test(test_names),        cmocka_unit_test(test_enums_and_hashes),
                cmocka_unit_test(test_across_arguments), cmocka_unit_test(test_plan_then_swap),
        };
        return cmocka_run_group_tests(tests, setup, scratch_teardown);
}
