// SPDX-License-Identifier: GPL-2.0
/* soft_tdx_guest_legacy.ko: the same device with the out-of-tree extend ioctl instead of the measurement files. */
#define SOFTTDX_LEGACY 1
#include "softtdx_dev.c"
