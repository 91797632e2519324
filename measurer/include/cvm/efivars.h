/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* libcvm exports what its public headers declare, and nothing else (libcvm.sym). */
#pragma GCC visibility push(default)

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cvm/error.h"
#include "cvm/eventlog.h"

/*
 * UEFI variables from an OVMF VARS image (a firmware volume holding the
 * authenticated variable store, PI spec vol. 3 and edk2's
 * VariableFormat.h), and the PCR7 events the firmware measures from them
 * (TCG PC Client Platform Firmware Profile, section 3.3.4.8).
 */

#define CVM_EFI_VAR_NAME_MAX 128 /* UTF-16 code units, NUL included */

struct cvm_efi_var {
        uint8_t guid[16];           /* vendor GUID, as stored (little-endian fields) */
        const uint8_t *name;        /* UTF-16LE, NUL-terminated, name_size bytes */
        size_t name_size;
        const uint8_t *data;
        size_t data_len;
        uint32_t attributes;        /* EFI_VARIABLE_* */
        size_t offset;              /* of the variable header in the image */
};

typedef struct cvm_efi_varstore cvm_efi_varstore;

/* Parse a VARS image (copied): the firmware volume header, then each live variable of the store, bounds-checked. */
int cvm_efi_varstore_parse(const uint8_t *buf, size_t len, cvm_efi_varstore **ret, cvm_error *err);

/* read_file + cvm_efi_varstore_parse; messages start with the path. */
int cvm_efi_varstore_load(const char *path, cvm_efi_varstore **ret, cvm_error *err);

/* Free a store; NULL is fine. */
void cvm_efi_varstore_free(cvm_efi_varstore *vs);

/* Live variables (State VAR_ADDED, or in deleted transition with no added copy), in store order. */
size_t cvm_efi_varstore_count(const cvm_efi_varstore *vs);
const struct cvm_efi_var *cvm_efi_varstore_var(const cvm_efi_varstore *vs, size_t i);

/* The live variable guid:name (ASCII name), or NULL. */
const struct cvm_efi_var *cvm_efi_varstore_find(const cvm_efi_varstore *vs, const uint8_t guid[16], const char *name);

/*
 * Whether the firmware will set SecureBoot to 1 with these variables: PK
 * enrolled and SecureBootEnable not 0 (edk2's AuthVariableLib with a Secure
 * Boot build).
 */
bool cvm_efi_varstore_secure_boot(const cvm_efi_varstore *vs);

/*
 * Append to log (PCR space; every bank it declares) the PCR7 events OVMF's
 * Tcg2Dxe measures before the boot manager: EV_EFI_VARIABLE_DRIVER_CONFIG for
 * SecureBoot, PK, KEK, db, dbx (and dbt when present), each a
 * UEFI_VARIABLE_DATA, then the EV_SEPARATOR.  With Secure Boot on, the
 * firmware later adds EV_EFI_VARIABLE_AUTHORITY events these do not include.
 */
int cvm_efi_pcr7_events(const cvm_efi_varstore *vs, cvm_eventlog *log, cvm_error *err);

/* The UEFI_VARIABLE_DATA of an event: GUID, name length, data length, UTF-16 name without NUL, data (malloc'ed). */
int cvm_efi_variable_data(const uint8_t guid[16], const char *name, const uint8_t *data, size_t data_len,
                          uint8_t **ret, size_t *ret_len, cvm_error *err);

#pragma GCC visibility pop
