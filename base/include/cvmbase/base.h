/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * The base layer's front door: the helpers every part of cvmkit shares
 * (libcvm, libcvminitrd, the rewriter, the tools).  Include this, not the
 * single headers; nothing here depends on libcvm beyond its public error type
 * (cvm/error.h) and number parser (cvm/encoding.h).
 */

#include "cvmbase/cleanup.h"
#include "cvmbase/endian.h"
#include "cvmbase/file.h"
#include "cvmbase/number.h"
#include "cvmbase/strv.h"
#include "cvmbase/yamlx.h"
