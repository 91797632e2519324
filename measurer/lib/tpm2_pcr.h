/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Private to libcvm: batched PCR reads, shared by the tpm2 backend and TPM quotes. */

#include <tss2/tss2_esys.h>

#include "cvm/error.h"
#include "cvm/report.h"

/* Number of PCRs a selection names. */
size_t tpm2_selection_count(const TPML_PCR_SELECTION *sel);

/*
 * Read every PCR of sel into out (tpm2_selection_count entries) in
 * TPM2_Quote's order: banks as selected, indices ascending.
 */
int tpm2_pcr_read(ESYS_CONTEXT *esys, const TPML_PCR_SELECTION *sel, struct cvm_report_pcr *out, cvm_error *err);
