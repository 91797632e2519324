/* SPDX-License-Identifier: Apache-2.0 */
/* cvm-evidence info: which backend answers, why, and what it has. */
#include <getopt.h>

#include "cli.h"

static void help(FILE *f) {
        fprintf(f, "Usage: %s info [OPTIONS]\n\n"
                   "Report the measurement backend picked and why, how it reads and extends\n"
                   "(tdx: read sysfs|tdreport, extend sysfs|ioctl|none), its register space,\n"
                   "banks and default algorithm.\n\n"
                   "  -j, --json\n" IMR_OPTIONS_HELP "  -h, --help\n\n"
                   "Exit codes: 0 ok, 1 usage, 2 bad input, 4 no device.\n", program_name);
}

int cmd_info(int argc, char **argv) {
        static const struct option options[] = {
                { "json", no_argument, NULL, 'j' },
                { "help", no_argument, NULL, 'h' },
                IMR_LONG_OPTIONS,
                {}
        };
        struct cvm_imr_options o = { 0 };
        _cleanup_(imr_freep) cvm_imr *imr = NULL;
        const uint16_t *banks;
        bool json = false;
        size_t n;
        int c, r;

        optind = 0;
        while ((c = getopt_long(argc, argv, "jh", options, NULL)) >= 0) {
                if ((r = imr_option(c, optarg, &o)) < 0)
                        return EXIT_USAGE;
                if (r > 0)
                        continue;
                switch (c) {
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
                log_error("info: unexpected argument '%s'", argv[optind]);
                return EXIT_USAGE;
        }
        if ((r = open_imr(&o, &imr)) != EXIT_OK)
                return r;
        n = cvm_imr_banks(imr, &banks);
        if (json) {
                _cleanup_(json_putp) struct json_object *j = json_object_new_object(), *a = json_object_new_array();
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
                a = NULL;
                print_json(j);
        } else {
                printf("backend: %s%s\nreason: %s\nread: %s\nextend: %s\nspace: %s (%u registers)\ndefault algorithm: %s\nbanks:",
                       sim_label(imr), cvm_backend_name(cvm_imr_backend(imr)), cvm_imr_reason(imr), cvm_imr_read_via(imr),
                       cvm_imr_extend_via(imr),
                       cvm_reg_space_name(cvm_imr_space(imr)), cvm_imr_count(imr), cvm_alg_name(cvm_imr_default_alg(imr)));
                for (size_t i = 0; i < n; i++)
                        printf(" %s", cvm_alg_name(banks[i]));
                printf("\n");
        }
        return EXIT_OK;
}
