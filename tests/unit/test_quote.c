/* SPDX-License-Identifier: Apache-2.0 */
/* Quotes and reports: the real v4 quote, v5 and TDREPORT layouts derived from it, TPM2 TPMS_ATTEST. */
#include <tss2/tss2_mu.h>

#include "unit.h"

#define QUOTE "tdxquote-v4-gotdxguest-SPR_E4.bin"

static const char *const mrtd = "6363b8043668a3ad953278e10389574d326c6749fb78aa810ecd9336923db86f22fc00b8dcd404bc10d5e119d7215cbb";
static const char *const rtmr[4] = {
        "2927da70461cd63266f43230cc1849c03ef25ebe490062a801d8fcc80af42976823adf08f833c1e50b51779c6593f32a",
        "2c700b8ba9b85783f8be9fb9443647bdc0bb3c50747f06297cc6538c25a5f589c4b56d035c59107c6bc5800db2cacb61",
        "8652f0caaba7e215ea442dc36a4499d8fec3362f3a0b2ca151cbe4b3e6466fe59c7368b3c2287fc7c3bf5c924eb4424e",
        "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000",
};
static const char *const report_data = "6c62dec1b8191749a31dab490be532a35944dea47caef1f980863993d9899545"
                                       "eb7406a38d1eed313b987a467dacead6f0c87a6d766c66f6f29f8acb281f1113";

static void check_td(const struct cvm_td_measurements *td) {
        assert_hex_equal(td->mrtd, 48, mrtd);
        for (int i = 0; i < 4; i++)
                assert_hex_equal(td->rtmr[i], 48, rtmr[i]);
        assert_hex_equal(td->report_data, 64, report_data);
        assert_hex_equal(td->attributes, 8, "0000004000000000");
        assert_hex_equal(td->xfam, 8, "e71a060000000000");
        assert_hex_equal(td->mrowner, 48, rtmr[3]);
}

static void test_v4_fixture(void **state) {
        struct cvm_quote *q = NULL;
        cvm_error err = { 0 };
        (void) state;

        if (cvm_quote_load(fixture(QUOTE), &q, &err) < 0)
                fail_msg("%s", err.msg);
        assert_int_equal(q->type, CVM_QUOTE_TDX);
        assert_int_equal(q->tdx.version, 4);
        assert_int_equal(q->tdx.att_key_type, 2);
        assert_int_equal(q->tdx.body_type, 2);
        check_td(cvm_quote_td(q));
        assert_hex_equal(q->tdx.tee_tcb_svn, 16, "03000400000000000000000000000000");
        assert_hex_equal(q->tdx.mrseam, 48, "2fd279c16164a93dd5bf373d834328d46008c2b693af9ebb865b08b2ced320c9a89b4869a9fab60fbe9d0c5a5363c656");
        assert_hex_equal(q->tdx.qe_vendor_id, 16, "939a7233f79c4ca9940a0db3957f0607");
        assert_int_equal(q->tdx.cert_type, 6);
        assert_int_equal(q->tdx.pck_cert_type, 5);
        assert_non_null(q->tdx.pck_chain_pem);
        assert_memory_equal(q->tdx.pck_chain_pem, "-----BEGIN CERTIFICATE-----", 27);
        assert_int_equal(q->tdx.trailing, 39);
        cvm_quote_free(q);
}

/* A v5 quote carrying the same body: u16 body type and u32 size inserted at 48, fields move by 6. */
static uint8_t *make_v5(const uint8_t *v4, size_t len, uint16_t body_type, size_t *out_len) {
        size_t extra = body_type == 3 ? 64 : 0;
        uint8_t *q = calloc(1, len + 6 + extra);

        assert_non_null(q);
        memcpy(q, v4, 48);
        q[0] = 5;
        q[48] = (uint8_t) body_type;
        q[50] = (uint8_t) ((584 + extra) & 0xff);
        q[51] = (uint8_t) ((584 + extra) >> 8);
        memcpy(q + 54, v4 + 48, 584);
        if (extra)
                memset(q + 54 + 584 + 16, 0x5a, 48);     /* MRSERVICETD */
        memcpy(q + 54 + 584 + extra, v4 + 632, len - 632);
        *out_len = len + 6 + extra;
        return q;
}

static void test_v5(void **state) {
        size_t len, v5len;
        uint8_t *v4 = slurp(fixture(QUOTE), &len), *v5;
        struct cvm_quote *q = NULL;
        cvm_error err = { 0 };
        (void) state;

        for (uint16_t type = 2; type <= 3; type++) {
                v5 = make_v5(v4, len, type, &v5len);
                if (cvm_quote_parse(v5, v5len, &q, &err) < 0)
                        fail_msg("%s", err.msg);
                assert_int_equal(q->tdx.version, 5);
                assert_int_equal(q->tdx.body_type, type);
                check_td(cvm_quote_td(q));
                assert_int_equal(q->tdx.pck_cert_type, 5);
                if (type == 3)
                        assert_int_equal(q->tdx.mrservicetd[47], 0x5a);
                cvm_quote_free(q);
                v5[48] = 7;
                assert_int_equal(cvm_quote_parse(v5, v5len, &q, &err), -EBADMSG);
                assert_non_null(strstr(err.msg, "body type 7"));
                free(v5);
        }
        free(v4);
}

/* A TDREPORT laid out from the quote's values (TDX module ABI offsets). */
static void test_tdreport(void **state) {
        uint8_t rep[1024] = { 0 };
        struct cvm_quote *q = NULL;
        cvm_error err = { 0 };
        (void) state;

        rep[0] = 0x81;
        assert_int_equal(cvm_unhex(report_data, rep + 128, 64), 64);
        assert_int_equal(cvm_unhex("0000004000000000", rep + 512, 8), 8);
        assert_int_equal(cvm_unhex("e71a060000000000", rep + 520, 8), 8);
        assert_int_equal(cvm_unhex(mrtd, rep + 528, 48), 48);
        for (int i = 0; i < 4; i++)
                assert_int_equal(cvm_unhex(rtmr[i], rep + 720 + 48 * i, 48), 48);
        if (cvm_quote_parse(rep, sizeof(rep), &q, &err) < 0)
                fail_msg("%s", err.msg);
        assert_int_equal(q->type, CVM_QUOTE_TDREPORT);
        check_td(cvm_quote_td(q));
        cvm_quote_free(q);
        rep[0] = 0x00;
        assert_int_equal(cvm_quote_parse(rep, sizeof(rep), &q, &err), -EBADMSG);
}

/* Every prefix of the real quote is refused with an offset, never read past. */
static void test_truncated_quote(void **state) {
        size_t len;
        uint8_t *buf = slurp(fixture(QUOTE), &len);
        struct cvm_quote *q = NULL;
        cvm_error err;
        (void) state;

        for (size_t cut = 0; cut < len - 39; cut++) {
                uint8_t *copy = malloc(cut ? cut : 1);
                assert_non_null(copy);
                memcpy(copy, buf, cut);
                memset(&err, 0, sizeof(err));
                assert_int_equal(cvm_quote_parse(copy, cut, &q, &err), -EBADMSG);
                assert_non_null(strstr(err.msg, "offset"));
                free(copy);
        }
        buf[4] = 0;             /* TEE type SGX */
        assert_int_equal(cvm_quote_parse(buf, len, &q, &err), -EBADMSG);
        assert_non_null(strstr(err.msg, "TEE type"));
        free(buf);
}

static size_t make_attest(uint8_t *buf, size_t max, uint32_t magic, uint16_t type) {
        TPMS_ATTEST a;
        size_t off = 0;

        memset(&a, 0, sizeof(a));
        a.magic = magic;
        a.type = type;
        a.qualifiedSigner.size = 4;
        memcpy(a.qualifiedSigner.name, "\x00\x0b\xaa\xbb", 4);
        a.extraData.size = 8;
        memcpy(a.extraData.buffer, "nonce-42", 8);
        a.clockInfo.clock = 123456;
        a.clockInfo.safe = TPM2_YES;
        a.firmwareVersion = 0x2019102300000000ULL;
        a.attested.quote.pcrSelect.count = 1;
        a.attested.quote.pcrSelect.pcrSelections[0].hash = TPM2_ALG_SHA256;
        a.attested.quote.pcrSelect.pcrSelections[0].sizeofSelect = 3;
        a.attested.quote.pcrSelect.pcrSelections[0].pcrSelect[0] = 0x81;   /* PCR0, PCR7 */
        a.attested.quote.pcrDigest.size = 32;
        memset(a.attested.quote.pcrDigest.buffer, 0x42, 32);
        assert_int_equal(Tss2_MU_TPMS_ATTEST_Marshal(&a, buf, max, &off), TSS2_RC_SUCCESS);
        return off;
}

static void test_tpm2_quote(void **state) {
        uint8_t buf[1024], b2[1026];
        struct cvm_quote *q = NULL;
        cvm_error err = { 0 };
        size_t n;
        (void) state;

        n = make_attest(buf, sizeof(buf), TPM2_GENERATED_VALUE, TPM2_ST_ATTEST_QUOTE);
        if (cvm_quote_parse(buf, n, &q, &err) < 0)
                fail_msg("%s", err.msg);
        assert_int_equal(q->type, CVM_QUOTE_TPM2);
        assert_int_equal(q->tpm2.extra_data_size, 8);
        assert_memory_equal(q->tpm2.extra_data, "nonce-42", 8);
        assert_int_equal(q->tpm2.nselections, 1);
        assert_int_equal(q->tpm2.selections[0].alg, CVM_ALG_SHA256);
        assert_int_equal(q->tpm2.selections[0].select[0], 0x81);
        assert_int_equal(q->tpm2.pcr_digest_size, 32);
        assert_true(q->tpm2.safe);
        assert_null(cvm_quote_td(q));
        cvm_quote_free(q);

        /* The same as a TPM2B_ATTEST. */
        b2[0] = (uint8_t) (n >> 8);
        b2[1] = (uint8_t) n;
        memcpy(b2 + 2, buf, n);
        assert_int_equal(cvm_quote_parse(b2, n + 2, &q, &err), 0);
        assert_int_equal(q->tpm2.clock, 123456);
        cvm_quote_free(q);

        assert_int_equal(cvm_quote_parse(buf, n - 1, &q, &err), -EBADMSG);
        n = make_attest(buf, sizeof(buf), TPM2_GENERATED_VALUE, TPM2_ST_ATTEST_CERTIFY);
        assert_int_equal(cvm_quote_parse(buf, n, &q, &err), -EBADMSG);
}

static void test_garbage(void **state) {
        struct cvm_quote *q = NULL;
        cvm_error err = { 0 };
        (void) state;

        assert_int_equal(cvm_quote_parse((const uint8_t *) "hello world", 11, &q, &err), -EBADMSG);
        assert_non_null(strstr(err.msg, "not a TDREPORT"));
        assert_int_equal(cvm_quote_parse((const uint8_t *) "", 0, &q, &err), -EBADMSG);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_v4_fixture),
                cmocka_unit_test(test_v5),
                cmocka_unit_test(test_tdreport),
                cmocka_unit_test(test_truncated_quote),
                cmocka_unit_test(test_tpm2_quote),
                cmocka_unit_test(test_garbage),
        };
        return cmocka_run_group_tests_name("quote", tests, NULL, NULL);
}
