/* SPDX-License-Identifier: Apache-2.0 */
/* The options cvm-evidence and cvm-measure share, declared once: the backend's (--backend, --tcti, --sysroot, --sim-*) and --bank. */
#pragma once

#include "cvm/cvm.h"
#include "cvmbase/base.h"

/* The option table; its fields are those of struct cvm_imr_options (include it with OPT_SUB). */
extern const struct opt backend_options[];
/* backend_options and --socket (--backend service), for cvm-evidence's commands and not cvm-measure, which extends. */
extern const struct opt live_backend_options[];


/* --bank ALG, repeatable. */
struct bank_list {
        uint16_t banks[16];
        size_t n;
};

/* struct opt's parse for --bank: appends to a struct bank_list; prints why on an unknown or 17th algorithm. */
int opt_bank(const struct opt *o, const char *arg, void *field);
