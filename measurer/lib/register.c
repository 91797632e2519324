/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdio.h>

#include "cvm/register.h"

const char *cvm_register_name(enum cvm_reg_space space, uint32_t index, char buf[CVM_REG_NAME_MAX]) {
        if (space == CVM_SPACE_CCMR) {
                if (index == 0)
                        snprintf(buf, CVM_REG_NAME_MAX, "MRTD");
                else if (index < CVM_CCMR_MAX)
                        snprintf(buf, CVM_REG_NAME_MAX, "RTMR%u", index - 1);
                else
                        snprintf(buf, CVM_REG_NAME_MAX, "CCMR%u", index);
        } else
                snprintf(buf, CVM_REG_NAME_MAX, "PCR%u", index);
        return buf;
}

const char *cvm_reg_space_name(enum cvm_reg_space space) {
        return space == CVM_SPACE_CCMR ? "cc-mr" : "pcr";
}

int cvm_pcr_to_ccmr(uint32_t pcr) {
        if (pcr == 0)
                return 0;
        if (pcr == 1 || pcr == 7)
                return 1;
        if (pcr >= 2 && pcr <= 6)
                return 2;
        if (pcr >= 8 && pcr <= 15)
                return 3;
        return -EINVAL;
}

int cvm_ccmr_to_rtmr(uint32_t ccmr) {
        return ccmr >= 1 && ccmr <= 4 ? (int) ccmr - 1 : -EINVAL;
}

int cvm_rtmr_to_ccmr(uint32_t rtmr) {
        return rtmr <= 3 ? (int) rtmr + 1 : -EINVAL;
}

uint8_t cvm_register_reset_byte(enum cvm_reg_space space, uint32_t index) {
        /* PC Client: the dynamic-launch PCRs 17-22 reset to all ones until a DRTM event. */
        return space == CVM_SPACE_PCR && index >= 17 && index <= 22 ? 0xff : 0x00;
}
