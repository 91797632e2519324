/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Format detection.  The rule, in order (README "Format detection"):
 *  1. A TCG_PCR_EVENT header carrying "Spec ID Event03":
 *     - on index 1 (RTMR0's CC MR index): CCEL (TDVF/OVMF);
 *     - on index 0, SHA-384 the only bank, 0xFF padding after the records:
 *       CCEL (td-shim);
 *     - on index 0, SHA-384 only, no padding: ambiguous, read as TCG2;
 *     - otherwise TCG2.
 *  2. A TLV stream starting with recnum (type 0, 1-8 byte length) then pcr
 *     or nv_index: CEL-TLV.
 *  3. Text whose first line is "DIGITS HEX(40|64|96|128) NAME ...": IMA ascii.
 *  4. u32 PCR < 24, 20 bytes, u32 name length 1-255, a printable template
 *     name: IMA binary.
 *  5. A first TCG_PCClientPCREvent with PCR < 24, a known event type and a
 *     size that fits: TCG 1.2.
 * An explicit format is always honoured.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>

#include "cvm/digest.h"
#include "internal.h"

static void say(char *why, size_t whylen, const char *s) {
        if (why && whylen)
                snprintf(why, whylen, "%s", s);
}

/* The end of the last TCG2 record, walking sizes only; 0 if the walk fails. */
static size_t tcg2_records_end(const uint8_t *buf, size_t len, uint16_t digest_size) {
        size_t off = tcg2_header_size(buf);

        while (off <= len && len - off >= 12) {
                uint32_t count = le32(buf + off + 8);
                size_t rec;

                if (le32(buf + off) == UINT32_MAX && le32(buf + off + 4) == UINT32_MAX)
                        return off;
                if (count != 1)
                        return 0;
                rec = 12 + 2 + (size_t) digest_size;
                if (len - off < rec + 4)
                        return 0;
                rec += 4 + (size_t) le32(buf + off + rec);
                if (len - off < rec)
                        return 0;
                off += rec;
        }
        return off <= len ? off : 0;
}

static bool sha384_only(const uint8_t *buf, size_t len) {
        size_t spec = 32;
        return len >= spec + 32 && le32(buf + spec + 24) == 1 && le16(buf + spec + 28) == CVM_ALG_SHA384;
}

static enum cvm_log_format detect_tcg2(const uint8_t *buf, size_t len, char *why, size_t whylen) {
        uint32_t index = le32(buf);
        size_t end;

        if (index == 1) {
                say(why, whylen, "Spec ID header on CC MR index 1 (RTMR0): a TDX CCEL log");
                return CVM_LOG_CCEL;
        }
        if (index != 0 || !sha384_only(buf, len)) {
                say(why, whylen, "Spec ID Event03 header on PCR0: a TCG2 crypto-agile log");
                return CVM_LOG_TCG2;
        }
        end = tcg2_records_end(buf, len, 48);
        if (end > 0 && end < len && buf[end] == 0xff) {
                say(why, whylen, "Spec ID header on index 0, SHA-384 only, 0xFF padding after the records: a td-shim CCEL log");
                return CVM_LOG_CCEL;
        }
        say(why, whylen, "ambiguous: Spec ID header on index 0 with only SHA-384 and no 0xFF padding reads as TCG2 "
                         "or as a td-shim CCEL log; read as TCG2 (use --format ccel for CC MR indices)");
        return CVM_LOG_TCG2;
}

static bool looks_cel_tlv(const uint8_t *buf, size_t len) {
        uint32_t l;

        if (len < 12 || buf[0] != 0)
                return false;
        l = (uint32_t) buf[1] << 24 | (uint32_t) buf[2] << 16 | (uint32_t) buf[3] << 8 | buf[4];
        if (l < 1 || l > 8 || len < 5 + l + 5)
                return false;
        return buf[5 + l] == 1 || buf[5 + l] == 2;
}

static bool looks_ima_ascii(const uint8_t *buf, size_t len) {
        size_t i = 0, n;

        for (n = 0; i < len && isdigit(buf[i]); i++, n++)
                ;
        if (n == 0 || n > 10 || i >= len || buf[i++] != ' ')
                return false;
        for (n = 0; i < len && isxdigit(buf[i]); i++, n++)
                ;
        if ((n != 40 && n != 64 && n != 96 && n != 128) || i >= len || buf[i++] != ' ')
                return false;
        for (n = 0; i < len && isgraph(buf[i]); i++, n++)
                ;
        /* A line cut after the template name is still IMA; its parser reports what is missing. */
        return n > 0 && (i == len || buf[i] == ' ' || buf[i] == '\n');
}

static bool looks_ima_binary(const uint8_t *buf, size_t len) {
        uint32_t name_len;

        if (len < 29 || le32(buf) >= CVM_PCR_MAX)
                return false;
        name_len = le32(buf + 24);
        if (name_len == 0 || name_len > 255 || len - 28 < name_len)
                return false;
        for (uint32_t i = 0; i < name_len; i++)
                if (!isgraph(buf[28 + i]))
                        return false;
        return isalpha(buf[28]);
}

/* A JSON array whose first element is an object: no other supported format starts with '[' then '{'. */
static bool looks_cel_json(const uint8_t *buf, size_t len) {
        size_t i = 0;

        while (i < len && strchr(" \t\r\n", buf[i]) && buf[i])
                i++;
        if (i == len || buf[i++] != '[')
                return false;
        while (i < len && strchr(" \t\r\n", buf[i]) && buf[i])
                i++;
        return i < len && buf[i] == '{';
}

static bool looks_tcg12(const uint8_t *buf, size_t len) {
        if (len < 32 || le32(buf) >= CVM_PCR_MAX || !cvm_event_type_name(le32(buf + 4)))
                return false;
        return le32(buf + 28) <= len - 32;
}

int cvm_eventlog_detect(const uint8_t *buf, size_t len, enum cvm_log_format hint,
                        enum cvm_log_format *ret, char *why, size_t whylen, cvm_error *err) {
        if (len == 0)
                return cvm_error_set(err, EBADMSG, "offset 0: empty input, expected an event log");
        if (hint == CVM_LOG_IMA) {
                *ret = looks_ima_binary(buf, len) ? CVM_LOG_IMA_BINARY : CVM_LOG_IMA_ASCII;
                say(why, whylen, "--format ima");
                return 0;
        }
        if (hint != CVM_LOG_AUTO) {
                *ret = hint;
                say(why, whylen, "format given explicitly");
                return 0;
        }
        if (tcg2_has_spec_id(buf, len)) {
                *ret = detect_tcg2(buf, len, why, whylen);
                return 0;
        }
        if (looks_cel_tlv(buf, len)) {
                *ret = CVM_LOG_CEL_TLV;
                say(why, whylen, "TLV stream starting with recnum then pcr/nv_index: CEL-TLV");
                return 0;
        }
        if (looks_cel_json(buf, len)) {
                *ret = CVM_LOG_CEL_JSON;
                say(why, whylen, "a JSON array of objects: CEL-JSON");
                return 0;
        }
        if (looks_ima_ascii(buf, len)) {
                *ret = CVM_LOG_IMA_ASCII;
                say(why, whylen, "text lines \"PCR TEMPLATE-HASH TEMPLATE ...\": an IMA ascii list");
                return 0;
        }
        if (looks_ima_binary(buf, len)) {
                *ret = CVM_LOG_IMA_BINARY;
                say(why, whylen, "PCR, SHA-1 template hash and a printable template name: an IMA binary list");
                return 0;
        }
        if (looks_tcg12(buf, len)) {
                *ret = CVM_LOG_TCG12;
                say(why, whylen, "first record is a SHA-1 TCG_PCClientPCREvent with no Spec ID Event03: a TCG 1.2 log");
                return 0;
        }
        return cvm_error_set(err, EBADMSG, "offset 0: not a recognised event log (expected a TCG2/CCEL Spec ID "
                             "header, a TCG 1.2 record, an IMA list, CEL-TLV or CEL-JSON); use --format to force one");
}
