/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The boot chain prediction: the Authenticode digest of a PE built here
 * (against the ranges hashed by hand), hostile PE headers, the GPT event of a
 * disk built here, OVMF's fixed events and the event-by-event comparison,
 * and GRUB's measurements predicted from the e2e's hand-written grub.cfg
 * (the event list the real boot logged), a generated-style config with a
 * submenu default, and configs the evaluator refuses.
 */

#include "unit.h"

#include "../../rewriter/grub_predict.h"

#define PE_SIZE 0x600
#define OPT 0x98 /* 0x80 (e_lfanew) + 24 */

/* A PE32+ with one section at 0x400 (0x100 bytes), a certificate table of 0x100 bytes at 0x500. */
static uint8_t *make_pe(void) {
        uint8_t *pe = calloc(1, PE_SIZE);

        assert_non_null(pe);
        pe[0] = 'M', pe[1] = 'Z', pe[0x3c] = 0x80;
        memcpy(pe + 0x80, "PE\0\0", 4);
        pe[0x80 + 6] = 1;                        /* NumberOfSections */
        pe[0x80 + 20] = 240;                     /* SizeOfOptionalHeader */
        pe[OPT] = 0x0b, pe[OPT + 1] = 0x02;      /* PE32+ */
        pe[OPT + 60] = 0x00, pe[OPT + 61] = 0x04; /* SizeOfHeaders 0x400 */
        memset(pe + OPT + 64, 0xcc, 4);          /* CheckSum: excluded */
        pe[OPT + 108] = 16;                      /* NumberOfRvaAndSizes */
        pe[OPT + 112 + 32] = 0x00, pe[OPT + 112 + 33] = 0x05; /* security dir: offset 0x500 */
        pe[OPT + 112 + 37] = 0x01;               /* size 0x100 */
        uint8_t *sec = pe + OPT + 240;
        sec[17] = 0x01;                          /* SizeOfRawData 0x100 */
        sec[21] = 0x04;                          /* PointerToRawData 0x400 */
        for (size_t i = 0x400; i < PE_SIZE; i++)
                pe[i] = (uint8_t) i;
        return pe;
}

static void test_authenticode(void **state) {
        uint8_t *pe = make_pe(), got[CVM_DIGEST_MAX], want[32], *hashed = malloc(PE_SIZE);
        size_t n = 0, cert = OPT + 112 + 32;

        (void) state;
        assert_non_null(hashed);
        /* headers without CheckSum and the security entry, then the section; the certificates are not hashed. */
        memcpy(hashed, pe, OPT + 64), n = OPT + 64;
        memcpy(hashed + n, pe + OPT + 68, cert - (OPT + 68)), n += cert - (OPT + 68);
        memcpy(hashed + n, pe + cert + 8, 0x400 - (cert + 8)), n += 0x400 - (cert + 8);
        memcpy(hashed + n, pe + 0x400, 0x100), n += 0x100;
        assert_int_equal(cvm_digest(CVM_ALG_SHA256, hashed, n, want, NULL), 0);
        assert_int_equal(cvm_pe_authenticode(pe, PE_SIZE, CVM_ALG_SHA256, got, NULL), 0);
        assert_memory_equal(got, want, 32);
        /* The CheckSum and the certificates may change: the digest does not. */
        memset(pe + OPT + 64, 0, 4);
        memset(pe + 0x500, 0xee, 0x100);
        assert_int_equal(cvm_pe_authenticode(pe, PE_SIZE, CVM_ALG_SHA256, got, NULL), 0);
        assert_memory_equal(got, want, 32);
        /* A section byte changes it. */
        pe[0x410] ^= 1;
        assert_int_equal(cvm_pe_authenticode(pe, PE_SIZE, CVM_ALG_SHA256, got, NULL), 0);
        assert_memory_not_equal(got, want, 32);
        free(hashed);
        free(pe);
}

static void test_authenticode_hostile(void **state) {
        uint8_t *pe = make_pe(), out[CVM_DIGEST_MAX];
        cvm_error err = { 0 };

        (void) state;
        assert_int_equal(cvm_pe_authenticode(pe, 0x40, CVM_ALG_SHA256, out, &err), -EBADMSG);
        pe[0x3c] = 0xf0, pe[0x3d] = 0xff;       /* e_lfanew past the end */
        assert_int_equal(cvm_pe_authenticode(pe, PE_SIZE, CVM_ALG_SHA256, out, &err), -EBADMSG);
        assert_non_null(strstr(err.msg, "offset 60"));
        pe[0x3c] = 0x80, pe[0x3d] = 0;
        pe[OPT + 240 + 21] = 0x06;              /* section at 0x600: outside */
        assert_int_equal(cvm_pe_authenticode(pe, PE_SIZE, CVM_ALG_SHA256, out, &err), -EBADMSG);
        pe[OPT + 240 + 21] = 0x04;
        pe[OPT + 61] = 0x10;                    /* SizeOfHeaders past the end */
        assert_int_equal(cvm_pe_authenticode(pe, PE_SIZE, CVM_ALG_SHA256, out, &err), -EBADMSG);
        free(pe);
}

/* A GPT: 128 entries of 128 bytes at LBA 2, entries 0 and 14 used. */
static void test_gpt_event(void **state) {
        uint8_t *disk = calloc(1, CVM_GPT_EVENT_DISK_BYTES), *ev = NULL;
        size_t n = 0;

        (void) state;
        assert_non_null(disk);
        memcpy(disk + 512, "EFI PART", 8);
        disk[512 + 12] = 92, disk[512 + 72] = 2, disk[512 + 80] = 128, disk[512 + 84] = 128;
        disk[1024 + 0] = 0xaf, disk[1024 + 56] = 'r';
        disk[1024 + 14 * 128] = 0x28, disk[1024 + 14 * 128 + 56] = 'e';
        assert_int_equal(cvm_gpt_event(disk, CVM_GPT_EVENT_DISK_BYTES, &ev, &n, NULL), 0);
        assert_int_equal(n, 92 + 8 + 2 * 128);
        assert_memory_equal(ev, disk + 512, 92);
        assert_int_equal(ev[92], 2);
        assert_int_equal(ev[100 + 56], 'r');
        assert_int_equal(ev[228 + 56], 'e');
        free(ev);
        disk[512 + 72] = 200;                   /* the entry array outside the bytes given */
        assert_int_equal(cvm_gpt_event(disk, CVM_GPT_EVENT_DISK_BYTES, &ev, &n, NULL), -EBADMSG);
        free(disk);
}

static cvm_eventlog *firmware_chain(const char *extra) {
        cvm_eventlog *log = NULL;

        assert_int_equal(cvm_bootchain_new(&log, NULL), 0);
        assert_int_equal(cvm_bootchain_firmware_start(log, (const uint8_t *) "gpt", 3, NULL), 0);
        assert_int_equal(cvm_bootchain_append_data(log, 8, CVM_EV_IPL, extra, strlen(extra), NULL), 0);
        assert_int_equal(cvm_bootchain_firmware_exit(log, NULL), 0);
        return log;
}

static void test_compare(void **state) {
        cvm_eventlog *a = firmware_chain("grub_cmd: x"), *b = firmware_chain("grub_cmd: y");
        struct cvm_bootchain_diff d;

        (void) state;
        assert_int_equal(cvm_bootchain_compare(a, a, 5, &d, NULL), 0);
        assert_true(d.match);
        assert_int_equal(d.predicted, 4); /* separator, GPT, the two ExitBootServices actions */
        assert_int_equal(cvm_bootchain_compare(a, b, 4, &d, NULL), 0);
        assert_true(d.match);
        assert_int_equal(cvm_bootchain_compare(a, b, 8, &d, NULL), 0);
        assert_false(d.match);
        assert_int_equal(d.first, 0);
        assert_memory_equal(d.got->data, "grub_cmd: y", 11);
        cvm_eventlog_free(a);
        cvm_eventlog_free(b);
}

static long long size_of(void *userdata, const char *path) {
        (void) userdata;
        return strstr(path, "custom.cfg") ? -1 : 100;
}

/* The e2e's hand-written grub.cfg: the PCR8/9 events its real boot logged, in order. */
static void test_grub_e2e(void **state) {
        static const char cfg[] = "set timeout=0\nset default=0\n# comment\ninsmod tpm\n"
                                  "menuentry 'Debian GNU/Linux' {\n        search --no-floppy --label r --set root\n"
                                  "        linuxefi /boot/vmlinuz-6 root=LABEL=r ro quiet\n        initrdefi /boot/initrd.img-6\n}\n";
        static const char entry[] = "menuentry Debian GNU/Linux {\n        search --no-floppy --label r --set root\n"
                                    "        linuxefi /boot/vmlinuz-6 root=LABEL=r ro quiet\n        initrdefi /boot/initrd.img-6\n}";
        static const char *const want[] = {
                "(hd0,gpt1)/boot/grub/grub.cfg", "set timeout=0", "set default=0", "insmod tpm", entry,
                "setparams Debian GNU/Linux", "search --no-floppy --label r --set root",
                "linuxefi /boot/vmlinuz-6 root=LABEL=r ro quiet", "/boot/vmlinuz-6",
                "/boot/vmlinuz-6 root=LABEL=r ro quiet", "initrdefi /boot/initrd.img-6", "/boot/initrd.img-6",
        };
        struct grub_prediction p;

        (void) state;
        assert_int_equal(grub_predict(cfg, NULL, "hd0,gpt1", size_of, NULL, &p), 0);
        assert_null(p.unpredicted);
        assert_int_equal(p.n, sizeof(want) / sizeof(want[0]));
        for (size_t i = 0; i < p.n; i++)
                assert_string_equal(p.v[i].text, want[i]);
        assert_int_equal(p.v[0].kind, GRUB_EV_FILE);
        assert_string_equal(p.v[0].path, "/boot/grub/grub.cfg");
        assert_int_equal(p.v[9].kind, GRUB_EV_CMDLINE);
        grub_prediction_clear(&p);
}

/* grub-mkconfig's shape: variables, [ ], functions, a submenu reached by a '>' default from grubenv. */
static void test_grub_generated(void **state) {
        static const char cfg[] =
                "if [ -s $prefix/grubenv ]; then\n  load_env\nfi\n"
                "if [ \"${next_entry}\" ] ; then\n   set default=\"${next_entry}\"\nelse\n   set default=\"${saved_entry}\"\nfi\n"
                "if [ x\"${feature_menuentry_id}\" = xy ]; then\n  menuentry_id_option=\"--id\"\nelse\n  menuentry_id_option=\"\"\nfi\n"
                "function load_video {\n  insmod all_video\n}\n"
                "menuentry 'Top' $menuentry_id_option 'top' {\n\tlinux /boot/vmlinuz-a ro\n}\n"
                "submenu 'More' $menuentry_id_option 'more' {\n"
                "\tmenuentry 'B' --class os $menuentry_id_option 'b' {\n\t\tload_video\n\t\tlinux\t/boot/vmlinuz-b  ro quiet\n\t}\n}\n";
        struct grub_prediction p;

        (void) state;
        assert_int_equal(grub_predict(cfg, "# GRUB Environment Block\nsaved_entry=more>b\n####", "hd0,gpt15", size_of, NULL, &p), 0);
        assert_null(p.unpredicted);
        assert_string_equal(p.v[1].text, "[ -s (hd0,gpt15)/boot/grub/grubenv ]");
        assert_string_equal(p.v[3].text, "[  ]");
        assert_string_equal(p.v[4].text, "set default=more>b");
        assert_string_equal(p.v[p.n - 6].text, "setparams B");
        assert_string_equal(p.v[p.n - 5].text, "load_video");
        assert_string_equal(p.v[p.n - 4].text, "insmod all_video");
        assert_string_equal(p.v[p.n - 3].text, "linux /boot/vmlinuz-b ro quiet");
        assert_string_equal(p.v[p.n - 1].text, "/boot/vmlinuz-b ro quiet");
        grub_prediction_clear(&p);
}

static void test_grub_refused(void **state) {
        static const char *const cfgs[] = {
                "menuentry 'x' {\n\tchainloader /efi/x.efi\n}\n",     /* a command it does not evaluate */
                "for i in 1 2; do echo $i; done\n",                   /* loops */
                "menuentry 'x' {\n\tlinux /boot/vmlinuz\n",           /* unclosed block */
                "set default=7\nmenuentry 'x' {\n\tlinux /boot/v\n}\n", /* no such entry */
                "menuentry 'x' {\n\techo no kernel\n}\n",
                "menuentry 'x' {\n\tlinux (hd1,gpt1)/vmlinuz\n}\n",    /* another disk */
        };
        struct grub_prediction p;

        (void) state;
        for (size_t i = 0; i < sizeof(cfgs) / sizeof(cfgs[0]); i++) {
                assert_int_equal(grub_predict(cfgs[i], NULL, "hd0,gpt1", size_of, NULL, &p), 0);
                assert_non_null(p.unpredicted);
                grub_prediction_clear(&p);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_authenticode), cmocka_unit_test(test_authenticode_hostile),
                cmocka_unit_test(test_gpt_event),    cmocka_unit_test(test_compare),
                cmocka_unit_test(test_grub_e2e),     cmocka_unit_test(test_grub_generated),
                cmocka_unit_test(test_grub_refused),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
