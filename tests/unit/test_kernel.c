/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The kernel step's host-side parts: grub.cfg read as a menu (defaults by
 * index, id, title, submenu path and grubenv; the hand-written edit), and the
 * kernel version read from .deb and .rpm packages built here with libarchive
 * in the layouts dpkg-deb and rpmbuild write.
 */

#include "unit.h"

#include <archive.h>
#include <archive_entry.h>

#include "../../rewriter/grub_cfg.h"
#include "../../rewriter/kernel_pkg.h"

/* Debian 12's grub-mkconfig output, trimmed to what the menu needs (two kernels, a recovery entry). */
static const char generated[] =
        "if [ -s $prefix/grubenv ]; then\n"
        "  set have_grubenv=true\n"
        "  load_env\n"
        "fi\n"
        "if [ \"${next_entry}\" ] ; then\n"
        "   set default=\"${next_entry}\"\n"
        "   set next_entry=\n"
        "else\n"
        "   set default=\"DEFAULT\"\n"
        "fi\n"
        "function load_video {\n"
        "  insmod all_video\n"
        "}\n"
        "### BEGIN /etc/grub.d/10_linux ###\n"
        "menuentry 'Debian GNU/Linux' --class debian --class gnu-linux $menuentry_id_option 'gnulinux-simple-U1' {\n"
        "\tload_video\n"
        "\tsearch --no-floppy --fs-uuid --set=root U1\n"
        "\techo\t'Loading Linux 6.1.0-56-amd64 ...'\n"
        "\tlinux\t/boot/vmlinuz-6.1.0-56-amd64 root=UUID=U1 ro  console=tty0 console=ttyS0,115200\n"
        "\tinitrd\t/boot/initrd.img-6.1.0-56-amd64\n"
        "}\n"
        "submenu 'Advanced options for Debian GNU/Linux' $menuentry_id_option 'gnulinux-advanced-U1' {\n"
        "\tmenuentry 'Debian GNU/Linux, with Linux 6.1.0-56-amd64' --class debian $menuentry_id_option 'gnulinux-6.1.0-56-amd64-advanced-U1' {\n"
        "\t\tlinux\t/boot/vmlinuz-6.1.0-56-amd64 root=UUID=U1 ro  console=tty0\n"
        "\t\tinitrd\t/boot/initrd.img-6.1.0-56-amd64\n"
        "\t}\n"
        "\tmenuentry 'Debian GNU/Linux, with Linux 6.1.0-56-cloud-amd64 (recovery mode)' --class debian $menuentry_id_option 'gnulinux-6.1.0-56-cloud-amd64-recovery-U1' {\n"
        "\t\tlinux\t/boot/vmlinuz-6.1.0-56-cloud-amd64 root=UUID=U1 ro single\n"
        "\t}\n"
        "\tmenuentry 'Debian GNU/Linux, with Linux 6.1.0-56-cloud-amd64' --class debian $menuentry_id_option 'gnulinux-6.1.0-56-cloud-amd64-advanced-U1' {\n"
        "\t\tlinux\t/boot/vmlinuz-6.1.0-56-cloud-amd64 root=UUID=U1 ro  console=tty0\n"
        "\t\tinitrd\t/boot/initrd.img-6.1.0-56-cloud-amd64\n"
        "\t}\n"
        "}\n";

/* The generated file with `set default` as dflt. */
static char *with_default(const char *dflt) {
        const char *at = strstr(generated, "DEFAULT\"");
        char *s = NULL;
        assert_true(asprintf(&s, "%.*s%s%s", (int) (at - generated), generated, dflt, at + 7) > 0);
        return s;
}

static void expect_default_kernel(const char *dflt, const char *saved, const char *kernel) {
        char *cfg = with_default(dflt), *k = grub_cfg_default_kernel(cfg, saved);
        if (kernel)
                assert_string_equal(k, kernel);
        else
                assert_null(k);
        free(k);
        free(cfg);
}

static void test_default(void **state) {
        char *cfg, *line;
        (void) state;

        expect_default_kernel("0", NULL, "/boot/vmlinuz-6.1.0-56-amd64");
        expect_default_kernel("gnulinux-advanced-U1>gnulinux-6.1.0-56-cloud-amd64-advanced-U1", NULL,
                              "/boot/vmlinuz-6.1.0-56-cloud-amd64");
        expect_default_kernel("1>2", NULL, "/boot/vmlinuz-6.1.0-56-cloud-amd64");
        expect_default_kernel("Advanced options for Debian GNU/Linux>Debian GNU/Linux, with Linux 6.1.0-56-cloud-amd64",
                              NULL, "/boot/vmlinuz-6.1.0-56-cloud-amd64");
        /* A submenu as the default boots its first entry. */
        expect_default_kernel("1", NULL, "/boot/vmlinuz-6.1.0-56-amd64");
        expect_default_kernel("${saved_entry}", "gnulinux-advanced-U1>gnulinux-6.1.0-56-cloud-amd64-advanced-U1",
                              "/boot/vmlinuz-6.1.0-56-cloud-amd64");
        expect_default_kernel("${saved_entry}", NULL, "/boot/vmlinuz-6.1.0-56-amd64");
        expect_default_kernel("gnulinux-nothere", NULL, NULL);
        expect_default_kernel("7", NULL, NULL);

        /* The command line as GRUB passes it: BOOT_IMAGE first, the rest of the linux line as written. */
        cfg = with_default("0");
        line = grub_cfg_default_cmdline(cfg, NULL);
        assert_string_equal(line, "BOOT_IMAGE=/boot/vmlinuz-6.1.0-56-amd64 root=UUID=U1 ro console=tty0 console=ttyS0,115200");
        free(line);
        free(cfg);
        /* Quoted words: dequoted, then written the way grub_create_loader_cmdline escapes them. */
        line = grub_cfg_default_cmdline("menuentry x {\n  linux\t'/boot/vmlinuz 1' a=\"b c\" d\\\"e f'g'  \n}\n", NULL);
        assert_string_equal(line, "BOOT_IMAGE=\"/boot/vmlinuz 1\" \"a=b c\" d\\\"e fg");
        free(line);
}

static void test_entry_path(void **state) {
        char *cfg = with_default("0"), *path = NULL;
        (void) state;

        /* The recovery entry comes first and is skipped. */
        assert_int_equal(grub_cfg_entry_path(cfg, "vmlinuz-6.1.0-56-cloud-amd64", &path), 0);
        assert_string_equal(path, "gnulinux-advanced-U1>gnulinux-6.1.0-56-cloud-amd64-advanced-U1");
        free(path);
        /* The entry whose id names the version, not the "simple" one that follows the newest kernel. */
        assert_int_equal(grub_cfg_entry_path(cfg, "vmlinuz-6.1.0-56-amd64", &path), 0);
        assert_string_equal(path, "gnulinux-advanced-U1>gnulinux-6.1.0-56-amd64-advanced-U1");
        free(path);
        assert_int_equal(grub_cfg_entry_path(cfg, "vmlinuz-6.1.0-56", &path), -ENOENT);
        free(cfg);
        /* No ids: titles. */
        assert_int_equal(grub_cfg_entry_path("submenu 'A' {\nmenuentry 'B' {\nlinux /vmlinuz-1 ro\n}\n}\n", "vmlinuz-1", &path), 0);
        assert_string_equal(path, "A>B");
        free(path);
}

/* The closed loop's base: GRUB without its generator, linuxefi (tests/e2e/make-base.sh). */
static const char handwritten[] =
        "set timeout=0\n"
        "set default=0\n"
        "insmod tpm\n"
        "menuentry 'Debian GNU/Linux' {\n"
        "        search --no-floppy --label cloudimg-rootfs --set root\n"
        "        linuxefi /boot/vmlinuz-6.1.0-50-amd64 root=LABEL=cloudimg-rootfs ro console=ttyS0,115200 quiet\n"
        "        initrdefi /boot/initrd.img-6.1.0-50-amd64\n"
        "}\n";

static void test_add_default(void **state) {
        char *once = NULL, *twice = NULL, *k, *line;
        (void) state;

        assert_int_equal(grub_cfg_add_default(handwritten, "6.1.0-56-cloud-amd64", "vmlinuz-6.1.0-56-cloud-amd64",
                                              "initrd.img-6.1.0-56-cloud-amd64", &once), 0);
        assert_string_equal(once,
                            "set timeout=0\n"
                            "set default='cvm-kernel-6.1.0-56-cloud-amd64'\n"
                            "insmod tpm\n"
                            "menuentry 'Debian GNU/Linux, with Linux 6.1.0-56-cloud-amd64' --id 'cvm-kernel-6.1.0-56-cloud-amd64' {\n"
                            "        search --no-floppy --label cloudimg-rootfs --set root\n"
                            "        linuxefi /boot/vmlinuz-6.1.0-56-cloud-amd64 root=LABEL=cloudimg-rootfs ro console=ttyS0,115200 quiet\n"
                            "        initrdefi /boot/initrd.img-6.1.0-56-cloud-amd64\n"
                            "}\n"
                            "menuentry 'Debian GNU/Linux' {\n"
                            "        search --no-floppy --label cloudimg-rootfs --set root\n"
                            "        linuxefi /boot/vmlinuz-6.1.0-50-amd64 root=LABEL=cloudimg-rootfs ro console=ttyS0,115200 quiet\n"
                            "        initrdefi /boot/initrd.img-6.1.0-50-amd64\n"
                            "}\n");
        k = grub_cfg_default_kernel(once, NULL);
        assert_string_equal(k, "/boot/vmlinuz-6.1.0-56-cloud-amd64");
        free(k);
        line = grub_cfg_default_cmdline(once, NULL);
        assert_string_equal(line, "BOOT_IMAGE=/boot/vmlinuz-6.1.0-56-cloud-amd64 root=LABEL=cloudimg-rootfs ro console=ttyS0,115200 quiet");
        free(line);
        /* A second run changes nothing. */
        assert_int_equal(grub_cfg_add_default(once, "6.1.0-56-cloud-amd64", "vmlinuz-6.1.0-56-cloud-amd64",
                                              "initrd.img-6.1.0-56-cloud-amd64", &twice), 0);
        assert_string_equal(twice, once);
        free(twice);
        free(once);

        assert_int_equal(grub_cfg_add_default(handwritten, "6.1'x", "vmlinuz-6.1'x", "initrd.img-6.1'x", &once), -EINVAL);
        assert_int_equal(grub_cfg_add_default("set default=0\n", "1", "vmlinuz-1", "initrd.img-1", &once), -ENOENT);
}

static void test_garbage(void **state) {
        static const char *const bad[] = {
                "}}}}\nmenuentry\n{\n", "menuentry 'a\n", "submenu x {\nsubmenu y {\n", "set default=\"\n",
                "menuentry '' {\nlinux\n}\n", "set default=0>0>0>0\nsubmenu s {\n}\n", "",
        };
        char *out = NULL;
        (void) state;

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                free(grub_cfg_default_cmdline(bad[i], NULL));
                assert_null(grub_cfg_default_kernel(bad[i], "x>y"));
                assert_int_equal(grub_cfg_entry_path(bad[i], "vmlinuz-1", &out), -ENOENT);
        }
}

/* An archive of the given entries (path, content) in memory. */
static void *archive_of(int format, int filter, const char *const *entries, size_t *len) {
        size_t cap = 1 << 20;
        void *buf = malloc(cap);
        struct archive *a = archive_write_new();

        assert_non_null(buf);
        assert_int_equal(archive_write_set_format(a, format), ARCHIVE_OK);
        if (filter != ARCHIVE_FILTER_NONE)
                assert_int_equal(archive_write_add_filter(a, filter), ARCHIVE_OK);
        archive_write_set_bytes_in_last_block(a, 1);
        assert_int_equal(archive_write_open_memory(a, buf, cap, len), ARCHIVE_OK);
        for (size_t i = 0; entries[i]; i += 2) {
                struct archive_entry *e = archive_entry_new();
                archive_entry_set_pathname(e, entries[i]);
                archive_entry_set_filetype(e, AE_IFREG);
                archive_entry_set_perm(e, 0644);
                archive_entry_set_size(e, (la_int64_t) strlen(entries[i + 1]));
                assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
                assert_int_equal(archive_write_data(a, entries[i + 1], strlen(entries[i + 1])), (la_ssize_t) strlen(entries[i + 1]));
                archive_entry_free(e);
        }
        assert_int_equal(archive_write_close(a), ARCHIVE_OK);
        archive_write_free(a);
        return buf;
}

/* A .deb as dpkg-deb writes it: ar with debian-binary, control.tar.xz, data.tar.<filter>. */
static void *deb_of(const char *const *data_entries, int filter, const char *data_name, size_t *len) {
        const char *const control[] = { "./control", "Package: linux-image-test\n", NULL };
        size_t clen, dlen;
        void *c = archive_of(ARCHIVE_FORMAT_TAR_GNUTAR, ARCHIVE_FILTER_XZ, control, &clen);
        void *d = archive_of(ARCHIVE_FORMAT_TAR_GNUTAR, filter, data_entries, &dlen);
        const struct { const char *name; const void *p; size_t n; } m[] = {
                { "debian-binary", "2.0\n", 4 }, { "control.tar.xz", c, clen }, { data_name, d, dlen },
        };
        size_t cap = 4 << 20;
        struct archive *a = archive_write_new();
        void *deb = malloc(cap);

        assert_non_null(deb);
        assert_int_equal(archive_write_set_format_ar_svr4(a), ARCHIVE_OK);
        archive_write_set_bytes_in_last_block(a, 1);
        assert_int_equal(archive_write_open_memory(a, deb, cap, len), ARCHIVE_OK);
        for (size_t i = 0; i < 3; i++) {
                struct archive_entry *e = archive_entry_new();
                archive_entry_set_pathname(e, m[i].name);
                archive_entry_set_filetype(e, AE_IFREG);
                archive_entry_set_perm(e, 0644);
                archive_entry_set_size(e, (la_int64_t) m[i].n);
                assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
                assert_int_equal(archive_write_data(a, m[i].p, m[i].n), (la_ssize_t) m[i].n);
                archive_entry_free(e);
        }
        assert_int_equal(archive_write_close(a), ARCHIVE_OK);
        archive_write_free(a);
        free(c);
        free(d);
        return deb;
}

static void expect_versions(const void *pkg, size_t len, int want_rc, const char *want) {
        char **v = NULL;
        size_t n = 0;
        cvm_error err = { 0 };
        int r = kernel_pkg_versions(pkg, len, "pkg", &v, &n, &err);

        assert_int_equal(r, want_rc);
        if (want) {
                assert_int_equal(n, 1);
                assert_string_equal(v[0], want);
        } else if (r == 0) {
                assert_int_equal(n, 0);
        }
        for (size_t i = 0; i < n; i++)
                free(v[i]);
        free(v);
}

static void test_deb(void **state) {
        const char *const image[] = { "./boot/vmlinuz-6.8.0-1014-intel", "MZ", "./boot/config-6.8.0-1014-intel", "x",
                                      "./usr/share/doc/linux-image/changelog", "y", NULL };
        const char *const modules[] = { "./lib/modules/6.8.0-1014-intel/kernel/a.ko", "x", NULL };
        const char *const evil[] = { "./boot/vmlinuz-6.8;reboot", "MZ", NULL };
        /* The version goes to update-initramfs -k and dracut as a word: never one that reads as an option. */
        const char *const dash[] = { "./lib/modules/-rf/vmlinuz", "MZ", NULL };
        const struct { int filter; const char *name; } f[] = {
                { ARCHIVE_FILTER_XZ, "data.tar.xz" }, { ARCHIVE_FILTER_ZSTD, "data.tar.zst" },
                { ARCHIVE_FILTER_GZIP, "data.tar.gz" }, { ARCHIVE_FILTER_NONE, "data.tar" },
        };
        size_t len;
        void *deb;
        (void) state;

        for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
                deb = deb_of(image, f[i].filter, f[i].name, &len);
                assert_int_equal(kernel_pkg_format(deb, len), KERNEL_PKG_DEB);
                expect_versions(deb, len, 0, "6.8.0-1014-intel");
                /* Cut anywhere: an error, never a crash or a version. */
                expect_versions(deb, len / 2, -EINVAL, NULL);
                free(deb);
        }
        /* Ubuntu's modules package installs no kernel image. */
        deb = deb_of(modules, ARCHIVE_FILTER_XZ, "data.tar.xz", &len);
        expect_versions(deb, len, 0, NULL);
        free(deb);
        /* A version that would be a shell word of its own in the guest is refused. */
        deb = deb_of(evil, ARCHIVE_FILTER_XZ, "data.tar.xz", &len);
        expect_versions(deb, len, -EINVAL, NULL);
        free(deb);
        deb = deb_of(dash, ARCHIVE_FILTER_XZ, "data.tar.xz", &len);
        expect_versions(deb, len, -EINVAL, NULL);
        free(deb);
        expect_versions("!<arch>\ngarbage", 15, -EINVAL, NULL);
        expect_versions("hello", 5, -EINVAL, NULL);
}

/* An .rpm as rpmbuild lays it out: the 96-byte lead, the signature header (padded to 8), the header,
 * the payload (cpio newc, here xz as Fedora's).  Headers without tags, which is all the payload reader needs. */
/* One rule for a kernel version, whether it comes from a package or from the guest's /boot (kernel_probe.c). */
static void test_version_rule(void **state) {
        char long_v[130];

        (void) state;
        assert_true(kernel_version_ok("6.1.0-57-amd64", 14));
        assert_true(kernel_version_ok("6.8.0-1010+tdx~22.04", 20));
        assert_false(kernel_version_ok("", 0));
        assert_false(kernel_version_ok(".", 1));
        assert_false(kernel_version_ok("..", 2));
        assert_false(kernel_version_ok("-rf", 3));
        assert_false(kernel_version_ok("6.1/../x", 8));
        assert_false(kernel_version_ok("6.1 x", 5));
        memset(long_v, 'a', sizeof(long_v));
        assert_true(kernel_version_ok(long_v, 128));
        assert_false(kernel_version_ok(long_v, 129));
}

static void *rpm_of(const char *const *entries, size_t *len) {
        static const uint8_t header[16] = { 0x8e, 0xad, 0xe8, 0x01 };
        size_t plen;
        void *payload = archive_of(ARCHIVE_FORMAT_CPIO_SVR4_NOCRC, ARCHIVE_FILTER_XZ, entries, &plen);
        uint8_t *rpm = calloc(1, 96 + 16 + 16 + plen);

        assert_non_null(rpm);
        memcpy(rpm, "\xed\xab\xee\xdb\x03\x00", 6);
        memcpy(rpm + 96, header, 16);
        memcpy(rpm + 112, header, 16);
        memcpy(rpm + 128, payload, plen);
        *len = 128 + plen;
        free(payload);
        return rpm;
}

static void test_rpm(void **state) {
        const char *const fedora[] = { "./lib/modules/6.11.4-301.fc41.x86_64/vmlinuz", "MZ",
                                       "./lib/modules/6.11.4-301.fc41.x86_64/modules.order", "x", NULL };
        const char *const boot[] = { "./boot/vmlinuz-5.14.0-427.el9.x86_64", "MZ", NULL };
        size_t len;
        void *rpm;
        (void) state;

        rpm = rpm_of(fedora, &len);
        assert_int_equal(kernel_pkg_format(rpm, len), KERNEL_PKG_RPM);
        expect_versions(rpm, len, 0, "6.11.4-301.fc41.x86_64");
        free(rpm);
        rpm = rpm_of(boot, &len);
        expect_versions(rpm, len, 0, "5.14.0-427.el9.x86_64");
        expect_versions(rpm, 100, -EINVAL, NULL);
        free(rpm);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_default),   cmocka_unit_test(test_entry_path), cmocka_unit_test(test_add_default),
                cmocka_unit_test(test_garbage),   cmocka_unit_test(test_deb),        cmocka_unit_test(test_rpm),
                cmocka_unit_test(test_version_rule),
        };
        return cmocka_run_group_tests_name("kernel", tests, NULL, NULL);
}
