/* SPDX-License-Identifier: Apache-2.0 */
/* cvm-evidence pe-digest: the Authenticode digest of EFI binaries, as the firmware measures them into PCR4. */
#include <string.h>

#include "cli.h"

#define PE_MAX ((size_t) 256 << 20)

struct pe_digest_args {
        uint16_t alg;
        bool json;
};

static const struct opt options[] = {
        OPT_FN('a', "alg", struct pe_digest_args, alg, "ALG", opt_alg, "the bank (default sha256)"),
        OPT_JSON(struct pe_digest_args, json, "[{path, alg, digest}]"),
        OPT_END,
};

static const struct opt_command command = {
        .tool = &evidence_tool,
        .name = "pe-digest",
        .usage = "[--alg ALG] [--json] FILE...",
        .about = "Print the Authenticode digest of each PE/COFF image (an EFI application, a\n"
                 "signed kernel): the digest UEFI firmware logs as EV_EFI_BOOT_SERVICES_APPLICATION\n"
                 "and Keylime's measured-boot policy lists.",
        .options = options,
        .notes = "Exit 2 when a file is not a well-formed PE image (the offset of the bad field is named).",
        .exits = EXIT_BIT(EXIT_OK) | EXIT_BIT(EXIT_USAGE) | EXIT_BIT(EXIT_BAD_INPUT),
};

static int digest_one(const char *path, uint16_t alg, char *hex) {
        _cleanup_free_ uint8_t *pe = NULL;
        uint8_t out[CVM_DIGEST_MAX];
        size_t n = 0;
        cvm_error err = { 0 };

        if (read_file(path, PE_MAX, &pe, &n, &err) < 0 || cvm_pe_authenticode(pe, n, alg, out, &err) < 0) {
                log_error("%s: %s", path, err.msg);
                return EXIT_BAD_INPUT;
        }
        cvm_hex(out, (size_t) cvm_alg_size(alg), hex);
        return EXIT_OK;
}

int cmd_pe_digest(int argc, char **argv) {
        struct pe_digest_args a = { .alg = CVM_ALG_SHA256 };
        _cleanup_(json_putp) struct json_object *arr = NULL;
        char hex[2 * CVM_DIGEST_MAX + 1];
        int ind, r;

        if ((r = parse_command(&command, argc, argv, &a, &ind)) >= 0)
                return r;
        if (ind == argc) {
                log_error("pe-digest: expected at least one FILE (see --help)");
                return EXIT_USAGE;
        }
        arr = json_object_new_array();
        for (int i = ind; i < argc; i++) {
                if ((r = digest_one(argv[i], a.alg, hex)) != EXIT_OK)
                        return r;
                struct json_object *o = json_object_new_object();
                json_object_object_add(o, "path", json_object_new_string(argv[i]));
                json_object_object_add(o, "alg", json_object_new_string(cvm_alg_name(a.alg)));
                json_object_object_add(o, "digest", json_object_new_string(hex));
                json_object_array_add(arr, o);
        }
        if (a.json) {
                print_json(arr);
                return EXIT_OK;
        }
        for (size_t i = 0; i < json_object_array_length(arr); i++) {
                struct json_object *o = json_object_array_get_idx(arr, i);
                printf("%s  %s\n", json_object_get_string(json_object_object_get(o, "digest")),
                       json_object_get_string(json_object_object_get(o, "path")));
        }
        return EXIT_OK;
}
