/* SPDX-License-Identifier: Apache-2.0 */
/* cvm-evidence pcr7: the PCR7 events OVMF measures from a VARS image, and the PCR7 they produce. */
#include <stdlib.h>

#include "cli.h"

struct pcr7_args {
        const char *vars, *output;
        bool json;
};

static const struct opt options[] = {
        OPT_STR(0, "firmware-vars", struct pcr7_args, vars, "FILE", "the OVMF VARS image the guest boots with"),
        OPT_OUTPUT(struct pcr7_args, output, "FILE", "also write the events as a TCG2 log (a new file)"),
        OPT_JSON(struct pcr7_args, json, "{firmware_vars, secure_boot, events[], registers[]}"),
        OPT_END,
};

static const struct opt_command command = {
        .tool = &evidence_tool,
        .name = "pcr7",
        .usage = "--firmware-vars FILE [--output LOG] [--json]",
        .about = "Predict PCR7 from an OVMF VARS image: the EV_EFI_VARIABLE_DRIVER_CONFIG events\n"
                 "OVMF measures (SecureBoot, PK, KEK, db, dbx, and dbt when present) and the\n"
                 "separator, in the SHA-1, SHA-256, SHA-384 and SHA-512 banks.",
        .options = options,
        .notes = "With Secure Boot on, the firmware adds EV_EFI_VARIABLE_AUTHORITY events for\n"
                 "the images it verifies; those are not in this prediction (a warning says so).",
        .exits = EXIT_BIT(EXIT_OK) | EXIT_BIT(EXIT_USAGE) | EXIT_BIT(EXIT_BAD_INPUT),
};

static void varstore_freep(cvm_efi_varstore **p) {
        cvm_efi_varstore_free(*p);
}

static int build_log(const cvm_efi_varstore *vs, cvm_eventlog **ret) {
        static const struct cvm_log_alg algs[] = {
                { CVM_ALG_SHA1, 20 }, { CVM_ALG_SHA256, 32 }, { CVM_ALG_SHA384, 48 }, { CVM_ALG_SHA512, 64 },
        };
        cvm_error err = { 0 };

        if (cvm_eventlog_new_tcg2(CVM_SPACE_PCR, algs, sizeof(algs) / sizeof(algs[0]), ret, &err) < 0 ||
            cvm_efi_pcr7_events(vs, *ret, &err) < 0) {
                log_error("%s", err.msg);
                return EXIT_BAD_INPUT;
        }
        return EXIT_OK;
}

static void print_result(const char *path, bool sb, const cvm_eventlog *log, const cvm_replay *rp, bool json) {
        _cleanup_(json_putp) struct json_object *regs = cvm_replay_registers_to_json(rp);

        if (json) {
                _cleanup_(json_putp) struct json_object *o = json_object_new_object();
                json_object_object_add(o, "firmware_vars", json_object_new_string(path));
                json_object_object_add(o, "secure_boot", json_object_new_boolean(sb));
                json_object_object_add(o, "events", cvm_eventlog_to_json(log, 0, 0));
                json_object_object_add(o, "registers", json_object_get(regs));
                print_json(o);
                return;
        }
        printf("firmware vars: %s (Secure Boot %s)\n", path, sb ? "on" : "off");
        for (size_t i = 0; i < cvm_eventlog_count(log); i++) {
                const struct cvm_event *ev = cvm_eventlog_event(log, i);
                printf("event %zu: PCR7 %s, %zu bytes\n", i, cvm_event_type_name(ev->type), ev->data_len);
        }
        for (size_t i = 0; i < json_object_array_length(regs); i++) {
                struct json_object *r = json_object_array_get_idx(regs, i);
                printf("PCR7 %s: %s\n", json_object_get_string(json_object_object_get(r, "alg")),
                       json_object_get_string(json_object_object_get(r, "digest")));
        }
}

int cmd_pcr7(int argc, char **argv) {
        struct pcr7_args a = { 0 };
        _cleanup_(varstore_freep) cvm_efi_varstore *vs = NULL;
        _cleanup_(eventlog_freep) cvm_eventlog *log = NULL;
        _cleanup_(replay_freep) cvm_replay *rp = NULL;
        cvm_error err = { 0 };
        bool sb;
        int r;

        if ((r = parse_no_operands(&command, argc, argv, &a)) >= 0)
                return r;
        if (!a.vars) {
                log_error("pcr7: expected --firmware-vars FILE");
                return EXIT_USAGE;
        }
        if (cvm_efi_varstore_load(a.vars, &vs, &err) < 0) {
                log_error("%s", err.msg);
                return EXIT_BAD_INPUT;
        }
        if ((r = build_log(vs, &log)) != EXIT_OK)
                return r;
        if (cvm_replay_new(NULL, 0, &rp, &err) < 0 || cvm_replay_add_log(rp, log, &err) < 0) {
                log_error("%s", err.msg);
                return EXIT_BAD_INPUT;
        }
        sb = cvm_efi_varstore_secure_boot(vs);
        if (sb)
                log_warning("%s: Secure Boot is on: the firmware adds EV_EFI_VARIABLE_AUTHORITY events to PCR7 for "
                            "each image it verifies; this prediction has only the configuration events", a.vars);
        if (a.output && (r = save_log(log, a.output)) != EXIT_OK)
                return r;
        print_result(a.vars, sb, log, rp, a.json);
        return EXIT_OK;
}
