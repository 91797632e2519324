/* SPDX-License-Identifier: Apache-2.0 */
/*
 * grub-mkconfig's search hints rebased from the appliance's disk name
 * (rewriter/grub_hints.c): the disk the root mount is on, read from
 * mountinfo as the appliance's kernel writes it, and the rebase of the
 * lines a closed-loop rewrite wrote with the guest's disk as sdb (the
 * second of two identical rewrites differed by exactly these hints).
 */

#include "unit.h"

#include "../../rewriter/grub_hints.h"

static const char mountinfo_sdb[] =
        "30 23 8:17 / / rw,relatime - ext4 /dev/sdb1 rw\n"
        "31 30 0:5 / /dev rw,relatime - devtmpfs /dev rw,size=612916k\n"
        "33 30 8:31 / /boot/efi rw,relatime - vfat /dev/sdb15 rw\n";

static void test_disk_index(void **state) {
        (void) state;
        assert_int_equal(grub_hints_disk_index(mountinfo_sdb), 1);
        assert_int_equal(grub_hints_disk_index("30 23 8:1 / / rw - ext4 /dev/sda1 rw\n"), 0);
        assert_int_equal(grub_hints_disk_index("30 23 8:48 / / rw - ext4 /dev/sdd rw"), 3);
        /* Whole-disk names past sdz, other drivers, a root not found: no guess to undo. */
        assert_int_equal(grub_hints_disk_index("30 23 65:1 / / rw - ext4 /dev/sdab1 rw\n"), -1);
        assert_int_equal(grub_hints_disk_index("30 23 254:1 / / rw - ext4 /dev/vda1 rw\n"), -1);
        assert_int_equal(grub_hints_disk_index("31 30 0:5 / /dev rw - devtmpfs /dev/sdb1 rw\n"), -1);
        assert_int_equal(grub_hints_disk_index(""), -1);
        /* Cut or hostile lines. */
        assert_int_equal(grub_hints_disk_index("30 23 8:17 / /"), -1);
        assert_int_equal(grub_hints_disk_index("30 23 8:17 / / rw - ext4"), -1);
        assert_int_equal(grub_hints_disk_index(" - - - - - -\n\n\n"), -1);
}

static void expect(const char *in, int index, const char *want) {
        char *out = grub_hints_rebase(in, index);

        assert_non_null(out);
        assert_string_equal(out, want);
        free(out);
}

static void test_any(void **state) {
        (void) state;
        /* What a rewrite wrote with the guest's disk as sdb, and a two-digit disk: a rebase would change them. */
        assert_true(grub_hints_any("search --no-floppy --hint-bios=hd1,gpt1 x\n"));
        assert_true(grub_hints_any("\tset root='hd1,gpt1'\n"));
        assert_true(grub_hints_any("--hint-baremetal=ahci3,gpt1"));
        assert_true(grub_hints_any("--hint-efi=hd12,msdos1"));
        /* The VM's own grub.cfg (disk 0), a cfg without hints, an unquoted root: nothing to rebase. */
        assert_false(grub_hints_any("search --hint-bios=hd0,gpt1 --hint-efi=hd0,gpt1 --hint-baremetal=ahci0,gpt1 x\n"));
        assert_false(grub_hints_any("set default=0\nmenuentry 'Debian GNU/Linux' {\n\tlinux /boot/vmlinuz root=/dev/sda1\n}\n"));
        assert_false(grub_hints_any("set root=hd1,gpt1 hd1,gpt1 --hint=hd1,gpt1"));
        assert_false(grub_hints_any(""));
}

static void test_rebase(void **state) {
        (void) state;
        expect("\t  search --no-floppy --fs-uuid --set=root --hint-bios=hd1,gpt1 --hint-efi=hd1,gpt1 "
               "--hint-baremetal=ahci1,gpt1  38cecd04-816a-44e8-96bb-e7831464af1d\n",
               1,
               "\t  search --no-floppy --fs-uuid --set=root --hint-bios=hd0,gpt1 --hint-efi=hd0,gpt1 "
               "--hint-baremetal=ahci0,gpt1  38cecd04-816a-44e8-96bb-e7831464af1d\n");
        /* The compatibility hint before the search line: the second of two closed-loop rewrites differed by it. */
        expect("\tinsmod ext2\n\tset root='hd1,gpt1'\n\tif [ x$feature_platform_search_hint = xy ]; then\n", 1,
               "\tinsmod ext2\n\tset root='hd0,gpt1'\n\tif [ x$feature_platform_search_hint = xy ]; then\n");
        expect("set root='hd1'", 1, "set root='hd0'");
        /* Another disk, a root set by a variable, an unquoted one (grub-mkconfig always quotes): kept. */
        expect("set root='hd2,gpt1' set root=$x set root=hd1,gpt1", 1, "set root='hd2,gpt1' set root=$x set root=hd1,gpt1");
        /* A whole-disk file system, and a two-digit disk. */
        expect("search --hint-bios=hd2 --hint-efi=hd2 x", 2, "search --hint-bios=hd0 --hint-efi=hd0 x");
        expect("--hint-bios=hd12,msdos1", 12, "--hint-bios=hd0,msdos1");
        /* Another disk's hint, a longer number with the same start, other text: kept. */
        expect("--hint-bios=hd3,gpt1 --hint-bios=hd10,gpt1 hd1,gpt1 --hint=hd1,gpt1", 1,
               "--hint-bios=hd3,gpt1 --hint-bios=hd10,gpt1 hd1,gpt1 --hint=hd1,gpt1");
        expect("--hint-bios=hd1", 1, "--hint-bios=hd0");
        expect("", 1, "");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_disk_index),
                cmocka_unit_test(test_any),
                cmocka_unit_test(test_rebase),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
