/* SPDX-License-Identifier: Apache-2.0 */
/* cvm-evidence cc-map: a TCG2 (PCR) log under the UEFI CC measurement mapping for TDX, and the RTMRs it gives. */
#include <errno.h>
#include <stdlib.h>

#include "cli.h"

struct ccmap_args {
        enum cvm_log_format format;
        enum cvm_cc_separator sep;
        const char *output;
        bool json;
};

static int opt_separator(const struct opt *o, const char *arg, void *field) {
        if (cvm_cc_separator_from_name(arg, field) < 0) {
                log_error("--%s: '%s': expected rtmr1 or rtmr0", o->name, arg);
                return -EINVAL;
        }
        return 0;
}

static const struct opt options[] = {
        OPT_FN('f', "format", struct ccmap_args, format, "FMT", opt_log_format, "auto (default), tcg2, cel-json"),
        OPT_FN(0, "separator", struct ccmap_args, sep, "RTMR", opt_separator,
               "where the firmware's one ReadyToBoot separator goes: rtmr1\n(edk2-stable202411 and later, the default) or rtmr0 (earlier TDVF)"),
        OPT_OUTPUT(struct ccmap_args, output, "FILE", "also write the mapped log (CCEL records, SHA-384; a new file)"),
        OPT_JSON(struct ccmap_args, json, "{log, left_out, events[], registers[]}"),
        OPT_END,
};

static const struct opt_command command = {
        .tool = &evidence_tool,
        .name = "cc-map",
        .usage = "[--separator rtmr1|rtmr0] [--output FILE] [--json] LOG",
        .about = "Map a TCG2 event log (PCR indices, a SHA-384 bank) into the TDX registers as\n"
                 "the firmware's EFI_CC_MEASUREMENT_PROTOCOL does (PCR1,7 -> RTMR0, PCR2-6 ->\n"
                 "RTMR1, PCR8-15 -> RTMR2) and print the RTMRs its replay gives.",
        .options = options,
        .notes = "PCR0 events are left out (on TDX the firmware is in MRTD) and counted, and\n"
                 "PCR0-6's ReadyToBoot separators become the one TDVF measures.  RTMR0 from a\n"
                 "TPM log is not TDVF's (TDVF also measures its HOB, CFV and ACPI tables).\n"
                 "A PCR above 15, or an event without a SHA-384 digest, is bad input (2).",
        .exits = EXIT_BIT(EXIT_OK) | EXIT_BIT(EXIT_USAGE) | EXIT_BIT(EXIT_BAD_INPUT),
};

static void print_result(const char *path, size_t skipped, const cvm_eventlog *cc, const cvm_replay *rp, bool json) {
        _cleanup_(json_putp) struct json_object *regs = cvm_replay_registers_to_json(rp);

        if (json) {
                _cleanup_(json_putp) struct json_object *o = json_object_new_object();
                json_object_object_add(o, "log", json_object_new_string(path));
                json_object_object_add(o, "left_out", json_object_new_uint64(skipped));
                json_object_object_add(o, "events", cvm_eventlog_to_json(cc, 0, 0));
                json_object_object_add(o, "registers", json_object_get(regs));
                print_json(o);
                return;
        }
        printf("%s: %zu events mapped, %zu left out (PCR0: MRTD; the ReadyToBoot separators TDVF does not measure)\n", path, cvm_eventlog_count(cc), skipped);
        for (size_t i = 0; i < json_object_array_length(regs); i++) {
                struct json_object *r = json_object_array_get_idx(regs, i);
                printf("%s: %s\n", json_object_get_string(json_object_object_get(r, "name")),
                       json_object_get_string(json_object_object_get(r, "digest")));
        }
}

int cmd_cc_map(int argc, char **argv) {
        struct ccmap_args a = { 0 };
        _cleanup_(eventlog_freep) cvm_eventlog *log = NULL, *cc = NULL;
        _cleanup_(replay_freep) cvm_replay *rp = NULL;
        cvm_error err = { 0 };
        size_t skipped = 0;
        int ind, r;

        if ((r = parse_command(&command, argc, argv, &a, &ind)) >= 0)
                return r;
        if (ind + 1 != argc) {
                log_error("cc-map: expected exactly one LOG");
                return EXIT_USAGE;
        }
        if ((r = load_log(argv[ind], a.format, &log)) != EXIT_OK)
                return r;
        if (cvm_eventlog_map_cc(log, a.sep, &cc, &skipped, &err) < 0 || cvm_replay_new(NULL, 0, &rp, &err) < 0 ||
            cvm_replay_add_log(rp, cc, &err) < 0) {
                log_error("%s: %s", argv[ind], err.msg);
                return EXIT_BAD_INPUT;
        }
        if (a.output && (r = save_log(cc, a.output)) != EXIT_OK)
                return r;
        print_result(argv[ind], skipped, cc, rp, a.json);
        return EXIT_OK;
}
