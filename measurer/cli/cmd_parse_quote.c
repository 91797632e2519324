/* SPDX-License-Identifier: Apache-2.0 */
/* cvm-evidence parse-quote: decode a TDREPORT, a TDX quote (v4/v5) or a TPM2 quote. */
#include <errno.h>
#include <getopt.h>

#include "cli.h"

static void help(FILE *f) {
        fprintf(f, "Usage: %s parse-quote [--json] [--verify-signature | --verify-key PEM] FILE\n\n"
                   "Decode a TDX TDREPORT (1024 bytes), a TDX DCAP quote v4/v5, or a TPM2 quote\n"
                   "(TPMS_ATTEST or TPM2B_ATTEST); the type is detected.  Signatures are not\n"
                   "verified here unless asked.\n\n"
                   "  -j, --json    one JSON object: type, version, mrtd, rtmr[4], report_data, ...\n"
                   "  -s, --verify-signature  TDX quote: check its ECDSA signature over header and\n"
                   "                body with the attestation key it carries (not DCAP: no QE\n"
                   "                report, PCK chain or collateral)\n"
                   "  -k, --verify-key PEM    the same, and the attestation key must be this one\n"
                   "  -h, --help\n\n"
                   "Exit codes: 0 ok, 1 usage, 2 bad input, 3 the signature or key does not match.\n", program_name);
}

int cmd_parse_quote(int argc, char **argv) {
        static const struct option options[] = {
                { "json", no_argument, NULL, 'j' },
                { "verify-signature", no_argument, NULL, 's' },
                { "verify-key", required_argument, NULL, 'k' },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        _cleanup_(quote_freep) struct cvm_quote *q = NULL;
        _cleanup_(json_putp) struct json_object *o = NULL;
        cvm_error err = { 0 };
        const char *key_pem = NULL;
        bool json = false, verify = false;
        int c;

        optind = 0;
        while ((c = getopt_long(argc, argv, "jsk:h", options, NULL)) >= 0)
                switch (c) {
                case 'j':
                        json = true;
                        break;
                case 'k':
                        key_pem = optarg;
                        verify = true;
                        break;
                case 's':
                        verify = true;
                        break;
                case 'h':
                        help(stdout);
                        return EXIT_OK;
                default:
                        help(stderr);
                        return EXIT_USAGE;
                }
        if (optind + 1 != argc) {
                log_error("parse-quote: expected exactly one FILE");
                return EXIT_USAGE;
        }
        if (cvm_quote_load(argv[optind], &q, &err) < 0) {
                log_error("%s", err.msg);
                return EXIT_BAD_INPUT;
        }
        if (q->type == CVM_QUOTE_TDX && q->tdx.trailing)
                fprintf(stderr, "%s: %s: warning: %zu bytes after the quote's signature data\n",
                        program_name, argv[optind], q->tdx.trailing);
        if (verify && cvm_tdx_quote_verify_signature(q, key_pem, &err) < 0) {
                log_error("%s: %s", argv[optind], err.msg);
                return err.code == EBADMSG || err.code == EKEYREJECTED ? EXIT_MISMATCH : EXIT_BAD_INPUT;
        }
        o = cvm_quote_to_json(q);
        if (!o) {
                log_error("out of memory");
                return EXIT_BAD_INPUT;
        }
        if (json)
                print_json(o);
        else
                print_object_text(o, 0);
        return EXIT_OK;
}
