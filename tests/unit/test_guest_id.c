/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The lean inspection's parsers (rewriter/guest_id.c): os-release, versions
 * as libguestfs reads them, the ELF header's architecture, fstab with its
 * escapes, which entries are local disks, and how a spec names a partition.
 * The files are the shapes Debian's and Ubuntu's cloud images ship.
 */

#include "unit.h"

#include "../../rewriter/guest_id.h"

static void test_os_release(void **state) {
        char *id, *ver;
        (void) state;

        assert_int_equal(guest_os_release("PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\n"
                                          "VERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\nID=debian\n", &id, &ver), 0);
        assert_string_equal(id, "debian");
        assert_string_equal(ver, "12");
        free(id);
        free(ver);
        /* Ubuntu's, single-quoted, ID_LIKE not taken for ID, no newline at the end. */
        assert_int_equal(guest_os_release("ID_LIKE=debian\nID='ubuntu'\nVERSION_ID=\"24.04\"", &id, &ver), 0);
        assert_string_equal(id, "ubuntu");
        assert_string_equal(ver, "24.04");
        free(id);
        free(ver);
        /* Testing/sid: no VERSION_ID. */
        assert_int_equal(guest_os_release("ID=debian\n", &id, &ver), 0);
        assert_null(ver);
        free(id);
        assert_int_equal(guest_os_release("", &id, &ver), 0);
        assert_null(id);

        assert_string_equal(guest_distro("debian"), "debian");
        assert_string_equal(guest_distro("ubuntu"), "ubuntu");
        /* Others go to libguestfs's inspection, whose names differ from their IDs (opensuse-leap, ol). */
        assert_null(guest_distro("fedora"));
        assert_null(guest_distro("debian2"));
        assert_null(guest_distro(NULL));
}

static void test_version(void **state) {
        int ma = -1, mi = -1;
        (void) state;

        assert_int_equal(guest_version("12", &ma, &mi), 0);
        assert_int_equal(ma, 12);
        assert_int_equal(mi, 0);
        assert_int_equal(guest_version("24.04", &ma, &mi), 0);
        assert_int_equal(ma, 24);
        assert_int_equal(mi, 4);
        /* /etc/debian_version ends in a newline; a third field is ignored, as libguestfs does. */
        assert_int_equal(guest_version("12.5\n", &ma, &mi), 0);
        assert_int_equal(mi, 5);
        assert_int_equal(guest_version("7.9.2009", &ma, &mi), 0);
        assert_int_equal(ma, 7);
        assert_int_equal(guest_version("trixie/sid\n", &ma, &mi), -EINVAL);
        assert_int_equal(guest_version("12.", &ma, &mi), -EINVAL);
        assert_int_equal(guest_version("1234567", &ma, &mi), -EINVAL);
        assert_int_equal(guest_version("12a", &ma, &mi), -EINVAL);
        assert_int_equal(guest_version(NULL, &ma, &mi), -EINVAL);
}

static void test_elf_arch(void **state) {
        uint8_t h[64] = { 0x7f, 'E', 'L', 'F', 2, 1, 1 };
        (void) state;

        h[18] = 62;
        assert_string_equal(guest_elf_arch(h, sizeof(h)), "x86_64");
        h[18] = 183;
        assert_string_equal(guest_elf_arch(h, sizeof(h)), "aarch64");
        h[18] = 21;
        assert_string_equal(guest_elf_arch(h, sizeof(h)), "ppc64le");
        h[5] = 2;
        h[18] = 0;
        h[19] = 21;
        assert_string_equal(guest_elf_arch(h, sizeof(h)), "ppc64");
        /* x86-64 in a 32-bit object, a cut header, no magic, an unknown machine. */
        h[5] = 1;
        h[4] = 1;
        h[18] = 62;
        h[19] = 0;
        assert_null(guest_elf_arch(h, sizeof(h)));
        assert_null(guest_elf_arch(h, 19));
        assert_null(guest_elf_arch((const uint8_t *) "#!/bin/sh\n echo hi there, not elf", 32));
        h[4] = 2;
        h[18] = 99;
        assert_null(guest_elf_arch(h, sizeof(h)));
}

static void test_fstab(void **state) {
        static const char text[] =
                "# /etc/fstab: static file system information.\n"
                "PARTUUID=5b3f0f2a-7d34-4d2e-9cc9-0e7b0c2c3b7e / ext4 rw,discard,errors=remount-ro,x-systemd.growfs 0 1\n"
                "\n"
                "  LABEL=UEFI\t/boot/efi vfat umask=0077 0 2\n"
                "/dev/disk/by-label/my\\040data /srv/my\\040data ext4 defaults\n"
                "/swapfile none swap sw 0 0\n"
                "tmpfs /tmp tmpfs defaults\n"
                "/srv/a /srv/b none bind\n"
                "server:/export /mnt nfs defaults\n"
                "short line\n"
                "/dev/vda1 /.. ext4 defaults";
        struct fstab_entry *e;
        size_t n;
        (void) state;

        assert_int_equal(guest_fstab(text, &e, &n), 0);
        assert_int_equal(n, 8);
        assert_string_equal(e[0].mountpoint, "/");
        assert_string_equal(e[1].spec, "LABEL=UEFI");
        assert_string_equal(e[1].type, "vfat");
        assert_string_equal(e[2].spec, "/dev/disk/by-label/my data");
        assert_string_equal(e[2].mountpoint, "/srv/my data");
        assert_true(e[5].bind);
        assert_true(guest_fstab_local(&e[0]) && guest_fstab_local(&e[1]) && guest_fstab_local(&e[2]));
        for (size_t i = 3; i < n; i++)
                assert_false(guest_fstab_local(&e[i]));
        guest_fstab_free(e, n);
        assert_int_equal(guest_fstab("", &e, &n), 0);
        assert_int_equal(n, 0);
        guest_fstab_free(e, n);
}

static void test_spec(void **state) {
        const char *v = NULL;
        (void) state;

        assert_string_equal(guest_spec_key("UUID=deb35cd8", &v), "UUID");
        assert_string_equal(v, "deb35cd8");
        assert_string_equal(guest_spec_key("LABEL=cloudimg-rootfs", &v), "LABEL");
        assert_string_equal(v, "cloudimg-rootfs");
        assert_string_equal(guest_spec_key("PARTUUID=fed0b4fa", &v), "PART_ENTRY_UUID");
        assert_string_equal(guest_spec_key("/dev/disk/by-partlabel/esp", &v), "PART_ENTRY_NAME");
        assert_string_equal(v, "esp");
        assert_null(guest_spec_key("UUID=", &v));
        assert_null(guest_spec_key("/dev/mapper/vg-root", &v));

        assert_int_equal(guest_spec_first_disk_partition("/dev/vda1"), 1);
        assert_int_equal(guest_spec_first_disk_partition("/dev/sda15"), 15);
        assert_int_equal(guest_spec_first_disk_partition("/dev/xvda2"), 2);
        assert_int_equal(guest_spec_first_disk_partition("/dev/nvme0n1p1"), 1);
        /* Another disk, a whole disk, partition 0, trailing text. */
        assert_int_equal(guest_spec_first_disk_partition("/dev/vdb1"), -1);
        assert_int_equal(guest_spec_first_disk_partition("/dev/sda"), -1);
        assert_int_equal(guest_spec_first_disk_partition("/dev/sda0"), -1);
        assert_int_equal(guest_spec_first_disk_partition("/dev/sda1x"), -1);
        assert_int_equal(guest_spec_first_disk_partition("/dev/nvme1n1p1"), -1);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_os_release), cmocka_unit_test(test_version), cmocka_unit_test(test_elf_arch),
                cmocka_unit_test(test_fstab),      cmocka_unit_test(test_spec),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
