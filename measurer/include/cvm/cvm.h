/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* libcvm: confidential-VM evidence (event logs, replay, quotes). */

#include "cvm/ccel.h"
#include "cvm/digest.h"
#include "cvm/encoding.h"
#include "cvm/error.h"
#include "cvm/eventlog.h"
#include "cvm/imr.h"
#include "cvm/json.h"
#include "cvm/measure.h"
#include "cvm/platform.h"
#include "cvm/policy.h"
#include "cvm/quote.h"
#include "cvm/register.h"
#include "cvm/replay.h"
#include "cvm/report.h"
#include "cvm/runtime.h"
#include "cvm/verify.h"

#define CVM_VERSION "0.1.0"

/* The library's version string (may differ from CVM_VERSION of the headers a program was built with). */
const char *cvm_version(void);
