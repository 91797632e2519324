/* SPDX-License-Identifier: Apache-2.0 */
/* cvm_imr: backend selection and the checks every backend shares. */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "cvm/digest.h"
#include "imr_internal.h"

const char *cvm_backend_name(enum cvm_backend b) {
        switch (b) {
        case CVM_BACKEND_AUTO:
                return "auto";
        case CVM_BACKEND_TPM2:
                return "tpm2";
        case CVM_BACKEND_TDX:
                return "tdx";
        case CVM_BACKEND_SIM:
                return "sim";
        case CVM_BACKEND_SERVICE:
                return "service";
        }
        return "unknown";
}

int cvm_backend_from_name(const char *name, enum cvm_backend *ret) {
        for (enum cvm_backend b = CVM_BACKEND_AUTO; b <= CVM_BACKEND_SERVICE; b++)
                if (strcmp(name, cvm_backend_name(b)) == 0) {
                        *ret = b;
                        return 0;
                }
        return -EINVAL;
}

int cvm_imr_open(const struct cvm_imr_options *opts, cvm_imr **ret, cvm_error *err) {
        cvm_imr *imr = calloc(1, sizeof(*imr));
        const char *source;
        int r;

        if (!imr)
                return cvm_error_set(err, ENOMEM, "out of memory");
        switch (opts->backend) {
        case CVM_BACKEND_TPM2:
                r = imr_tpm2_open(imr, opts->tcti, err);
                break;
        case CVM_BACKEND_TDX:
                r = imr_tdx_open(imr, opts->sysroot, err);
                break;
        case CVM_BACKEND_SIM:
                r = imr_sim_open(imr, opts, err);
                break;
        case CVM_BACKEND_SERVICE:
                r = imr_service_open(imr, opts->service_socket, err);
                break;
        default:
                /* TDX first: a TD may also have a vTPM, but its RTMRs are the TEE's own registers. */
                if (imr_tdx_present(opts->sysroot)) {
                        r = imr_tdx_open(imr, opts->sysroot, err);
                        break;
                }
                imr_tpm2_tcti(opts->tcti, &source);
                if (strcmp(source, "default") != 0 || access("/dev/tpmrm0", F_OK) == 0) {
                        r = imr_tpm2_open(imr, opts->tcti, err);
                        break;
                }
                r = cvm_error_set(err, ENODEV, "no confidential-computing device: no TDX guest interface under %s and no TPM "
                                  "(/dev/tpmrm0 missing, no --tcti, $CVM_TCTI or $TPM2TOOLS_TCTI)",
                                  opts->sysroot && *opts->sysroot ? opts->sysroot : "/");
        }
        if (r < 0) {
                free(imr);
                return r;
        }
        *ret = imr;
        return 0;
}

void cvm_imr_close(cvm_imr *imr) {
        if (!imr)
                return;
        if (imr->ops && imr->ops->close)
                imr->ops->close(imr);
        free(imr);
}

enum cvm_backend cvm_imr_backend(const cvm_imr *imr) {
        return imr->backend;
}

const char *cvm_imr_reason(const cvm_imr *imr) {
        return imr->reason;
}

const char *cvm_imr_read_via(const cvm_imr *imr) {
        return imr->read_via ? imr->read_via : cvm_backend_name(imr->backend);
}

const char *cvm_imr_extend_via(const cvm_imr *imr) {
        return imr->extend_via ? imr->extend_via : cvm_backend_name(imr->backend);
}

int cvm_imr_can_extend(const cvm_imr *imr, cvm_error *err) {
        return imr->ops->can_extend ? imr->ops->can_extend(imr, err) : 0;
}

bool cvm_imr_simulated(const cvm_imr *imr) {
        return imr->backend == CVM_BACKEND_SIM || imr->simulated;
}

enum cvm_reg_space cvm_imr_space(const cvm_imr *imr) {
        return imr->space;
}

uint16_t cvm_imr_default_alg(const cvm_imr *imr) {
        uint16_t want = imr->space == CVM_SPACE_CCMR ? CVM_ALG_SHA384 : CVM_ALG_SHA256;
        for (size_t i = 0; i < imr->nbanks; i++)
                if (imr->banks[i] == want)
                        return want;
        return imr->nbanks ? imr->banks[0] : want;
}

uint32_t cvm_imr_count(const cvm_imr *imr) {
        return imr->count;
}

size_t cvm_imr_banks(const cvm_imr *imr, const uint16_t **ret) {
        *ret = imr->banks;
        return imr->nbanks;
}

static int check_bank(const cvm_imr *imr, uint16_t alg, cvm_error *err) {
        for (size_t i = 0; i < imr->nbanks; i++)
                if (imr->banks[i] == alg)
                        return 0;
        return cvm_error_set(err, EINVAL, "bank %s is not active on this %s backend", cvm_alg_name(alg) ? cvm_alg_name(alg) : "(unknown)",
                             cvm_backend_name(imr->backend));
}

static int check_index(const cvm_imr *imr, uint32_t index, cvm_error *err) {
        char name[CVM_REG_NAME_MAX];
        if (index >= imr->count)
                return cvm_error_set(err, EINVAL, "register index %u (%s) is out of range: this backend has %u registers",
                                     index, cvm_register_name(imr->space, index, name), imr->count);
        return 0;
}

int cvm_imr_read(cvm_imr *imr, uint32_t index, uint16_t alg, uint8_t *out, cvm_error *err) {
        int r;

        if ((r = check_index(imr, index, err)) < 0 || (r = check_bank(imr, alg, err)) < 0)
                return r;
        return imr->ops->read(imr, index, alg, out, err);
}

int cvm_imr_read_bank(cvm_imr *imr, uint16_t alg, uint8_t *out, cvm_error *err) {
        size_t size = (size_t) cvm_alg_size(alg);
        int r;

        if ((r = check_bank(imr, alg, err)) < 0)
                return r;
        if (imr->ops->read_bank)
                return imr->ops->read_bank(imr, alg, out, err);
        for (uint32_t i = 0; i < imr->count; i++)
                if ((r = imr->ops->read(imr, i, alg, out + i * size, err)) < 0)
                        return r;
        return 0;
}

int imr_check_extend(const cvm_imr *imr, uint32_t index, const struct cvm_event_digest *digests, size_t n, cvm_error *err) {
        int r;

        if ((r = check_index(imr, index, err)) < 0 || (r = cvm_imr_can_extend(imr, err)) < 0)
                return r;
        /* As on hardware: the TDX module measures MRTD at build time; nobody extends it later. */
        if (imr->space == CVM_SPACE_CCMR && index == 0)
                return cvm_error_set(err, EPERM, "MRTD is measured by the TDX module at build time and cannot be extended");
        if (n == 0 || n > imr->nbanks)
                return cvm_error_set(err, EINVAL, "extend needs 1 to %zu digests, not %zu", imr->nbanks, n);
        for (size_t i = 0; i < n; i++) {
                if ((r = check_bank(imr, digests[i].alg, err)) < 0)
                        return r;
                if (cvm_alg_size(digests[i].alg) != digests[i].size)
                        return cvm_error_set(err, EINVAL, "%s digest of %u bytes, expected %d", cvm_alg_name(digests[i].alg),
                                             digests[i].size, cvm_alg_size(digests[i].alg));
                for (size_t j = 0; j < i; j++)
                        if (digests[j].alg == digests[i].alg)
                                return cvm_error_set(err, EINVAL, "two %s digests", cvm_alg_name(digests[i].alg));
        }
        return 0;
}

int cvm_imr_extend(cvm_imr *imr, uint32_t index, const struct cvm_event_digest *digests, size_t n, cvm_error *err) {
        int r = imr_check_extend(imr, index, digests, n, err);

        return r < 0 ? r : imr->ops->extend(imr, index, digests, n, err);
}
