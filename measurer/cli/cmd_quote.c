/* SPDX-License-Identifier: Apache-2.0 */
/* cvm-evidence quote: a TDX or TPM2 quote bound to a nonce and user data. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define BLOB_MAX 4096

static void help(FILE *f) {
        fprintf(f, "Usage: %s quote [OPTIONS]\n\n"
                   "Get a quote from the platform, bound to report data.  The report data is\n"
                   "SHA-512(nonce || user data), as in the CC Trusted API, or --report-data as is.\n"
                   "The quote is checked before it is printed: it must carry that report data,\n"
                   "and a TPM quote's PCR digest must match the PCR values printed with it.\n\n"
                   "  -n, --nonce HEX        verifier's nonce\n"
                   "  -u, --user-data HEX    data to bind (e.g. the hash of a public key)\n"
                   "  -r, --report-data HEX  raw report data (1-64 bytes), instead of the two above\n"
                   "  -p, --pcrs SPEC        tpm2: PCRs to quote, e.g. sha256:0,1,7+sha1:0-7 (default: all of the default bank)\n"
                   "  -k, --ak-handle H      tpm2: a persistent AK (default: an ECC P-256 primary of the endorsement hierarchy)\n"
                   "  -N, --tsm-name NAME    tdx: configfs-tsm report entry (default: a private one per call)\n"
                   "  -o, --out FILE         write the quote (TDX quote, or TPMS_ATTEST) to FILE; tpm2 also\n"
                   "                         FILE.sig (TPMT_SIGNATURE), FILE.pub (TPM2B_PUBLIC), FILE.pem\n"
                   "  -j, --json             the quote, its parts and its decoding as JSON\n"
                   IMR_OPTIONS_HELP "  -h, --help\n\n"
                   "tpm2_checkquote -u FILE.pub -m FILE -s FILE.sig -q REPORT_DATA -g sha256 verifies a TPM quote.\n"
                   "Exit codes: 0 ok, 1 usage, 2 failure (stale quote, concurrent writer, TPM error), 4 no device.\n",
                program_name);
}

static int parse_hex_arg(const char *opt, const char *arg, uint8_t **ret, size_t *ret_len) {
        size_t max = strlen(arg) / 2 + 1;
        uint8_t *buf = malloc(max);
        int n;

        if (!buf) {
                log_error("out of memory");
                return -1;
        }
        n = cvm_unhex(arg, buf, max);
        if (n < 0 || (size_t) n > BLOB_MAX) {
                log_error("%s: expected up to %d bytes of hex, got '%s'", opt, BLOB_MAX, arg);
                free(buf);
                return -1;
        }
        free(*ret);
        *ret = buf;
        *ret_len = (size_t) n;
        return 0;
}

/* "sha256:0,1,7+sha1:0-7"; "all" for 0-23. */
static int parse_pcrs(const char *arg, struct cvm_tpm2_pcr_selection *sel, size_t *n) {
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
        log_error("--pcrs: expected BANK:LIST[+BANK:LIST...] with PCRs 0-23 (e.g. sha256:0,1,7+sha1:0-7), got '%s'", arg);
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

int cmd_quote(int argc, char **argv) {
        static const struct option options[] = {
                { "nonce", required_argument, NULL, 'n' },
                { "user-data", required_argument, NULL, 'u' },
                { "report-data", required_argument, NULL, 'r' },
                { "pcrs", required_argument, NULL, 'p' },
                { "ak-handle", required_argument, NULL, 'k' },
                { "tsm-name", required_argument, NULL, 'N' },
                { "out", required_argument, NULL, 'o' },
                { "json", no_argument, NULL, 'j' },
                { "help", no_argument, NULL, 'h' },
                IMR_LONG_OPTIONS,
                {}
        };
        struct cvm_imr_options o = { 0 };
        struct cvm_report_request req = { 0 };
        struct cvm_tpm2_pcr_selection sel[CVM_TPM2_MAX_SELECTIONS];
        _cleanup_(imr_freep) cvm_imr *imr = NULL;
        _cleanup_(report_freep) struct cvm_report *rep = NULL;
        _cleanup_(freep) uint8_t *nonce = NULL, *user = NULL, *raw = NULL;
        const char *out = NULL;
        cvm_error err = { 0 };
        bool json = false;
        uint64_t handle;
        int c, r;

        optind = 0;
        while ((c = getopt_long(argc, argv, "n:u:r:p:k:N:o:jh", options, NULL)) >= 0) {
                if ((r = imr_option(c, optarg, &o)) < 0)
                        return EXIT_USAGE;
                if (r > 0)
                        continue;
                switch (c) {
                case 'n':
                        if (parse_hex_arg("--nonce", optarg, &nonce, &req.nonce_len) < 0)
                                return EXIT_USAGE;
                        break;
                case 'u':
                        if (parse_hex_arg("--user-data", optarg, &user, &req.user_data_len) < 0)
                                return EXIT_USAGE;
                        break;
                case 'r':
                        if (parse_hex_arg("--report-data", optarg, &raw, &req.report_data_len) < 0)
                                return EXIT_USAGE;
                        break;
                case 'p':
                        if (parse_pcrs(optarg, sel, &req.npcrs) < 0)
                                return EXIT_USAGE;
                        req.pcrs = sel;
                        break;
                case 'k':
                        if (cvm_parse_uint(optarg, SIZE_MAX, 16, UINT32_MAX, &handle) < 0) {
                                log_error("--ak-handle: expected a hex handle such as 0x81010002, got '%s'", optarg);
                                return EXIT_USAGE;
                        }
                        req.ak_handle = (uint32_t) handle;
                        break;
                case 'N':
                        req.tsm_name = optarg;
                        break;
                case 'o':
                        out = optarg;
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
                log_error("quote: unexpected argument '%s'", argv[optind]);
                return EXIT_USAGE;
        }
        if (raw && (nonce || user)) {
                log_error("quote: --report-data excludes --nonce and --user-data");
                return EXIT_USAGE;
        }
        req.nonce = nonce;
        req.user_data = user;
        req.report_data = raw;
        if ((r = open_imr(&o, &imr)) != EXIT_OK)
                return r;
        r = cvm_imr_report(imr, &req, &rep, &err);
        if (r < 0) {
                log_error("%s", err.msg);
                return r == -ENODEV ? EXIT_NO_DEVICE : r == -EINVAL ? EXIT_USAGE : EXIT_BAD_INPUT;
        }
        if (out && write_outputs(out, rep) < 0)
                return EXIT_BAD_INPUT;
        if (json) {
                _cleanup_(json_putp) struct json_object *j = cvm_report_to_json(rep);
                if (!j) {
                        log_error("out of memory");
                        return EXIT_BAD_INPUT;
                }
                print_json(j);
        } else
                print_text(imr, rep, out != NULL);
        if (out)
                fprintf(stderr, "%s: quote written to %s%s\n", program_name, out,
                        rep->type == CVM_QUOTE_TPM2 ? " (with .sig, .pub, .pem)" : "");
        return EXIT_OK;
}
