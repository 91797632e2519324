/* SPDX-License-Identifier: Apache-2.0 */
/* TPM2 quotes: a TPMS_ATTEST of type TPM_ST_ATTEST_QUOTE, unmarshalled with libtss2-mu (loaded on first use). */
#include <errno.h>

#include "cvm/quote.h"
#include "internal.h"
#include "tpm2_dlopen.h"
#include "quote_internal.h"

int tpm2_quote_parse(struct cvm_tpm2_quote *q, const uint8_t *buf, size_t len, cvm_error *err) {
        TPMS_ATTEST a;
        size_t off = 0;
        TSS2_RC rc;
        int r = dlopen_tpm2(err);

        if (r < 0)
                return r;
        memset(&a, 0, sizeof(a));
        rc = sym_Tss2_MU_TPMS_ATTEST_Unmarshal(buf, len, &off, &a);
        if (rc != TSS2_RC_SUCCESS)
                return cvm_error_set(err, EBADMSG, "offset 0: not a valid TPMS_ATTEST (libtss2-mu error 0x%x)", rc);
        if (off != len)
                return cvm_error_set(err, EBADMSG, "offset %zu: %zu bytes after the TPMS_ATTEST", off, len - off);
        if (a.magic != TPM2_GENERATED_VALUE)
                return cvm_error_set(err, EBADMSG, "offset 0: magic 0x%08x, expected 0xff544347", a.magic);
        if (a.type != TPM2_ST_ATTEST_QUOTE)
                return cvm_error_set(err, EBADMSG, "offset 4: attestation type 0x%04x, expected 0x8018 (quote)", a.type);
        if (a.qualifiedSigner.size > sizeof(q->signer) || a.extraData.size > sizeof(q->extra_data) ||
            a.attested.quote.pcrDigest.size > sizeof(q->pcr_digest) ||
            a.attested.quote.pcrSelect.count > CVM_TPM2_MAX_SELECTIONS)
                return cvm_error_set(err, EBADMSG, "offset 0: TPMS_ATTEST field larger than a quote allows");

        q->magic = a.magic;
        q->type = a.type;
        q->signer_size = a.qualifiedSigner.size;
        memcpy(q->signer, a.qualifiedSigner.name, a.qualifiedSigner.size);
        q->extra_data_size = a.extraData.size;
        memcpy(q->extra_data, a.extraData.buffer, a.extraData.size);
        q->clock = a.clockInfo.clock;
        q->reset_count = a.clockInfo.resetCount;
        q->restart_count = a.clockInfo.restartCount;
        q->safe = a.clockInfo.safe == TPM2_YES;
        q->firmware_version = a.firmwareVersion;
        q->nselections = a.attested.quote.pcrSelect.count;
        for (uint32_t i = 0; i < q->nselections; i++) {
                const TPMS_PCR_SELECTION *s = &a.attested.quote.pcrSelect.pcrSelections[i];
                if (s->sizeofSelect > sizeof(q->selections[i].select))
                        return cvm_error_set(err, EBADMSG, "offset 0: PCR selection of %u bytes, expected at most 4", s->sizeofSelect);
                q->selections[i].alg = s->hash;
                q->selections[i].size = s->sizeofSelect;
                memcpy(q->selections[i].select, s->pcrSelect, s->sizeofSelect);
        }
        q->pcr_digest_size = a.attested.quote.pcrDigest.size;
        memcpy(q->pcr_digest, a.attested.quote.pcrDigest.buffer, q->pcr_digest_size);
        return 0;
}
