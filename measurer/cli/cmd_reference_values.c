/* SPDX-License-Identifier: Apache-2.0 */
/* cvm-evidence reference-values: a cvm-rewrite manifest's reference values for Trustee, Keylime or in-toto. */
#include <errno.h>

#include "cli.h"

struct refvalues_args {
        enum cvm_rv_format format;
        const char *subject;
};

static int opt_rv_format(const struct opt *o, const char *arg, void *field) {
        if (cvm_rv_format_from_name(arg, field) < 0) {
                log_error("--%s: unknown format '%s' (expected rvps, keylime or in-toto)", o->name, arg);
                return -EINVAL;
        }
        return 0;
}

static const struct opt options[] = {
        OPT_FN('f', "format", struct refvalues_args, format, "FMT", opt_rv_format,
               "rvps (Trustee RVPS sample message), keylime (mb_refstate and\ntpm_policy), in-toto (Statement v1)"),
        OPT_STR(0, "subject", struct refvalues_args, subject, "FILE",
                "in-toto: the output image to hash when the manifest has no digest"),
        OPT_END,
};

static const struct opt_command command = {
        .tool = &evidence_tool,
        .name = "reference-values",
        .usage = "--format FMT [--subject FILE] MANIFEST",
        .about = "Write a cvm-rewrite manifest's reference values as a verifier reads them, one\n"
                 "JSON document on stdout.  The manifest is checked as verify checks it.  Values\n"
                 "the manifest cannot give (firmware-owned registers, Authenticode digests) are\n"
                 "left out and named on stderr with where they come from.",
        .options = options,
        .exits = EXIT_BIT(EXIT_OK) | EXIT_BIT(EXIT_USAGE) | EXIT_BIT(EXIT_BAD_INPUT),
};

static int hash_subject(const char *path, struct cvm_rv_subject *s) {
        static const uint16_t alg = CVM_ALG_SHA256;
        uint8_t d[1][CVM_DIGEST_MAX];
        cvm_error err = { 0 };

        if (cvm_digest_file(path, &alg, 1, d, &err) < 0) {
                log_error("%s", err.msg);
                return EXIT_BAD_INPUT;
        }
        s->name = path;
        cvm_hex(d[0], 32, s->sha256);
        return EXIT_OK;
}

int cmd_reference_values(int argc, char **argv) {
        struct refvalues_args a = { 0 };
        _cleanup_(json_putp) struct json_object *o = NULL;
        struct cvm_rv_subject subject;
        cvm_error err = { 0 };
        int ind, r;

        if ((r = parse_command(&command, argc, argv, &a, &ind)) >= 0)
                return r;
        if (a.format == CVM_RV_NONE || ind + 1 != argc) {
                log_error("reference-values: expected --format FMT and exactly one MANIFEST");
                return EXIT_USAGE;
        }
        if (a.subject && (r = hash_subject(a.subject, &subject)) != EXIT_OK)
                return r;
        if (cvm_reference_export_file(argv[ind], a.format, a.subject ? &subject : NULL, stderr, &o, &err) < 0) {
                log_error("%s", err.msg);
                return EXIT_BAD_INPUT;
        }
        print_json(o);
        return EXIT_OK;
}
