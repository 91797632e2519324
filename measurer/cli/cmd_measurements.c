/* SPDX-License-Identifier: Apache-2.0 */
/* cvm-evidence measurements: the live register values. */
#include <getopt.h>
#include <string.h>

#include "cli.h"

static void help(FILE *f) {
        fprintf(f, "Usage: %s measurements [OPTIONS]\n\n"
                   "Read the live registers (PCRs on TPM, MRTD and RTMR0-3 on TDX), every\n"
                   "active bank unless --alg narrows it.\n\n"
                   "  -i, --index N      one register (PCR index, or CC MR index: 0 = MRTD, 1-4 = RTMR0-3)\n"
                   "  -a, --alg ALG      one bank\n"
                   "  -j, --json         {backend, simulated, registers: [{index, name, alg, digest}]}\n"
                   IMR_OPTIONS_HELP "  -h, --help\n\n"
                   "Exit codes: 0 ok, 1 usage, 2 read error, 4 no device.\n", program_name);
}

int cmd_measurements(int argc, char **argv) {
        static const struct option options[] = {
                { "index", required_argument, NULL, 'i' },
                { "alg", required_argument, NULL, 'a' },
                { "json", no_argument, NULL, 'j' },
                { "help", no_argument, NULL, 'h' },
                IMR_LONG_OPTIONS,
                {}
        };
        struct cvm_imr_options o = { 0 };
        _cleanup_(imr_freep) cvm_imr *imr = NULL;
        _cleanup_(json_putp) struct json_object *regs = json_object_new_array();
        const uint16_t *banks;
        _cleanup_(freep) uint8_t *all = NULL;
        uint16_t alg = 0;
        size_t index = SIZE_MAX, nbanks;
        bool json = false;
        int c, r;

        optind = 0;
        while ((c = getopt_long(argc, argv, "i:a:jh", options, NULL)) >= 0) {
                if ((r = imr_option(c, optarg, &o)) < 0)
                        return EXIT_USAGE;
                if (r > 0)
                        continue;
                switch (c) {
                case 'i':
                        if (parse_size("--index", optarg, &index) < 0)
                                return EXIT_USAGE;
                        break;
                case 'a':
                        if (cvm_alg_from_name(optarg, &alg) < 0 || cvm_alg_size(alg) < 0) {
                                log_error("--alg: unknown algorithm '%s'", optarg);
                                return EXIT_USAGE;
                        }
                        break;
                case 'j':
                        json = true;
                        break;
                case 'h':
                        help(stdout);
                        return EXIT_OK;
                default:
                        help(stderr);
                        return EXIT_USAGE;
                }
        }
        if (optind != argc) {
                log_error("measurements: unexpected argument '%s'", argv[optind]);
                return EXIT_USAGE;
        }
        if ((r = open_imr(&o, &imr)) != EXIT_OK)
                return r;
        if (index != SIZE_MAX && index >= cvm_imr_count(imr)) {
                log_error("--index %zu: this %s backend has registers 0 to %u", index,
                          cvm_backend_name(cvm_imr_backend(imr)), cvm_imr_count(imr) - 1);
                return EXIT_USAGE;
        }
        nbanks = cvm_imr_banks(imr, &banks);
        all = calloc(nbanks, CVM_PCR_MAX * CVM_DIGEST_MAX);
        if (!all) {
                log_error("out of memory");
                return EXIT_BAD_INPUT;
        }
        for (size_t b = 0; b < nbanks; b++) {
                size_t size = (size_t) cvm_alg_size(banks[b]);
                uint8_t *bank = all + b * CVM_PCR_MAX * CVM_DIGEST_MAX;
                cvm_error err = { 0 };

                if (alg && banks[b] != alg)
                        continue;
                r = index == SIZE_MAX ? cvm_imr_read_bank(imr, banks[b], bank, &err)
                                      : cvm_imr_read(imr, (uint32_t) index, banks[b], bank + index * size, &err);
                if (r < 0) {
                        log_error("%s", err.msg);
                        return EXIT_BAD_INPUT;
                }
        }
        for (uint32_t i = 0; i < cvm_imr_count(imr); i++)
                for (size_t b = 0; b < nbanks; b++) {
                        struct cvm_register_value v = { .space = cvm_imr_space(imr), .index = i, .alg = banks[b] };
                        if ((index != SIZE_MAX && i != index) || (alg && banks[b] != alg))
                                continue;
                        v.size = (uint16_t) cvm_alg_size(banks[b]);
                        memcpy(v.digest, all + b * CVM_PCR_MAX * CVM_DIGEST_MAX + i * v.size, v.size);
                        json_object_array_add(regs, cvm_register_to_json(&v));
                }
        if (alg && json_object_array_length(regs) == 0) {
                log_error("--alg %s: not an active bank of this backend", cvm_alg_name(alg));
                return EXIT_USAGE;
        }
        if (json) {
                _cleanup_(json_putp) struct json_object *j = json_object_new_object();
                json_object_object_add(j, "backend", json_object_new_string(cvm_backend_name(cvm_imr_backend(imr))));
                json_object_object_add(j, "simulated", json_object_new_boolean(cvm_imr_simulated(imr)));
                json_object_object_add(j, "registers", json_object_get(regs));
                print_json(j);
        } else
                for (size_t i = 0; i < json_object_array_length(regs); i++) {
                        struct json_object *v = json_object_array_get_idx(regs, i);
                        printf("%s%-6s %-7s %s\n", sim_label(imr), json_object_get_string(json_object_object_get(v, "name")),
                               json_object_get_string(json_object_object_get(v, "alg")),
                               json_object_get_string(json_object_object_get(v, "digest")));
                }
        return EXIT_OK;
}
