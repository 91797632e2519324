/* SPDX-License-Identifier: Apache-2.0 */
/* Firmware-owned values from files: TDVF metadata and MRTD, the OVMF variable store and PCR7, the CC mapping. */
#include <string.h>

#include "unit.h"

#define IMG 0x4000
#define DESC 0x2000

static void put32(uint8_t *p, uint32_t v) {
        for (int i = 0; i < 4; i++)
                p[i] = (uint8_t) (v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v) {
        for (int i = 0; i < 8; i++)
                p[i] = (uint8_t) (v >> (8 * i));
}

/* The layout of tests/fixtures/firmware/tdvf-spec-layout.fd, built in memory. */
static void spec_image(uint8_t *img) {
        static const uint8_t foot[16] = { 0xde, 0x82, 0xb5, 0x96, 0xb2, 0x1f, 0xf7, 0x45, 0xba, 0xea, 0xa3, 0x66, 0xc5, 0x5a, 0x08, 0x2d };
        static const uint8_t tdx[16] = { 0x35, 0x65, 0x7a, 0xe4, 0x4a, 0x98, 0x98, 0x47, 0x86, 0x5e, 0x46, 0x85, 0xa7, 0xbf, 0x8e, 0xc2 };
        static const uint64_t s[4][6] = { { 0x1000, 0x3000, 0xffffd000, 0x3000, 0, 1 }, { 0, 0x1000, 0xffffc000, 0x1000, 1, 0 },
                                          { 0, 0, 0x809000, 0x2000, 2, 0 }, { 0, 0, 0x800000, 0x1000, 3, 2 } };
        uint8_t *t = img + IMG - 0x20 - 40;

        memset(img, 0x43, 0x1000);
        for (size_t i = 0x1000; i < IMG; i++)
                img[i] = (uint8_t) (i * 7 + 3);
        memcpy(img + DESC, "TDVF", 4);
        put32(img + DESC + 4, 16 + 32 * 4);
        put32(img + DESC + 8, 1);
        put32(img + DESC + 12, 4);
        for (int i = 0; i < 4; i++) {
                uint8_t *e = img + DESC + 16 + 32 * i;
                put32(e, (uint32_t) s[i][0]);
                put32(e + 4, (uint32_t) s[i][1]);
                put64(e + 8, s[i][2]);
                put64(e + 16, s[i][3]);
                put32(e + 24, (uint32_t) s[i][4]);
                put32(e + 28, (uint32_t) s[i][5]);
        }
        put32(t, IMG - DESC);
        t[4] = 22, t[5] = 0;
        memcpy(t + 6, tdx, 16);
        t[22] = 40, t[23] = 0;
        memcpy(t + 24, foot, 16);
        memset(img + IMG - 0x20, 0x90, 0x20);
}

static void test_tdvf_mrtd(void **state) {
        static uint8_t img[IMG];
        struct cvm_tdvf t;
        uint8_t mrtd[CVM_MRTD_SIZE];
        (void) state;

        spec_image(img);
        assert_int_equal(cvm_tdvf_parse(img, IMG, &t, NULL), 0);
        assert_true(t.by_guid);
        assert_int_equal(t.descriptor_offset, DESC);
        assert_int_equal(t.nsections, 4);
        assert_string_equal(cvm_tdvf_section_type_name(t.sections[2].type), "TD_HOB");
        assert_int_equal(cvm_tdvf_mrtd(img, IMG, &t, mrtd, NULL), 0);
        assert_hex_equal(mrtd, sizeof(mrtd), "ed05f61ecc3be92b0f292752ab31b995e9383d18d08e223d6d515ec8f8c1002af7829f6fb06514e710fe88413a8a05cf");
        assert_non_null(cvm_tdvf_assumptions()[0]);
}

static void test_tdvf_refused(void **state) {
        static uint8_t img[IMG];
        struct cvm_tdvf t;
        uint8_t mrtd[CVM_MRTD_SIZE];
        cvm_error err = { 0 };
        (void) state;

        spec_image(img);
        put32(img + DESC + 4, 16 + 32 * 5); /* length disagrees with the count */
        assert_int_equal(cvm_tdvf_parse(img, IMG, &t, &err), -EBADMSG);
        assert_non_null(strstr(err.msg, "length"));
        spec_image(img);
        put32(img + DESC + 16 + 4, 0x10000); /* BFV raw data past the end */
        assert_int_equal(cvm_tdvf_parse(img, IMG, &t, &err), -EBADMSG);
        spec_image(img);
        put32(img + DESC + 16 + 64 + 28, 1); /* TD_HOB measured: VMM-written content */
        assert_int_equal(cvm_tdvf_parse(img, IMG, &t, NULL), 0);
        assert_int_equal(cvm_tdvf_mrtd(img, IMG, &t, mrtd, &err), -EOPNOTSUPP);
        assert_int_equal(cvm_tdvf_parse(img, 16, &t, NULL), -EBADMSG);
}

/* A VARS image with one variable, PK (4 bytes), in the authenticated store. */
static size_t vars_image(uint8_t *b, size_t len) {
        static const uint8_t fvguid[16] = { 0x8d, 0x2b, 0xf1, 0xff, 0x96, 0x76, 0x8b, 0x4c, 0xa9, 0x85, 0x27, 0x47, 0x07, 0x5b, 0x4f, 0x50 };
        static const uint8_t store[16] = { 0x78, 0x2c, 0xf3, 0xaa, 0x7b, 0x94, 0x9a, 0x43, 0xa1, 0x80, 0x2e, 0x14, 0x4e, 0xc3, 0x77, 0x92 };
        static const uint8_t global[16] = { 0x61, 0xdf, 0xe4, 0x8b, 0xca, 0x93, 0xd2, 0x11, 0xaa, 0x0d, 0x00, 0xe0, 0x98, 0x03, 0x2b, 0x8c };
        uint8_t *v = b + 72 + 28;
        uint16_t sum = 0;

        memset(b, 0xff, len);
        memset(b, 0, 72);
        memcpy(b + 16, fvguid, 16);
        put64(b + 32, len);
        memcpy(b + 40, "_FVH", 4);
        b[48] = 72;
        b[55] = 2;
        put32(b + 56, (uint32_t) (len / 4096));
        put32(b + 60, 4096);
        for (int i = 0; i < 72; i += 2)
                sum = (uint16_t) (sum + (b[i] | b[i + 1] << 8));
        sum = (uint16_t) (0x10000 - sum);
        b[50] = (uint8_t) sum, b[51] = (uint8_t) (sum >> 8);
        memcpy(b + 72, store, 16);
        put32(b + 88, (uint32_t) (len - 72));
        b[92] = 0x5a, b[93] = 0xfe;
        memset(b + 94, 0, 6);
        memset(v, 0, 60);
        v[0] = 0xaa, v[1] = 0x55, v[2] = 0x3f;
        put32(v + 36, 6);
        put32(v + 40, 4);
        memcpy(v + 44, global, 16);
        memcpy(v + 60, "P\0K\0\0\0", 6);
        memcpy(v + 66, "\1\2\3\4", 4);
        return len;
}

static void test_varstore_pcr7(void **state) {
        static uint8_t img[8192];
        static const struct cvm_log_alg alg = { CVM_ALG_SHA256, 32 };
        cvm_efi_varstore *vs = NULL;
        cvm_eventlog *log = NULL;
        const struct cvm_event *pk;
        cvm_error err = { 0 };
        (void) state;

        vars_image(img, sizeof(img));
        if (cvm_efi_varstore_parse(img, sizeof(img), &vs, &err) < 0)
                fail_msg("%s", err.msg);
        assert_int_equal(cvm_efi_varstore_count(vs), 1);
        assert_true(cvm_efi_varstore_secure_boot(vs));
        assert_int_equal(cvm_eventlog_new_tcg2(CVM_SPACE_PCR, &alg, 1, &log, NULL), 0);
        assert_int_equal(cvm_efi_pcr7_events(vs, log, NULL), 0);
        assert_int_equal(cvm_eventlog_count(log), 6);
        /* SecureBoot = 1; PK's UEFI_VARIABLE_DATA: GUID, 2 chars, 4 bytes, "PK" UTF-16 without NUL, data */
        assert_int_equal(cvm_eventlog_event(log, 0)->data[cvm_eventlog_event(log, 0)->data_len - 1], 1);
        pk = cvm_eventlog_event(log, 1);
        assert_int_equal(pk->data_len, 32 + 4 + 4);
        assert_int_equal(pk->data[16], 2);
        assert_int_equal(pk->data[24], 4);
        assert_memory_equal(pk->data + 32, "P\0K\0\1\2\3\4", 8);
        assert_int_equal(cvm_eventlog_event(log, 5)->type, CVM_EV_SEPARATOR);
        cvm_eventlog_free(log);
        cvm_efi_varstore_free(vs);
        img[72 + 28 + 43] = 0x7f; /* data size past the store */
        assert_int_equal(cvm_efi_varstore_parse(img, sizeof(img), &vs, NULL), -EBADMSG);
        img[50] ^= 1; /* header checksum */
        assert_int_equal(cvm_efi_varstore_parse(img, sizeof(img), &vs, NULL), -EBADMSG);
}

static void append(cvm_eventlog *log, uint32_t pcr, uint8_t fill, bool sha384) {
        uint8_t a[32], b[48];
        struct cvm_event_digest d[2] = { { CVM_ALG_SHA256, 32, a }, { CVM_ALG_SHA384, 48, b } };

        memset(a, fill, sizeof(a));
        memset(b, fill, sizeof(b));
        assert_int_equal(cvm_eventlog_append(log, pcr, CVM_EV_EFI_ACTION, d, sha384 ? 2 : 1, "x", 1, NULL), 0);
}

static void test_cc_map(void **state) {
        static const struct cvm_log_alg algs[2] = { { CVM_ALG_SHA256, 32 }, { CVM_ALG_SHA384, 48 } };
        static const uint32_t pcrs[] = { 0, 1, 4, 7, 9, 15, 5 }, want[] = { 1, 2, 1, 3, 3, 2 };
        cvm_eventlog *log = NULL, *cc = NULL;
        cvm_error err = { 0 };
        size_t skipped = 0;
        (void) state;

        assert_int_equal(cvm_eventlog_new_tcg2(CVM_SPACE_PCR, algs, 2, &log, NULL), 0);
        for (size_t i = 0; i < sizeof(pcrs) / sizeof(pcrs[0]); i++)
                append(log, pcrs[i], (uint8_t) i, true);
        assert_int_equal(cvm_eventlog_map_cc(log, CVM_CC_SEPARATOR_RTMR1, &cc, &skipped, NULL), 0);
        assert_int_equal(skipped, 1);
        assert_int_equal(cvm_eventlog_space(cc), CVM_SPACE_CCMR);
        assert_int_equal(cvm_eventlog_count(cc), 6);
        for (size_t i = 0; i < 6; i++) {
                const struct cvm_event *ev = cvm_eventlog_event(cc, i);
                assert_int_equal(ev->index, want[i]);
                assert_int_equal(ev->ndigests, 1);
                assert_int_equal(ev->digests[0].bytes[0], (uint8_t) (i + 1));
        }
        cvm_eventlog_free(cc);
        append(log, 9, 0x77, false);
        assert_int_equal(cvm_eventlog_map_cc(log, CVM_CC_SEPARATOR_RTMR1, &cc, NULL, &err), -EBADMSG);
        assert_non_null(strstr(err.msg, "SHA-384"));
        cvm_eventlog_free(log);
        assert_int_equal(cvm_eventlog_new_tcg2(CVM_SPACE_PCR, algs, 2, &log, NULL), 0);
        append(log, 16, 1, true);
        assert_int_equal(cvm_eventlog_map_cc(log, CVM_CC_SEPARATOR_RTMR1, &cc, NULL, NULL), -EINVAL);
        cvm_eventlog_free(log);
}

/* Tcg2Dxe's separators (PCR7 early, PCR0-6 at ReadyToBoot) become TdTcg2Dxe's two. */
static void test_cc_map_separators(void **state) {
        static const struct cvm_log_alg alg = { CVM_ALG_SHA384, 48 };
        static const uint8_t zero[4] = { 0 };
        uint8_t d[48];
        struct cvm_event_digest dg = { CVM_ALG_SHA384, 48, d };
        cvm_eventlog *log = NULL, *cc = NULL;
        size_t skipped = 0;
        (void) state;

        assert_int_equal(cvm_digest(CVM_ALG_SHA384, zero, 4, d, NULL), 0);
        assert_int_equal(cvm_eventlog_new_tcg2(CVM_SPACE_PCR, &alg, 1, &log, NULL), 0);
        assert_int_equal(cvm_eventlog_append(log, 7, CVM_EV_SEPARATOR, &dg, 1, zero, 4, NULL), 0);
        for (uint32_t pcr = 0; pcr < 7; pcr++)
                assert_int_equal(cvm_eventlog_append(log, pcr, CVM_EV_SEPARATOR, &dg, 1, zero, 4, NULL), 0);
        assert_int_equal(cvm_eventlog_map_cc(log, CVM_CC_SEPARATOR_RTMR1, &cc, &skipped, NULL), 0);
        assert_int_equal(cvm_eventlog_count(cc), 2);
        assert_int_equal(skipped, 6);
        assert_int_equal(cvm_eventlog_event(cc, 0)->index, 1);
        assert_int_equal(cvm_eventlog_event(cc, 1)->index, 2);
        cvm_eventlog_free(cc);
        assert_int_equal(cvm_eventlog_map_cc(log, CVM_CC_SEPARATOR_RTMR0, &cc, NULL, NULL), 0);
        assert_int_equal(cvm_eventlog_count(cc), 2);
        assert_int_equal(cvm_eventlog_event(cc, 1)->index, 1);
        cvm_eventlog_free(cc);
        cvm_eventlog_free(log);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_tdvf_mrtd),
                cmocka_unit_test(test_tdvf_refused),
                cmocka_unit_test(test_varstore_pcr7),
                cmocka_unit_test(test_cc_map),
                cmocka_unit_test(test_cc_map_separators),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
