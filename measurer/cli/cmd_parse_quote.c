/* SPDX-License-Identifier: Apache-2.0 */
/* cvm-evidence parse-quote: decode a TDREPORT, a TDX quote (v4/v5) or a TPM2 quote. */
#include "cli.h"

struct parse_quote_args {
        bool json;
};

static const struct opt options[] = {
        OPT_JSON(struct parse_quote_args, json, "one JSON object: type, version, mrtd, rtmr[4], report_data, ..."),
        OPT_END,
};

static const struct opt_command command = {
        .tool = &evidence_tool,
        .name = "parse-quote",
        .usage = "[--json] FILE",
        .about = "Decode a TDX TDREPORT (1024 bytes), a TDX DCAP quote v4/v5, or a TPM2 quote\n"
                 "(TPMS_ATTEST or TPM2B_ATTEST); the type is detected.  Signatures are not\n"
                 "verified here.",
        .options = options,
        .exits = EXIT_BIT(EXIT_OK) | EXIT_BIT(EXIT_USAGE) | EXIT_BIT(EXIT_BAD_INPUT),
};

int cmd_parse_quote(int argc, char **argv) {
        struct parse_quote_args a = { 0 };
        _cleanup_(quote_freep) struct cvm_quote *q = NULL;
        _cleanup_(json_putp) struct json_object *o = NULL;
        cvm_error err = { 0 };
        int ind, r;

        if ((r = parse_command(&command, argc, argv, &a, &ind)) >= 0)
                return r;
        if (ind + 1 != argc) {
                log_error("parse-quote: expected exactly one FILE");
                return EXIT_USAGE;
        }
        if (cvm_quote_load(argv[ind], &q, &err) < 0) {
                log_error("%s", err.msg);
                return EXIT_BAD_INPUT;
        }
        if (q->type == CVM_QUOTE_TDX && q->tdx.trailing)
                fprintf(stderr, "%s: %s: warning: %zu bytes after the quote's signature data\n", log_program_name(), argv[ind],
                        q->tdx.trailing);
        o = cvm_quote_to_json(q);
        if (!o) {
                log_error("out of memory");
                return EXIT_BAD_INPUT;
        }
        if (a.json)
                print_json(o);
        else
                print_object_text(o, 0);
        return EXIT_OK;
}
