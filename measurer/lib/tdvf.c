/* SPDX-License-Identifier: Apache-2.0 */
/*
 * TDVF metadata and the MRTD of a TDX guest's initial memory.
 *
 * Hand-written: Debian packages no parser of the TDVF descriptor, and the MRTD
 * is a transcript of TDX module operations, not a file format.  Layouts: Intel
 * TDVF Design Guide section 11 (descriptor and sections), the OVMF reset
 * vector's GUIDed table (what QEMU's pc_system_ovmf_table_find walks), and the
 * TDX module ABI (TDH.MEM.PAGE.ADD and TDH.MR.EXTEND extend MRTD, an
 * incremental SHA-384, with a 128-byte buffer: the operation's name in ASCII
 * at byte 0, the GPA little-endian at byte 16, zeros elsewhere; MR.EXTEND then
 * hashes the 256 bytes of the chunk).
 */
#include <errno.h>
#include <string.h>

#include "cvm/digest.h"
#include "cvm/tdvf.h"
#include "crypto_dlopen.h"

#define TDVF_SIGNATURE "TDVF"
#define TDVF_HEADER_SIZE 16u
#define TDVF_SECTION_SIZE 32u
#define TDVF_PAGE 4096u
#define MR_EXTEND_CHUNK 256u
#define MRTD_BUFFER 128u
/* The OVMF table ends 0x20 bytes before the image's end (the reset vector follows). */
#define OVMF_TABLE_END_FROM_END 0x20u
#define OVMF_TABLE_ENTRY_TAIL 18u /* u16 length + GUID, after each entry's data */

/* 96b582de-1fb2-45f7-baea-a366c55a082d, the table footer; e47a6535-984a-4798-865e-4685a7bf8ec2, TDX metadata offset. */
static const uint8_t ovmf_table_footer_guid[16] = { 0xde, 0x82, 0xb5, 0x96, 0xb2, 0x1f, 0xf7, 0x45,
                                                    0xba, 0xea, 0xa3, 0x66, 0xc5, 0x5a, 0x08, 0x2d };
static const uint8_t tdx_metadata_offset_guid[16] = { 0x35, 0x65, 0x7a, 0xe4, 0x4a, 0x98, 0x98, 0x47,
                                                      0x86, 0x5e, 0x46, 0x85, 0xa7, 0xbf, 0x8e, 0xc2 };

static const char *const assumptions[] = {
        "the VMM is QEMU (hw/i386/tdvf.c, target/i386/kvm/tdx.c) on KVM: every section is added with "
        "KVM_TDX_INIT_MEM_REGION in metadata order, whole section at once",
        "KVM adds each 4 KiB page with TDH.MEM.PAGE.ADD (MRTD gets its GPA) and, for MR_EXTEND sections, "
        "extends its 16 chunks of 256 bytes with TDH.MR.EXTEND right after the page",
        "BFV and CFV content is the image's bytes from DataOffset for MemoryDataSize bytes (the CFV, the "
        "variable store, is as in the image: a VARS file the VMM substitutes changes MRTD only if CFV is MR_EXTEND)",
        "TD_HOB and TempMem are page-added (GPA measured) but their content is not (no MR_EXTEND): the HOB "
        "QEMU writes and the RAM size do not enter MRTD",
        "PAGE_AUG is ignored as QEMU ignores it: those sections are page-added like the others",
        "PermMem, Payload and PayloadParam sections are refused, as QEMU refuses them",
        "MRTD covers only the initial memory: TD attributes, XFAM, CPUID and MRCONFIGID are separate TDREPORT fields",
        NULL,
};

const char *const *cvm_tdvf_assumptions(void) {
        return assumptions;
}

const char *cvm_tdvf_section_type_name(uint32_t type) {
        static const char *const names[] = { "BFV", "CFV", "TD_HOB", "TempMem", "PermMem", "Payload", "PayloadParam" };
        return type < sizeof(names) / sizeof(names[0]) ? names[type] : NULL;
}

/* The data of the OVMF table entry with guid, walking back from the footer; -ENOENT without a table or entry. */
static int ovmf_table_find(const uint8_t *img, size_t len, const uint8_t guid[16], const uint8_t **data, size_t *dlen) {
        size_t end, start, tlen;

        if (len < OVMF_TABLE_END_FROM_END + OVMF_TABLE_ENTRY_TAIL)
                return -ENOENT;
        end = len - OVMF_TABLE_END_FROM_END;
        if (memcmp(img + end - 16, ovmf_table_footer_guid, 16) != 0)
                return -ENOENT;
        tlen = le16(img + end - OVMF_TABLE_ENTRY_TAIL);
        if (tlen < OVMF_TABLE_ENTRY_TAIL || tlen > end)
                return -ENOENT;
        start = end - tlen;
        end -= OVMF_TABLE_ENTRY_TAIL;
        while (end - start >= OVMF_TABLE_ENTRY_TAIL) {
                size_t elen = le16(img + end - OVMF_TABLE_ENTRY_TAIL);
                if (elen < OVMF_TABLE_ENTRY_TAIL || elen > end - start)
                        return -ENOENT;
                if (memcmp(img + end - 16, guid, 16) == 0) {
                        *data = img + end - elen;
                        *dlen = elen - OVMF_TABLE_ENTRY_TAIL;
                        return 0;
                }
                end -= elen;
        }
        return -ENOENT;
}

/* Where the descriptor is: QEMU's way (the table's offset from the end), else the design guide's pointer at end - 0x20. */
static int locate_descriptor(const uint8_t *img, size_t len, size_t *off, bool *by_guid, cvm_error *err) {
        const uint8_t *d;
        size_t dlen;
        uint32_t v;

        if (ovmf_table_find(img, len, tdx_metadata_offset_guid, &d, &dlen) == 0) {
                if (dlen < 4)
                        return cvm_error_set(err, EBADMSG, "TDX metadata offset entry has %zu bytes, expected 4", dlen);
                v = le32(d);
                if (v == 0 || v > len)
                        return cvm_error_set(err, EBADMSG, "TDX metadata offset 0x%x from the end is outside the %zu-byte image", v, len);
                *off = len - v;
                *by_guid = true;
                return 0;
        }
        if (len < OVMF_TABLE_END_FROM_END)
                return cvm_error_set(err, EBADMSG, "%zu bytes: too short for a firmware image", len);
        v = le32(img + len - OVMF_TABLE_END_FROM_END);
        if (v > len)
                return cvm_error_set(err, EBADMSG, "no OVMF table with the TDX metadata GUID, and the pointer at "
                                     "end - 0x20 (0x%x) is outside the image: not a TDVF image", v);
        *off = v;
        *by_guid = false;
        return 0;
}

/* QEMU's checks of one section (tdvf_parse_and_check_section_entry) plus the bounds of its data in the image. */
static int check_section(const struct cvm_tdvf_section *s, uint32_t i, size_t len, cvm_error *err) {
        const char *name = cvm_tdvf_section_type_name(s->type);

        if (!name)
                return cvm_error_set(err, EBADMSG, "TDVF section %u: unknown type %u", i, s->type);
        if (s->memory_size < s->raw_size)
                return cvm_error_set(err, EBADMSG, "TDVF section %u (%s): RawDataSize 0x%x exceeds MemoryDataSize 0x%llx",
                                     i, name, s->raw_size, (unsigned long long) s->memory_size);
        if (s->address % TDVF_PAGE || s->memory_size % TDVF_PAGE || s->memory_size == 0)
                return cvm_error_set(err, EBADMSG, "TDVF section %u (%s): address 0x%llx or size 0x%llx is not a "
                                     "non-empty run of 4 KiB pages", i, name, (unsigned long long) s->address,
                                     (unsigned long long) s->memory_size);
        if (s->address + s->memory_size < s->address)
                return cvm_error_set(err, EBADMSG, "TDVF section %u (%s): address range wraps", i, name);
        if ((s->type == CVM_TDVF_BFV || s->type == CVM_TDVF_CFV) && s->raw_size == 0)
                return cvm_error_set(err, EBADMSG, "TDVF section %u (%s): RawDataSize is 0, expected the volume's size", i, name);
        if ((s->type == CVM_TDVF_TD_HOB || s->type == CVM_TDVF_TEMP_MEM) && s->raw_size != 0)
                return cvm_error_set(err, EBADMSG, "TDVF section %u (%s): RawDataSize 0x%x, expected 0", i, name, s->raw_size);
        if ((uint64_t) s->data_offset + s->raw_size > len)
                return cvm_error_set(err, EBADMSG, "TDVF section %u (%s): data 0x%x+0x%x is past the image's end (0x%zx); "
                                     "is this the code half of a split image? use the combined OVMF.fd",
                                     i, name, s->data_offset, s->raw_size, len);
        return 0;
}

static int parse_sections(const uint8_t *img, size_t len, struct cvm_tdvf *t, cvm_error *err) {
        const uint8_t *p = img + t->descriptor_offset + TDVF_HEADER_SIZE;
        int r;

        for (uint32_t i = 0; i < t->nsections; i++, p += TDVF_SECTION_SIZE) {
                struct cvm_tdvf_section *s = &t->sections[i];
                s->data_offset = le32(p);
                s->raw_size = le32(p + 4);
                s->address = le64(p + 8);
                s->memory_size = le64(p + 16);
                s->type = le32(p + 24);
                s->attributes = le32(p + 28);
                if ((r = check_section(s, i, len, err)) < 0)
                        return r;
        }
        return 0;
}

int cvm_tdvf_parse(const uint8_t *img, size_t len, struct cvm_tdvf *ret, cvm_error *err) {
        struct cvm_tdvf t = { 0 };
        const uint8_t *d;
        uint32_t dlen;
        int r;

        if (!img || !ret)
                return cvm_error_set(err, EINVAL, "cvm_tdvf_parse: NULL argument");
        if ((r = locate_descriptor(img, len, &t.descriptor_offset, &t.by_guid, err)) < 0)
                return r;
        if (len - t.descriptor_offset < TDVF_HEADER_SIZE)
                return cvm_error_set(err, EBADMSG, "TDVF descriptor at 0x%zx: past the image's end", t.descriptor_offset);
        d = img + t.descriptor_offset;
        if (memcmp(d, TDVF_SIGNATURE, 4) != 0)
                return cvm_error_set(err, EBADMSG, "offset 0x%zx: expected the \"TDVF\" signature: not a TDVF image",
                                     t.descriptor_offset);
        dlen = le32(d + 4);
        t.version = le32(d + 8);
        t.nsections = le32(d + 12);
        if (t.version != 1)
                return cvm_error_set(err, EBADMSG, "TDVF descriptor at 0x%zx: version %u, expected 1", t.descriptor_offset, t.version);
        if (t.nsections < 2 || t.nsections > CVM_TDVF_MAX_SECTIONS)
                return cvm_error_set(err, EBADMSG, "TDVF descriptor at 0x%zx: %u sections, expected 2 to %u",
                                     t.descriptor_offset, t.nsections, CVM_TDVF_MAX_SECTIONS);
        if (dlen != TDVF_HEADER_SIZE + TDVF_SECTION_SIZE * t.nsections || dlen > len - t.descriptor_offset)
                return cvm_error_set(err, EBADMSG, "TDVF descriptor at 0x%zx: length %u does not fit %u sections in the image",
                                     t.descriptor_offset, dlen, t.nsections);
        if ((r = parse_sections(img, len, &t, err)) < 0)
                return r;
        *ret = t;
        return 0;
}

static void free_md_ctx(EVP_MD_CTX **c) {
        if (*c)
                sym_EVP_MD_CTX_free(*c);
}

static int mrtd_op(EVP_MD_CTX *c, const char *op, uint64_t gpa, const uint8_t *chunk) {
        uint8_t buf[MRTD_BUFFER] = { 0 };

        memcpy(buf, op, strlen(op));
        for (unsigned i = 0; i < 8; i++)
                buf[16 + i] = (uint8_t) (gpa >> (8 * i));
        if (sym_EVP_DigestUpdate(c, buf, sizeof(buf)) != 1)
                return -EIO;
        if (chunk && sym_EVP_DigestUpdate(c, chunk, MR_EXTEND_CHUNK) != 1)
                return -EIO;
        return 0;
}

/* The content the VMM copies for a section, or NULL for VMM-written memory (TD_HOB, TempMem). */
static int section_content(const uint8_t *img, size_t len, const struct cvm_tdvf_section *s, uint32_t i,
                           const uint8_t **ret, cvm_error *err) {
        const char *name = cvm_tdvf_section_type_name(s->type);

        *ret = NULL;
        if (s->type != CVM_TDVF_BFV && s->type != CVM_TDVF_CFV && s->type != CVM_TDVF_TD_HOB && s->type != CVM_TDVF_TEMP_MEM)
                return cvm_error_set(err, EOPNOTSUPP, "TDVF section %u: QEMU refuses %s sections; no MRTD for this VMM", i, name);
        if (s->type == CVM_TDVF_TD_HOB || s->type == CVM_TDVF_TEMP_MEM) {
                if (s->attributes & CVM_TDVF_ATTR_MR_EXTEND)
                        return cvm_error_set(err, EOPNOTSUPP, "TDVF section %u (%s) is MR_EXTEND: its content is written by "
                                             "the VMM at launch and cannot be predicted from the image", i, name);
                return 0;
        }
        if ((uint64_t) s->data_offset + s->memory_size > len)
                return cvm_error_set(err, EBADMSG, "TDVF section %u (%s): QEMU copies 0x%llx bytes from 0x%x, past the image's end",
                                     i, name, (unsigned long long) s->memory_size, s->data_offset);
        *ret = img + s->data_offset;
        return 0;
}

static int mrtd_section(EVP_MD_CTX *c, const uint8_t *content, const struct cvm_tdvf_section *s) {
        bool extend = s->attributes & CVM_TDVF_ATTR_MR_EXTEND;

        for (uint64_t page = 0; page < s->memory_size; page += TDVF_PAGE) {
                if (mrtd_op(c, "MEM.PAGE.ADD", s->address + page, NULL) < 0)
                        return -EIO;
                for (uint64_t off = page; extend && off < page + TDVF_PAGE; off += MR_EXTEND_CHUNK)
                        if (mrtd_op(c, "MR.EXTEND", s->address + off, content + off) < 0)
                                return -EIO;
        }
        return 0;
}

int cvm_tdvf_mrtd(const uint8_t *img, size_t len, const struct cvm_tdvf *t, uint8_t mrtd[CVM_MRTD_SIZE], cvm_error *err) {
        _cleanup_(free_md_ctx) EVP_MD_CTX *c = NULL;
        const EVP_MD *md = NULL;
        unsigned int outlen = 0;
        int r;

        if (!img || !t || !mrtd)
                return cvm_error_set(err, EINVAL, "cvm_tdvf_mrtd: NULL argument");
        if ((r = crypto_md(CVM_ALG_SHA384, &md, err)) < 0)
                return r;
        if (!(c = sym_EVP_MD_CTX_new()) || sym_EVP_DigestInit_ex(c, md, NULL) != 1)
                return cvm_error_set(err, EIO, "SHA-384 is not available");
        for (uint32_t i = 0; i < t->nsections; i++) {
                const uint8_t *content;
                if ((r = section_content(img, len, &t->sections[i], i, &content, err)) < 0)
                        return r;
                if (mrtd_section(c, content, &t->sections[i]) < 0)
                        return cvm_error_set(err, EIO, "SHA-384 update failed");
        }
        if (sym_EVP_DigestFinal_ex(c, mrtd, &outlen) != 1 || outlen != CVM_MRTD_SIZE)
                return cvm_error_set(err, EIO, "SHA-384 final failed");
        return 0;
}
