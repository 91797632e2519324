/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>

#include "cvm/ccel.h"
#include "internal.h"

int cvm_ccel_table_parse(const uint8_t *buf, size_t len, struct cvm_ccel_table *ret, cvm_error *err) {
        uint8_t sum = 0;

        if (len < CVM_CCEL_TABLE_SIZE)
                return cvm_error_set(err, EBADMSG, "offset 0: CCEL table of %zu bytes, expected %d", len, CVM_CCEL_TABLE_SIZE);
        if (memcmp(buf, "CCEL", 4) != 0)
                return cvm_error_set(err, EBADMSG, "offset 0: ACPI signature '%.4s', expected 'CCEL'", (const char *) buf);
        ret->length = le32(buf + 4);
        if (ret->length != len || ret->length < CVM_CCEL_TABLE_SIZE)
                return cvm_error_set(err, EBADMSG, "offset 4: table length %u, but %zu bytes were given (expected %d)",
                                     ret->length, len, CVM_CCEL_TABLE_SIZE);
        /* ACPI: all bytes of the table sum to zero. */
        for (size_t i = 0; i < len; i++)
                sum = (uint8_t) (sum + buf[i]);
        if (sum != 0)
                return cvm_error_set(err, EBADMSG, "offset 9: ACPI checksum does not sum to zero (off by 0x%02x)", sum);
        ret->revision = buf[8];
        ret->cc_type = buf[36];
        ret->cc_subtype = buf[37];
        ret->laml = le64(buf + 40);
        ret->lasa = le64(buf + 48);
        return 0;
}
