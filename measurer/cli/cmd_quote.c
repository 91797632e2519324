/* SPDX-License-Identifier: Apache-2.0 */
/* cvm-evidence quote: a TDX or TPM2 quote bound to a nonce and user data. */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define BLOB_MAX 4096

/* A --nonce, --user-data or --report-data argument, decoded. */
struct blob {
        uint8_t *buf;
        size_t len;
};

struct pcr_list {
        struct cvm_tpm2_pcr_selection sel[CVM_TPM2_MAX_SELECTIONS];
        size_t n;
};

struct quote_args {
        struct cvm_imr_options imr;
        struct blob nonce, user, raw;
        struct pcr_list pcrs;
        uint32_t ak_handle;
        const char *tsm_name, *out;
        bool json;
};

static int opt_blob(const struct opt *o, const char *arg, void *field);
static int opt_pcrs(const struct opt *o, const char *arg, void *field);
static int opt_handle(const struct opt *o, const char *arg, void *field);

static const struct opt options[] = {
        OPT_FN(0, "nonce", struct quote_args, nonce, "HEX", opt_blob, "verifier's nonce"),
        OPT_FN('u', "user-data", struct quote_args, user, "HEX", opt_blob, "data to bind (e.g. the hash of a public key)"),
        OPT_FN(0, "report-data", struct quote_args, raw, "HEX", opt_blob, "raw report data (1-64 bytes), instead of the two above"),
        OPT_FN(0, "pcrs", struct quote_args, pcrs, "SPEC", opt_pcrs,
               "tpm2: PCRs to quote, e.g. sha256:0,1,7+sha1:0-7\n(default: all of the default bank)"),
        OPT_FN('k', "ak-handle", struct quote_args, ak_handle, "H", opt_handle,
               "tpm2: a persistent AK (default: an ECC P-256 primary\nof the endorsement hierarchy)"),
        OPT_STR('N', "tsm-name", struct quote_args, tsm_name, "NAME", "tdx: configfs-tsm report entry (default: a private one per call)"),
        OPT_OUTPUT_OUT(struct quote_args, out, "FILE",
                       "write the quote (TDX quote, or TPMS_ATTEST) to FILE; tpm2 also\n"
                       "FILE.sig (TPMT_SIGNATURE), FILE.pub (TPM2B_PUBLIC), FILE.pem"),
        OPT_JSON(struct quote_args, json, "the quote, its parts and its decoding as JSON"),
        OPT_SUB(struct quote_args, imr, live_backend_options),
        OPT_END,
};

static const struct opt_command command = {
        .tool = &evidence_tool,
        .name = "quote",
        .usage = "[OPTIONS]",
        .about = "Get a quote from the platform, bound to report data.  The report data is\n"
                 "SHA-512(nonce || user data), as in the CC Trusted API, or --report-data as is.\n"
                 "The quote is checked before it is printed: it must carry that report data,\n"
                 "and a TPM quote's PCR digest must match the PCR values printed with it.",
        .options = options,
        .notes = "tpm2_checkquote -u FILE.pub -m FILE -s FILE.sig -q REPORT_DATA -g sha256 verifies a TPM quote.\n"
                 "Exit 2 is a failure: a stale quote, a concurrent writer, a TPM error.",
        .exits = EXIT_BIT(EXIT_OK) | EXIT_BIT(EXIT_USAGE) | EXIT_BIT(EXIT_BAD_INPUT) | EXIT_BIT(EXIT_NO_DEVICE),
};

static int opt_handle(const struct opt *o, const char *arg, void *field) {
        uint64_t handle;

        if (cvm_parse_uint(arg, SIZE_MAX, 16, UINT32_MAX, &handle) < 0) {
                log_error("--%s: expected a hex handle such as 0x81010002, got '%s'", o->name, arg);
                return -1;
        }
        *(uint32_t *) field = (uint32_t) handle;
        return 0;
}

static int opt_blob(const struct opt *o, const char *arg, void *field) {
        struct blob *b = field;
        size_t max = strlen(arg) / 2 + 1;
        uint8_t *buf = malloc(max);
        int n;

        if (!buf) {
                log_error("out of memory");
                return -1;
        }
        n = cvm_unhex(arg, buf, max);
        if (n < 0 || (size_t) n > BLOB_MAX) {
                log_error("--%s: expected up to %d bytes of hex, got '%s'", o->name, BLOB_MAX, arg);
                free(buf);
                return -1;
        }
        free(b->buf);
        b->buf = buf;
        b->len = (size_t) n;
        return 0;
}

/* "sha256:0,1,7+sha1:0-7"; "all" for 0-23. */
static int opt_pcrs(const struct opt *o, const char *arg, void *field) {
        struct pcr_list *l = field;
        struct cvm_tpm2_pcr_selection *sel = l->sel;
        size_t *n = &l->n;
        _cleanup_(freep) char *copy = strdup(arg);
        char *bank, *save = NULL;

        *n = 0;
        if (!copy)
                return -1;
        for (bank = strtok_r(copy, "+", &save); bank; bank = strtok_r(NULL, "+", &save)) {
                char *colon = strchr(bank, ':'), *item, *save2 = NULL;
                struct cvm_tpm2_pcr_selection *s = &sel[*n];

                if (*n == CVM_TPM2_MAX_SELECTIONS || !colon)
                        goto bad;
                *colon = '\0';
                memset(s, 0, sizeof(*s));
                if (cvm_alg_from_name(bank, &s->alg) < 0 || cvm_alg_size(s->alg) <= 0)
                        goto bad;
                s->size = 3;
                for (item = strtok_r(colon + 1, ",", &save2); item; item = strtok_r(NULL, ",", &save2)) {
                        uint64_t lo, hi;
                        char *dash = strchr(item, '-');
                        if (strcmp(item, "all") == 0) {
                                lo = 0;
                                hi = 23;
                        } else if (cvm_parse_uint(item, dash ? (size_t) (dash - item) : SIZE_MAX, 10, 23, &lo) < 0 ||
                                   cvm_parse_uint(dash ? dash + 1 : item, SIZE_MAX, 10, 23, &hi) < 0 || lo > hi)
                                goto bad;
                        for (uint64_t i = lo; i <= hi; i++)
                                s->select[i / 8] |= (uint8_t) (1u << (i % 8));
                }
                (*n)++;
        }
        if (*n)
                return 0;
bad:
        log_error("--%s: expected BANK:LIST[+BANK:LIST...] with PCRs 0-23 (e.g. sha256:0,1,7+sha1:0-7), got '%s'", o->name, arg);
        return -1;
}

static int write_outputs(const char *path, const struct cvm_report *rep) {
        const struct {
                const char *suffix;
                const void *buf;
                size_t len;
        } parts[] = {
                { "", rep->quote, rep->quote_len },
                { ".sig", rep->signature, rep->signature_len },
                { ".pub", rep->ak_public, rep->ak_public_len },
                { ".pem", rep->ak_pem, rep->ak_pem ? strlen(rep->ak_pem) : 0 },
        };
        size_t nparts = rep->type == CVM_QUOTE_TPM2 ? 4 : 1;

        assert(path && rep->quote);
        for (size_t i = 0; i < nparts; i++) {
                _cleanup_(freep) char *p = NULL;
                cvm_error err = { .code = ENOMEM, .msg = "out of memory" };
                if (asprintf(&p, "%s%s", path, parts[i].suffix) < 0 ||
                    write_file_atomic(p, parts[i].buf, parts[i].len, 0644, "cvm-evidence", &err) < 0) {
                        log_error("%s", err.msg);
                        return -1;
                }
        }
        return 0;
}

static void print_text(const cvm_imr *imr, const struct cvm_report *rep, bool written) {
        char name[CVM_REG_NAME_MAX];
        _cleanup_(freep) char *rd = cvm_hex_alloc(rep->report_data, rep->report_data_len);

        printf("%stype: %s\n", sim_label(imr), cvm_quote_type_name(rep->type));
        printf("source: %s\n", rep->source);
        printf("report_data: %s\n", rd ? rd : "");
        for (size_t i = 0; i < rep->npcrs; i++) {
                _cleanup_(freep) char *h = cvm_hex_alloc(rep->pcrs[i].digest, rep->pcrs[i].size);
                printf("%s %s: %s\n", cvm_alg_name(rep->pcrs[i].alg), cvm_register_name(CVM_SPACE_PCR, rep->pcrs[i].index, name),
                       h ? h : "");
        }
        if (!written) {
                _cleanup_(freep) char *q = cvm_hex_alloc(rep->quote, rep->quote_len);
                printf("quote: %s\n", q ? q : "");
                if (rep->type == CVM_QUOTE_TPM2) {
                        _cleanup_(freep) char *s = cvm_hex_alloc(rep->signature, rep->signature_len);
                        _cleanup_(freep) char *k = cvm_hex_alloc(rep->ak_public, rep->ak_public_len);
                        printf("signature: %s\nak_public: %s\n", s ? s : "", k ? k : "");
                }
        }
}

static void quote_args_clear(struct quote_args *a) {
        free(a->nonce.buf);
        free(a->user.buf);
        free(a->raw.buf);
}

/* The report through the backend; the exit code of a failure, after printing it. */
static int get_report(const struct quote_args *a, cvm_imr *imr, struct cvm_report **ret) {
        struct cvm_report_request req = {
                .nonce = a->nonce.buf, .nonce_len = a->nonce.len, .user_data = a->user.buf, .user_data_len = a->user.len,
                .report_data = a->raw.buf, .report_data_len = a->raw.len, .pcrs = a->pcrs.n ? a->pcrs.sel : NULL,
                .npcrs = a->pcrs.n, .ak_handle = a->ak_handle, .tsm_name = a->tsm_name,
        };
        cvm_error err = { 0 };
        int r = cvm_imr_report(imr, &req, ret, &err);

        if (r < 0) {
                log_error("%s", err.msg);
                return r == -ENODEV ? EXIT_NO_DEVICE : r == -EINVAL ? EXIT_USAGE : EXIT_BAD_INPUT;
        }
        return EXIT_OK;
}

int cmd_quote(int argc, char **argv) {
        _cleanup_(quote_args_clear) struct quote_args a = { 0 };
        _cleanup_(imr_freep) cvm_imr *imr = NULL;
        _cleanup_(report_freep) struct cvm_report *rep = NULL;
        int r;

        if ((r = parse_no_operands(&command, argc, argv, &a)) >= 0)
                return r;
        if (a.raw.buf && (a.nonce.buf || a.user.buf)) {
                log_error("quote: --report-data excludes --nonce and --user-data");
                return EXIT_USAGE;
        }
        if ((r = open_imr(&a.imr, &imr)) != EXIT_OK || (r = get_report(&a, imr, &rep)) != EXIT_OK)
                return r;
        if (a.out && write_outputs(a.out, rep) < 0)
                return EXIT_BAD_INPUT;
        if (a.json) {
                _cleanup_(json_putp) struct json_object *j = cvm_report_to_json(rep);
                if (!j) {
                        log_error("out of memory");
                        return EXIT_BAD_INPUT;
                }
                print_json(j);
        } else
                print_text(imr, rep, a.out != NULL);
        if (a.out)
                fprintf(stderr, "%s: quote written to %s%s\n", log_program_name(), a.out,
                        rep->type == CVM_QUOTE_TPM2 ? " (with .sig, .pub, .pem)" : "");
        return EXIT_OK;
}
