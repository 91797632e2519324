/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Numbers in text.  cvm_parse_uint itself is declared in libcvm's public cvm/encoding.h. */

#include "cvm/encoding.h"

/* The value of hex digit c (either case), or -1. */
int hex_nibble(char c);
