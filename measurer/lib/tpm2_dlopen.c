/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libtss2 on demand.  Linking it made every tool and every libcvm user map
 * five libraries (esys pulls in libtss2-sys) and resolve their symbols at
 * start, which was most of a short command's time; only the TPM backend,
 * TPM reports and TPM quotes use them.  The libraries are kept open for the
 * life of the process once loaded.
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>

#include "tpm2_dlopen.h"

#define TPM2_DEF(f) typeof(f) *sym_##f

TPM2_DEF(Esys_CreatePrimary);
TPM2_DEF(Esys_Finalize);
TPM2_DEF(Esys_FlushContext);
TPM2_DEF(Esys_Free);
TPM2_DEF(Esys_GetCapability);
TPM2_DEF(Esys_Initialize);
TPM2_DEF(Esys_PCR_Extend);
TPM2_DEF(Esys_PCR_Read);
TPM2_DEF(Esys_Quote);
TPM2_DEF(Esys_ReadPublic);
TPM2_DEF(Esys_TR_FromTPMPublic);
TPM2_DEF(Tss2_MU_TPM2B_PUBLIC_Marshal);
TPM2_DEF(Tss2_MU_TPMS_ATTEST_Unmarshal);
TPM2_DEF(Tss2_MU_TPMT_SIGNATURE_Marshal);
TPM2_DEF(Tss2_RC_Decode);
TPM2_DEF(Tss2_TctiLdr_Finalize);
TPM2_DEF(Tss2_TctiLdr_Initialize);

struct sym {
        void **slot;
        const char *name;
};

#define SYM(f) { (void **) &sym_##f, #f }

static const struct {
        const char *soname;
        struct sym syms[11];
} libs[] = {
        { "libtss2-esys.so.0", { SYM(Esys_CreatePrimary), SYM(Esys_Finalize), SYM(Esys_FlushContext), SYM(Esys_Free),
                                 SYM(Esys_GetCapability), SYM(Esys_Initialize), SYM(Esys_PCR_Extend), SYM(Esys_PCR_Read),
                                 SYM(Esys_Quote), SYM(Esys_ReadPublic), SYM(Esys_TR_FromTPMPublic) } },
        { "libtss2-mu.so.0", { SYM(Tss2_MU_TPM2B_PUBLIC_Marshal), SYM(Tss2_MU_TPMS_ATTEST_Unmarshal),
                               SYM(Tss2_MU_TPMT_SIGNATURE_Marshal) } },
        { "libtss2-rc.so.0", { SYM(Tss2_RC_Decode) } },
        { "libtss2-tctildr.so.0", { SYM(Tss2_TctiLdr_Finalize), SYM(Tss2_TctiLdr_Initialize) } },
};

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int load_errno;
static char load_error[256];

static void load_all(void) {
        for (size_t i = 0; i < sizeof(libs) / sizeof(libs[0]); i++) {
                void *h = dlopen(libs[i].soname, RTLD_NOW | RTLD_NODELETE);
                if (!h) {
                        snprintf(load_error, sizeof(load_error), "%s", dlerror());
                        load_errno = EOPNOTSUPP;
                        return;
                }
                for (const struct sym *s = libs[i].syms; s < libs[i].syms + 11 && s->name; s++)
                        if (!(*s->slot = dlsym(h, s->name))) {
                                snprintf(load_error, sizeof(load_error), "%s: no symbol %s", libs[i].soname, s->name);
                                load_errno = EOPNOTSUPP;
                                return;
                        }
        }
}

int dlopen_tpm2(cvm_error *err) {
        pthread_once(&once, load_all);
        if (load_errno)
                return cvm_error_set(err, load_errno, "the TPM stack (libtss2) cannot be loaded: %s", load_error);
        return 0;
}
