/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * The base layer's front door: the helpers every part of cvmkit shares
 * (libcvm, libcvminitrd, the rewriter, the tools).  Include this, not the
 * single headers.  The base sees libcvm only through its public headers (the
 * error type cvm/error.h, implemented in base/error.c, and cvm_parse_uint);
 * its objects are linked into libcvm, hidden there (libcvm.sym).
 */

#include "cvmbase/atomic.h"
#include "cvmbase/cleanup.h"
#include "cvmbase/clock.h"
#include "cvmbase/diag.h"
#include "cvmbase/endian.h"
#include "cvmbase/file.h"
#include "cvmbase/number.h"
#include "cvmbase/options.h"
#include "cvmbase/strv.h"
#include "cvmbase/temp.h"
#include "cvmbase/yamlx.h"
