/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The PCR7 events OVMF measures from its variables before the boot manager
 * runs (edk2 Tcg2Dxe's MeasureAllSecureVariables, then the separator of
 * PCR0-7): checked against a real OVMF + swtpm log, where each event's digest
 * is the hash of its UEFI_VARIABLE_DATA and a variable the store lacks is
 * measured with no data.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cvm/digest.h"
#include "cvm/efivars.h"
#include "internal.h"

/* EFI_GLOBAL_VARIABLE, EFI_IMAGE_SECURITY_DATABASE_GUID, and edk2's SecureBootEnable vendor GUID. */
static const uint8_t global_guid[16] = { 0x61, 0xdf, 0xe4, 0x8b, 0xca, 0x93, 0xd2, 0x11,
                                         0xaa, 0x0d, 0x00, 0xe0, 0x98, 0x03, 0x2b, 0x8c };
static const uint8_t image_db_guid[16] = { 0xcb, 0xb2, 0x19, 0xd7, 0x3a, 0x3d, 0x96, 0x45,
                                           0xa3, 0xbc, 0xda, 0xd0, 0x0e, 0x67, 0x65, 0x6f };
static const uint8_t sb_enable_guid[16] = { 0xc7, 0x0b, 0xa3, 0xf0, 0x08, 0xaf, 0x56, 0x45,
                                            0x99, 0xc4, 0x00, 0x10, 0x09, 0xc9, 0x3a, 0x44 };

int cvm_efi_variable_data(const uint8_t guid[16], const char *name, const uint8_t *data, size_t data_len,
                          uint8_t **ret, size_t *ret_len, cvm_error *err) {
        size_t n = name ? strlen(name) : 0, len;
        uint8_t *b;

        if (!guid || !name || (!data && data_len) || !ret || !ret_len)
                return cvm_error_set(err, EINVAL, "cvm_efi_variable_data: NULL argument");
        if (n == 0 || n >= CVM_EFI_VAR_NAME_MAX || data_len > SIZE_MAX / 4)
                return cvm_error_set(err, EINVAL, "variable name '%s' or its %zu bytes of data out of range", name, data_len);
        len = 32 + 2 * n + data_len;
        b = calloc(1, len);
        if (!b)
                return cvm_error_set(err, ENOMEM, "out of memory");
        memcpy(b, guid, 16);
        put_le32(b + 16, (uint32_t) n);
        put_le32(b + 24, (uint32_t) data_len);
        put_le32(b + 28, (uint32_t) ((uint64_t) data_len >> 32));
        for (size_t i = 0; i < n; i++)
                put_le16(b + 32 + 2 * i, (uint8_t) name[i]);
        if (data_len)
                memcpy(b + 32 + 2 * n, data, data_len);
        *ret = b;
        *ret_len = len;
        return 0;
}

bool cvm_efi_varstore_secure_boot(const cvm_efi_varstore *vs) {
        const struct cvm_efi_var *pk = cvm_efi_varstore_find(vs, global_guid, "PK");
        const struct cvm_efi_var *en = cvm_efi_varstore_find(vs, sb_enable_guid, "SecureBootEnable");

        if (!pk || pk->data_len == 0)
                return false;
        return !en || en->data_len == 0 || en->data[0] != 0;
}

/* Append one event whose digest in each of the log's banks is the hash of data. */
static int append_hashed(cvm_eventlog *log, uint32_t type, const uint8_t *data, size_t len, cvm_error *err) {
        const struct cvm_log_alg *algs;
        size_t nalgs = cvm_eventlog_algs(log, &algs);
        struct cvm_event_digest d[8];
        uint8_t out[8][CVM_DIGEST_MAX];
        int r;

        if (nalgs > 8)
                return cvm_error_set(err, EINVAL, "the log declares %zu banks, at most 8 are supported", nalgs);
        for (size_t i = 0; i < nalgs; i++) {
                if ((r = cvm_digest(algs[i].alg, data, len, out[i], err)) < 0)
                        return r;
                d[i] = (struct cvm_event_digest) { .alg = algs[i].alg, .size = algs[i].size, .bytes = out[i] };
        }
        return cvm_eventlog_append(log, 7, type, d, nalgs, data, len, err);
}

static int append_variable(cvm_eventlog *log, const uint8_t guid[16], const char *name, const uint8_t *data,
                           size_t len, cvm_error *err) {
        _cleanup_free_ uint8_t *ev = NULL;
        size_t evlen = 0;
        int r;

        if ((r = cvm_efi_variable_data(guid, name, data, len, &ev, &evlen, err)) < 0)
                return r;
        return append_hashed(log, CVM_EV_EFI_VARIABLE_DRIVER_CONFIG, ev, evlen, err);
}

int cvm_efi_pcr7_events(const cvm_efi_varstore *vs, cvm_eventlog *log, cvm_error *err) {
        static const struct {
                const uint8_t *guid;
                const char *name;
        } vars[] = { { global_guid, "PK" }, { global_guid, "KEK" }, { image_db_guid, "db" }, { image_db_guid, "dbx" } };
        static const uint8_t separator[4] = { 0 };
        const struct cvm_efi_var *dbt;
        uint8_t sb;
        int r;

        if (!vs || !log)
                return cvm_error_set(err, EINVAL, "cvm_efi_pcr7_events: NULL argument");
        if (cvm_eventlog_space(log) != CVM_SPACE_PCR)
                return cvm_error_set(err, EINVAL, "PCR7 events go into a PCR-space log");
        sb = cvm_efi_varstore_secure_boot(vs) ? 1 : 0;
        if ((r = append_variable(log, global_guid, "SecureBoot", &sb, 1, err)) < 0)
                return r;
        for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
                const struct cvm_efi_var *v = cvm_efi_varstore_find(vs, vars[i].guid, vars[i].name);
                if ((r = append_variable(log, vars[i].guid, vars[i].name, v ? v->data : NULL, v ? v->data_len : 0, err)) < 0)
                        return r;
        }
        dbt = cvm_efi_varstore_find(vs, image_db_guid, "dbt");
        if (dbt && dbt->data_len && (r = append_variable(log, image_db_guid, "dbt", dbt->data, dbt->data_len, err)) < 0)
                return r;
        return append_hashed(log, CVM_EV_SEPARATOR, separator, sizeof(separator), err);
}
