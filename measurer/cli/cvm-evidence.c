/* SPDX-License-Identifier: Apache-2.0 */
/* cvm-evidence: read, replay and check confidential-VM evidence. */
#include <string.h>

#include "cli.h"

static const struct opt_exit exits[] = {
        { EXIT_OK, "ok", "success (and, where compared, a match)" },
        { EXIT_USAGE, "usage", "bad command line" },
        { EXIT_BAD_INPUT, "bad input", "unreadable or malformed input, a truncated or dirty log, a device error" },
        { EXIT_MISMATCH, "mismatch", "the evidence differs from the reference (replay, verify, recover)" },
        { EXIT_NO_DEVICE, "no device", "no measurement backend (TDX, TPM 2.0 or sim)" },
        {},
};

const struct opt_tool evidence_tool = {
        .name = "cvm-evidence",
        .version = "cvm-evidence " CVM_VERSION " (libcvm " CVM_VERSION ")",
        .exits = exits,
};

static const struct {
        const char *name;
        int (*run)(int argc, char **argv);
        const char *summary;
} commands[] = {
        { "eventlog", cmd_eventlog, "print the events of a log (TCG2, TCG 1.2, CCEL, IMA, CEL)" },
        { "replay", cmd_replay, "compute the registers a log produces; compare with a quote" },
        { "parse-quote", cmd_parse_quote, "decode a TDREPORT, TDX quote v4/v5 or TPM2 quote" },
        { "info", cmd_info, "the measurement backend (tdx, tpm2, sim) and why it was picked" },
        { "measurements", cmd_measurements, "read the live registers" },
        { "extend", cmd_extend, "extend a register and append the event to the runtime log" },
        { "recover", cmd_recover, "clear a dead writer's dirty marker if the log matches the registers" },
        { "quote", cmd_quote, "a TDX or TPM2 quote bound to a nonce and user data" },
        { "reference-values", cmd_reference_values, "a manifest's reference values for Trustee RVPS, Keylime or in-toto" },
        { "mrtd", cmd_mrtd, "the MRTD of a TDVF firmware image (TDX), with the VMM assumptions" },
        { "pcr7", cmd_pcr7, "the PCR7 events and value OVMF measures from a VARS image" },
        { "cc-map", cmd_cc_map, "map a TCG2 (PCR) log into the TDX RTMRs (UEFI CC mapping)" },
        { "pe-digest", cmd_pe_digest, "the Authenticode digest of EFI binaries (PCR4's boot applications)" },
        { "boot-chain", cmd_boot_chain, "compare a firmware event log with a manifest's boot chain prediction" },
        { "verify", cmd_verify, "check this boot (or a saved runtime log) against a cvm-rewrite manifest" },
};

static void help(FILE *f) {
        fprintf(f, "Usage: %s COMMAND [OPTIONS] [ARGS]\n"
                   "       %s -h|--help | -V|--version\n\n"
                   "Read, replay and check confidential-VM evidence (Intel TDX and TPM 2.0).\n\nCommands:\n",
                log_program_name(), log_program_name());
        for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
                fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].summary);
        fprintf(f, "\n'%s COMMAND --help' describes a command.\n\n", log_program_name());
        opt_print_exits(&evidence_tool, 0, f);
}

int main(int argc, char **argv) {
        log_set_program_name(evidence_tool.name);
        if (argc < 2) {
                help(stderr);
                return EXIT_USAGE;
        }
        if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
                help(stdout);
                return EXIT_OK;
        }
        if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
                puts(evidence_tool.version);
                return EXIT_OK;
        }
        for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
                if (strcmp(argv[1], commands[i].name) == 0)
                        return commands[i].run(argc - 1, argv + 1);
        log_error("unknown command '%s'; see '%s --help'", argv[1], log_program_name());
        return EXIT_USAGE;
}
