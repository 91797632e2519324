/* SPDX-License-Identifier: Apache-2.0 */
/* cvm-evidence info: which backend answers, why, and what it has. */
#include "cli.h"

struct info_args {
        struct cvm_imr_options imr;
        bool json;
};

static const struct opt options[] = {
        OPT_JSON(struct info_args, json, "{backend, simulated, reason, read, extend, space, registers,\ndefault_alg, banks}"),
        OPT_SUB(struct info_args, imr, live_backend_options),
        OPT_END,
};

static const struct opt_command command = {
        .tool = &evidence_tool,
        .name = "info",
        .usage = "[OPTIONS]",
        .about = "Report the measurement backend picked and why, how it reads and extends\n"
                 "(tdx: read sysfs|tdreport, extend sysfs|ioctl|none), its register space,\n"
                 "banks and default algorithm.",
        .options = options,
        .exits = EXIT_BIT(EXIT_OK) | EXIT_BIT(EXIT_USAGE) | EXIT_BIT(EXIT_BAD_INPUT) | EXIT_BIT(EXIT_NO_DEVICE),
};

static void print_json_info(const cvm_imr *imr, const uint16_t *banks, size_t n) {
        _cleanup_(json_putp) struct json_object *j = json_object_new_object();
        struct json_object *a = json_object_new_array();

        for (size_t i = 0; i < n; i++)
                json_object_array_add(a, json_object_new_string(cvm_alg_name(banks[i])));
        json_object_object_add(j, "backend", json_object_new_string(cvm_backend_name(cvm_imr_backend(imr))));
        json_object_object_add(j, "simulated", json_object_new_boolean(cvm_imr_simulated(imr)));
        json_object_object_add(j, "reason", json_object_new_string(cvm_imr_reason(imr)));
        json_object_object_add(j, "read", json_object_new_string(cvm_imr_read_via(imr)));
        json_object_object_add(j, "extend", json_object_new_string(cvm_imr_extend_via(imr)));
        json_object_object_add(j, "space", json_object_new_string(cvm_reg_space_name(cvm_imr_space(imr))));
        json_object_object_add(j, "registers", json_object_new_int64(cvm_imr_count(imr)));
        json_object_object_add(j, "default_alg", json_object_new_string(cvm_alg_name(cvm_imr_default_alg(imr))));
        json_object_object_add(j, "banks", a);
        print_json(j);
}

static void print_text_info(const cvm_imr *imr, const uint16_t *banks, size_t n) {
        printf("backend: %s%s\nreason: %s\nread: %s\nextend: %s\nspace: %s (%u registers)\ndefault algorithm: %s\nbanks:",
               sim_label(imr), cvm_backend_name(cvm_imr_backend(imr)), cvm_imr_reason(imr), cvm_imr_read_via(imr),
               cvm_imr_extend_via(imr), cvm_reg_space_name(cvm_imr_space(imr)), cvm_imr_count(imr),
               cvm_alg_name(cvm_imr_default_alg(imr)));
        for (size_t i = 0; i < n; i++)
                printf(" %s", cvm_alg_name(banks[i]));
        printf("\n");
}

int cmd_info(int argc, char **argv) {
        struct info_args a = { 0 };
        _cleanup_(imr_freep) cvm_imr *imr = NULL;
        const uint16_t *banks;
        size_t n;
        int r;

        if ((r = parse_and_open(&command, argc, argv, &a, &a.imr, &imr)) >= 0)
                return r;
        n = cvm_imr_banks(imr, &banks);
        if (a.json)
                print_json_info(imr, banks, n);
        else
                print_text_info(imr, banks, n);
        return EXIT_OK;
}
