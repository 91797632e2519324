/* SPDX-License-Identifier: Apache-2.0 */
#include "unit.h"

static void test_alg_names(void **state) {
        uint16_t alg;
        (void) state;

        assert_string_equal(cvm_alg_name(CVM_ALG_SHA384), "sha384");
        assert_null(cvm_alg_name(0x1234));
        assert_int_equal(cvm_alg_from_name("SHA-256", &alg), 0);
        assert_int_equal(alg, CVM_ALG_SHA256);
        assert_int_equal(cvm_alg_from_name("0x000d", &alg), 0);
        assert_int_equal(alg, CVM_ALG_SHA512);
        assert_int_equal(cvm_alg_from_name("md5", &alg), -EINVAL);
        assert_int_equal(cvm_alg_from_name("0x10000", &alg), -EINVAL);
        assert_int_equal(cvm_alg_size(CVM_ALG_SHA1), 20);
        assert_int_equal(cvm_alg_size(CVM_ALG_SM3_256), 32);
        assert_int_equal(cvm_alg_size(0x1234), -ENOENT);
}

static void test_digest_vectors(void **state) {
        uint8_t out[CVM_DIGEST_MAX];
        (void) state;

        assert_int_equal(cvm_digest(CVM_ALG_SHA256, "abc", 3, out, NULL), 0);
        assert_hex_equal(out, 32, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_int_equal(cvm_digest(CVM_ALG_SHA384, "abc", 3, out, NULL), 0);
        assert_hex_equal(out, 48, "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed"
                                  "8086072ba1e7cc2358baeca134c825a7");
}

/* The extend of a zero SHA-256 PCR with the digest of a zero separator: PCR value of a PCR that saw only EV_SEPARATOR 0. */
static void test_extend(void **state) {
        uint8_t reg[32] = { 0 }, sep[32], zero4[4] = { 0 };
        cvm_error err = { 0 };
        (void) state;

        assert_int_equal(cvm_digest(CVM_ALG_SHA256, zero4, 4, sep, NULL), 0);
        assert_int_equal(cvm_extend(CVM_ALG_SHA256, reg, sep, &err), 0);
        assert_hex_equal(reg, 32, "3d458cfe55cc03ea1f443f1562beec8df51c75e14a9fcf9a7234a13f198e7969");
        assert_int_equal(cvm_extend(0x1234, reg, sep, &err), -EOPNOTSUPP);
        assert_non_null(strstr(err.msg, "0x1234"));
}

static void test_hex_base64(void **state) {
        uint8_t buf[4];
        char *s;
        (void) state;

        assert_int_equal(cvm_unhex("0xDEADbeef", buf, sizeof(buf)), 4);
        assert_hex_equal(buf, 4, "deadbeef");
        assert_int_equal(cvm_unhex("abc", buf, sizeof(buf)), -EINVAL);
        assert_int_equal(cvm_unhex("zz", buf, sizeof(buf)), -EINVAL);
        assert_int_equal(cvm_unhex("0011223344", buf, sizeof(buf)), -ENOBUFS);
        s = cvm_base64_alloc((const uint8_t *) "falafel", 7);
        assert_string_equal(s, "ZmFsYWZlbA==");
        free(s);
}

static void test_error_prefix(void **state) {
        cvm_error err = { 0 };
        (void) state;

        assert_int_equal(cvm_error_set(&err, EBADMSG, "offset %d: bad", 12), -EBADMSG);
        assert_int_equal(cvm_error_prefix(&err, "%s: ", "log.bin"), -EBADMSG);
        assert_string_equal(err.msg, "log.bin: offset 12: bad");
        assert_int_equal(cvm_error_set(NULL, EIO, "ignored"), -EIO);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_alg_names),
                cmocka_unit_test(test_digest_vectors),
                cmocka_unit_test(test_extend),
                cmocka_unit_test(test_hex_base64),
                cmocka_unit_test(test_error_prefix),
        };
        return cmocka_run_group_tests_name("digest", tests, NULL, NULL);
}
