/* SPDX-License-Identifier: Apache-2.0 */
#include "unit.h"

static void test_names(void **state) {
        char buf[CVM_REG_NAME_MAX];
        (void) state;

        assert_string_equal(cvm_register_name(CVM_SPACE_PCR, 7, buf), "PCR7");
        assert_string_equal(cvm_register_name(CVM_SPACE_CCMR, 0, buf), "MRTD");
        assert_string_equal(cvm_register_name(CVM_SPACE_CCMR, 1, buf), "RTMR0");
        assert_string_equal(cvm_register_name(CVM_SPACE_CCMR, 4, buf), "RTMR3");
        assert_string_equal(cvm_register_name(CVM_SPACE_CCMR, 9, buf), "CCMR9");
}

/* UEFI 2.10 section 38.4.1: the TDX PCR -> CC MR mapping. */
static void test_pcr_to_ccmr(void **state) {
        static const int want[16] = { 0, 1, 2, 2, 2, 2, 2, 1, 3, 3, 3, 3, 3, 3, 3, 3 };
        (void) state;

        for (uint32_t pcr = 0; pcr < 16; pcr++)
                assert_int_equal(cvm_pcr_to_ccmr(pcr), want[pcr]);
        assert_int_equal(cvm_pcr_to_ccmr(16), -EINVAL);
        assert_int_equal(cvm_pcr_to_ccmr(23), -EINVAL);
}

static void test_rtmr_ccmr(void **state) {
        (void) state;

        for (uint32_t i = 0; i < 4; i++) {
                assert_int_equal(cvm_rtmr_to_ccmr(i), (int) i + 1);
                assert_int_equal(cvm_ccmr_to_rtmr(i + 1), (int) i);
        }
        assert_int_equal(cvm_ccmr_to_rtmr(0), -EINVAL);
        assert_int_equal(cvm_rtmr_to_ccmr(4), -EINVAL);
}

static void test_reset_values(void **state) {
        (void) state;

        assert_int_equal(cvm_register_reset_byte(CVM_SPACE_PCR, 16), 0x00);
        for (uint32_t i = 17; i <= 22; i++)
                assert_int_equal(cvm_register_reset_byte(CVM_SPACE_PCR, i), 0xff);
        assert_int_equal(cvm_register_reset_byte(CVM_SPACE_PCR, 23), 0x00);
        assert_int_equal(cvm_register_reset_byte(CVM_SPACE_CCMR, 17), 0x00);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_names),
                cmocka_unit_test(test_pcr_to_ccmr),
                cmocka_unit_test(test_rtmr_ccmr),
                cmocka_unit_test(test_reset_values),
        };
        return cmocka_run_group_tests_name("register", tests, NULL, NULL);
}
