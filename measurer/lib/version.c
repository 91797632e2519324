/* SPDX-License-Identifier: Apache-2.0 */
#include "cvm/cvm.h"

const char *cvm_version(void) {
        return CVM_VERSION;
}
