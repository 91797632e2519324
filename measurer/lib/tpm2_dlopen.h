/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * The TPM stack (libtss2-esys, -mu, -rc, -tctildr), loaded with dlopen() the
 * first time a TPM backend, report or quote needs it, as systemd's
 * tpm2-util.c does: a tool that reads logs or talks to TDX never maps it.
 * Callers use sym_X where they would call X.
 */

#include <tss2/tss2_esys.h>
#include <tss2/tss2_mu.h>
#include <tss2/tss2_rc.h>
#include <tss2/tss2_tctildr.h>

#include "internal.h"

#define TPM2_SYM(f) extern typeof(f) *sym_##f

TPM2_SYM(Esys_CreatePrimary);
TPM2_SYM(Esys_Finalize);
TPM2_SYM(Esys_FlushContext);
TPM2_SYM(Esys_Free);
TPM2_SYM(Esys_GetCapability);
TPM2_SYM(Esys_Initialize);
TPM2_SYM(Esys_PCR_Extend);
TPM2_SYM(Esys_PCR_Read);
TPM2_SYM(Esys_Quote);
TPM2_SYM(Esys_ReadPublic);
TPM2_SYM(Esys_TR_FromTPMPublic);
TPM2_SYM(Tss2_MU_TPM2B_PUBLIC_Marshal);
TPM2_SYM(Tss2_MU_TPMS_ATTEST_Unmarshal);
TPM2_SYM(Tss2_MU_TPMT_SIGNATURE_Marshal);
TPM2_SYM(Tss2_RC_Decode);
TPM2_SYM(Tss2_TctiLdr_Finalize);
TPM2_SYM(Tss2_TctiLdr_Initialize);

/* Load the four libraries and resolve every sym_ once per process; 0, or -EOPNOTSUPP naming what is missing. */
int dlopen_tpm2(cvm_error *err);
