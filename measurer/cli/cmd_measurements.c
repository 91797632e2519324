/* SPDX-License-Identifier: Apache-2.0 */
/* cvm-evidence measurements: the live register values. */
#include <assert.h>
#include <string.h>

#include "cli.h"

struct measurements_args {
        struct cvm_imr_options imr;
        size_t index;
        uint16_t alg;
        bool json;
};

static const struct opt options[] = {
        OPT_FN('i', "index", struct measurements_args, index, "N", opt_size,
               "one register (PCR index, or CC MR index: 0 = MRTD, 1-4 = RTMR0-3)"),
        OPT_FN('a', "alg", struct measurements_args, alg, "ALG", opt_alg, "one bank"),
        OPT_JSON(struct measurements_args, json, "{backend, simulated, registers: [{index, name, alg, digest}]}"),
        OPT_SUB(struct measurements_args, imr, live_backend_options),
        OPT_END,
};

static const struct opt_command command = {
        .tool = &evidence_tool,
        .name = "measurements",
        .usage = "[OPTIONS]",
        .about = "Read the live registers (PCRs on TPM, MRTD and RTMR0-3 on TDX), every\n"
                 "active bank unless --alg narrows it.",
        .options = options,
        .notes = "Exit 2 is a read error.",
        .exits = EXIT_BIT(EXIT_OK) | EXIT_BIT(EXIT_USAGE) | EXIT_BIT(EXIT_BAD_INPUT) | EXIT_BIT(EXIT_NO_DEVICE),
};

/* Does the register (index i, bank alg) pass the --index and --alg filters? */
static bool wanted(const struct measurements_args *a, uint32_t i, uint16_t alg) {
        return (a->index == SIZE_MAX || i == a->index) && (!a->alg || alg == a->alg);
}

/* Bank b's selected registers into bank (CVM_PCR_MAX digests): the whole bank in one read where it can. */
static int read_bank(const struct measurements_args *a, cvm_imr *imr, uint16_t alg, uint8_t *bank) {
        size_t size = (size_t) cvm_alg_size(alg);
        cvm_error err = { 0 };
        int r;

        assert(a->index == SIZE_MAX || a->index < CVM_PCR_MAX);
        r = a->index == SIZE_MAX ? cvm_imr_read_bank(imr, alg, bank, &err)
                                 : cvm_imr_read(imr, (uint32_t) a->index, alg, bank + a->index * size, &err);

        if (r < 0) {
                log_error("%s", err.msg);
                return EXIT_BAD_INPUT;
        }
        return EXIT_OK;
}

/* The registers the filters select, in register order then bank order, into v (count * banks entries). */
static int read_registers(const struct measurements_args *a, cvm_imr *imr, struct cvm_register_value *v, size_t *ret_n) {
        const uint16_t *banks;
        size_t nbanks = cvm_imr_banks(imr, &banks), n = 0;
        _cleanup_(freep) uint8_t *all = calloc(nbanks, CVM_PCR_MAX * CVM_DIGEST_MAX);
        int r;

        if (!all) {
                log_error("out of memory");
                return EXIT_BAD_INPUT;
        }
        for (size_t b = 0; b < nbanks; b++)
                if ((!a->alg || banks[b] == a->alg) &&
                    (r = read_bank(a, imr, banks[b], all + b * CVM_PCR_MAX * CVM_DIGEST_MAX)) != EXIT_OK)
                        return r;
        for (uint32_t i = 0; i < cvm_imr_count(imr); i++)
                for (size_t b = 0; b < nbanks; b++) {
                        if (!wanted(a, i, banks[b]))
                                continue;
                        v[n] = (struct cvm_register_value) { .space = cvm_imr_space(imr), .index = i, .alg = banks[b],
                                                             .size = (uint16_t) cvm_alg_size(banks[b]) };
                        memcpy(v[n].digest, all + b * CVM_PCR_MAX * CVM_DIGEST_MAX + i * v[n].size, v[n].size);
                        n++;
                }
        *ret_n = n;
        return EXIT_OK;
}

static void print_registers(const cvm_imr *imr, const struct cvm_register_value *v, size_t n, bool json) {
        if (json) {
                _cleanup_(json_putp) struct json_object *j = json_object_new_object();
                struct json_object *regs = json_object_new_array();
                for (size_t i = 0; i < n; i++)
                        json_object_array_add(regs, cvm_register_to_json(&v[i]));
                json_object_object_add(j, "backend", json_object_new_string(cvm_backend_name(cvm_imr_backend(imr))));
                json_object_object_add(j, "simulated", json_object_new_boolean(cvm_imr_simulated(imr)));
                json_object_object_add(j, "registers", regs);
                print_json(j);
                return;
        }
        for (size_t i = 0; i < n; i++) {
                char name[CVM_REG_NAME_MAX], hex[2 * CVM_DIGEST_MAX + 1];
                printf("%s%-6s %-7s %s\n", sim_label(imr), cvm_register_name(v[i].space, v[i].index, name),
                       cvm_alg_name(v[i].alg), cvm_hex(v[i].digest, v[i].size, hex));
        }
}

int cmd_measurements(int argc, char **argv) {
        struct measurements_args a = { .index = SIZE_MAX };
        _cleanup_(imr_freep) cvm_imr *imr = NULL;
        _cleanup_(freep) struct cvm_register_value *regs = NULL;
        const uint16_t *banks;
        size_t n;
        int r;

        if ((r = parse_and_open(&command, argc, argv, &a, &a.imr, &imr)) >= 0)
                return r;
        if (a.index != SIZE_MAX && a.index >= cvm_imr_count(imr)) {
                log_error("--index %zu: this %s backend has registers 0 to %u", a.index,
                          cvm_backend_name(cvm_imr_backend(imr)), cvm_imr_count(imr) - 1);
                return EXIT_USAGE;
        }
        regs = calloc((size_t) cvm_imr_count(imr) * cvm_imr_banks(imr, &banks), sizeof(*regs));
        if (!regs) {
                log_error("out of memory");
                return EXIT_BAD_INPUT;
        }
        if ((r = read_registers(&a, imr, regs, &n)) != EXIT_OK)
                return r;
        if (a.alg && n == 0) {
                log_error("--alg %s: not an active bank of this backend", cvm_alg_name(a.alg));
                return EXIT_USAGE;
        }
        print_registers(imr, regs, n, a.json);
        return EXIT_OK;
}
