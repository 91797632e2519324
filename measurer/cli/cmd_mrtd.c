/* SPDX-License-Identifier: Apache-2.0 */
/* cvm-evidence mrtd: the MRTD a TDX module computes for a TDVF firmware image, with the VMM assumptions behind it. */
#include <stdlib.h>

#include "cli.h"

#define FIRMWARE_MAX (64u << 20)

struct mrtd_args {
        const char *firmware;
        bool json;
};

static const struct opt options[] = {
        OPT_STR(0, "firmware", struct mrtd_args, firmware, "FILE", "the TDVF image the VMM loads (e.g. OVMF.fd, code and vars in one)"),
        OPT_JSON(struct mrtd_args, json, "{firmware, mrtd, descriptor_offset, located_by, sections[], vmm_assumptions[]}"),
        OPT_END,
};

static const struct opt_command command = {
        .tool = &evidence_tool,
        .name = "mrtd",
        .usage = "--firmware FILE [--json]",
        .about = "Compute the MRTD of a TDX guest from its TDVF firmware image: parse the TDVF\n"
                 "metadata and replay the page adds and measured extends the TDX module does\n"
                 "when QEMU loads the image.  The VMM assumptions are printed with the value.",
        .options = options,
        .notes = "A split image (OVMF_CODE.fd alone) is refused: its metadata points past its end.",
        .exits = EXIT_BIT(EXIT_OK) | EXIT_BIT(EXIT_USAGE) | EXIT_BIT(EXIT_BAD_INPUT),
};

static struct json_object *attributes_json(uint32_t a) {
        struct json_object *o = json_object_new_array();

        if (a & CVM_TDVF_ATTR_MR_EXTEND)
                json_object_array_add(o, json_object_new_string("MR_EXTEND"));
        if (a & CVM_TDVF_ATTR_PAGE_AUG)
                json_object_array_add(o, json_object_new_string("PAGE_AUG"));
        return o;
}

static struct json_object *section_json(const struct cvm_tdvf_section *s, uint32_t i) {
        struct json_object *o = json_object_new_object();
        char buf[32];

        json_object_object_add(o, "index", json_object_new_int64(i));
        json_object_object_add(o, "type", json_object_new_string(cvm_tdvf_section_type_name(s->type)));
        snprintf(buf, sizeof(buf), "0x%x", s->data_offset);
        json_object_object_add(o, "data_offset", json_object_new_string(buf));
        json_object_object_add(o, "raw_size", json_object_new_int64(s->raw_size));
        snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long) s->address);
        json_object_object_add(o, "address", json_object_new_string(buf));
        json_object_object_add(o, "memory_size", json_object_new_uint64(s->memory_size));
        json_object_object_add(o, "attributes", attributes_json(s->attributes));
        return o;
}

static struct json_object *result_json(const char *path, const struct cvm_tdvf *t, const char *hex) {
        struct json_object *o = json_object_new_object(), *secs = json_object_new_array(), *as = json_object_new_array();

        json_object_object_add(o, "firmware", json_object_new_string(path));
        json_object_object_add(o, "mrtd", json_object_new_string(hex));
        json_object_object_add(o, "descriptor_offset", json_object_new_uint64(t->descriptor_offset));
        json_object_object_add(o, "located_by", json_object_new_string(t->by_guid ? "ovmf-table-guid" : "pointer-at-end-minus-0x20"));
        for (uint32_t i = 0; i < t->nsections; i++)
                json_object_array_add(secs, section_json(&t->sections[i], i));
        json_object_object_add(o, "sections", secs);
        for (const char *const *a = cvm_tdvf_assumptions(); *a; a++)
                json_object_array_add(as, json_object_new_string(*a));
        json_object_object_add(o, "vmm_assumptions", as);
        return o;
}

static void print_text(const char *path, const struct cvm_tdvf *t, const char *hex) {
        printf("MRTD: %s\n", hex);
        printf("firmware: %s (TDVF descriptor at 0x%zx, found through %s)\n", path, t->descriptor_offset,
               t->by_guid ? "the OVMF table GUID" : "the pointer at end - 0x20");
        for (uint32_t i = 0; i < t->nsections; i++) {
                const struct cvm_tdvf_section *s = &t->sections[i];
                printf("section %u: %-7s gpa 0x%08llx, %llu pages%s%s\n", i, cvm_tdvf_section_type_name(s->type),
                       (unsigned long long) s->address, (unsigned long long) (s->memory_size / 4096),
                       s->attributes & CVM_TDVF_ATTR_MR_EXTEND ? ", MR_EXTEND (content measured)" : ", page add only",
                       s->attributes & CVM_TDVF_ATTR_PAGE_AUG ? ", PAGE_AUG" : "");
        }
        printf("VMM assumptions:\n");
        for (const char *const *a = cvm_tdvf_assumptions(); *a; a++)
                printf("  - %s\n", *a);
}

int cmd_mrtd(int argc, char **argv) {
        struct mrtd_args a = { 0 };
        _cleanup_free_ uint8_t *img = NULL;
        uint8_t mrtd[CVM_MRTD_SIZE];
        char hex[2 * CVM_MRTD_SIZE + 1];
        struct cvm_tdvf t;
        cvm_error err = { 0 };
        size_t len = 0;
        int r;

        if ((r = parse_no_operands(&command, argc, argv, &a)) >= 0)
                return r;
        if (!a.firmware) {
                log_error("mrtd: expected --firmware FILE");
                return EXIT_USAGE;
        }
        if (read_file(a.firmware, FIRMWARE_MAX, &img, &len, &err) < 0) {
                log_error("%s", err.msg);
                return EXIT_BAD_INPUT;
        }
        if (cvm_tdvf_parse(img, len, &t, &err) < 0 || cvm_tdvf_mrtd(img, len, &t, mrtd, &err) < 0) {
                log_error("%s: %s", a.firmware, err.msg);
                return EXIT_BAD_INPUT;
        }
        cvm_hex(mrtd, sizeof(mrtd), hex);
        if (a.json) {
                _cleanup_(json_putp) struct json_object *o = result_json(a.firmware, &t, hex);
                print_json(o);
        } else
                print_text(a.firmware, &t, hex);
        return EXIT_OK;
}
