/* SPDX-License-Identifier: Apache-2.0 */
/* cvm-evidence replay: the registers one or more logs of a boot produce, optionally checked against a quote. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define MAX_LOGS 16

static void help(FILE *f) {
        fprintf(f, "Usage: %s replay [OPTIONS] FILE...\n\n"
                   "Replay event logs (in the order given, as one boot) and print the register\n"
                   "values they produce.\n\n"
                   "  -f, --format FMT    auto (default), tcg2, tcg12, ccel, ima, ima-ascii, ima-binary, cel\n"
                   "  -b, --bank ALG      replay only this bank (repeatable); for IMA lists, also\n"
                   "                      banks the list does not record (computed from templates)\n"
                   "  -a, --against FILE  compare the replayed RTMRs with a TDX quote or TDREPORT\n"
                   "  -j, --json          one object: {format, events, registers[{index,name,alg,digest}]}\n"
                   "  -h, --help\n\n"
                   "Exit codes: 0 ok (and match), 1 usage, 2 bad input, 3 mismatch with --against.\n",
                program_name);
}

struct mismatch_report {
        struct json_object *json;
        bool match;
};

/* Compare CC MR 1..4 (RTMR0..3, SHA-384) with the quote; registers no event touched must be zero. */
static int compare_with_quote(const cvm_replay *r, const struct cvm_quote *q, const char *qpath,
                              bool json, struct mismatch_report *out) {
        const struct cvm_td_measurements *td = cvm_quote_td(q);
        char want[2 * CVM_TDX_MR_SIZE + 1], got[2 * CVM_TDX_MR_SIZE + 1];
        uint8_t zero[CVM_TDX_MR_SIZE] = { 0 };

        if (!td) {
                log_error("--against %s: a %s has no RTMRs; expected a TDX quote or TDREPORT", qpath,
                          cvm_quote_type_name(q->type));
                return EXIT_BAD_INPUT;
        }
        out->json = json_object_new_array();
        out->match = true;
        for (uint32_t i = 0; i < 4; i++) {
                const struct cvm_register_value *v = cvm_replay_find(r, (uint32_t) cvm_rtmr_to_ccmr(i), CVM_ALG_SHA384);
                const uint8_t *replayed = v ? v->digest : zero;
                bool ok = memcmp(replayed, td->rtmr[i], CVM_TDX_MR_SIZE) == 0;
                struct json_object *o = json_object_new_object();
                char name[8];

                snprintf(name, sizeof(name), "RTMR%u", i);
                cvm_hex(replayed, CVM_TDX_MR_SIZE, got);
                cvm_hex(td->rtmr[i], CVM_TDX_MR_SIZE, want);
                json_object_object_add(o, "name", json_object_new_string(name));
                json_object_object_add(o, "replayed", json_object_new_string(got));
                json_object_object_add(o, "quote", json_object_new_string(want));
                json_object_object_add(o, "match", json_object_new_boolean(ok));
                if (v && v->last)
                        json_object_object_add(o, "last_event", json_object_new_uint64(v->last->recnum));
                json_object_array_add(out->json, o);
                if (ok) {
                        if (!json)
                                printf("%s matches the quote\n", name);
                        continue;
                }
                out->match = false;
                fprintf(stderr, "%s: mismatch: %s replayed %s, quote has %s", program_name, name, got, want);
                if (v && v->last) {
                        const char *tn = cvm_event_type_name(v->last->type);
                        fprintf(stderr, "; last event extending it: #%llu %s at offset %zu\n",
                                (unsigned long long) v->last->recnum, tn ? tn : "(unknown type)", v->last->offset);
                } else
                        fprintf(stderr, "; no event in the log extends it\n");
        }
        return EXIT_OK;
}

int cmd_replay(int argc, char **argv) {
        static const struct option options[] = {
                { "format", required_argument, NULL, 'f' },
                { "bank", required_argument, NULL, 'b' },
                { "against", required_argument, NULL, 'a' },
                { "json", no_argument, NULL, 'j' },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        enum cvm_log_format fmt = CVM_LOG_AUTO;
        cvm_eventlog *logs[MAX_LOGS] = { 0 };
        _cleanup_(replay_freep) cvm_replay *r = NULL;
        _cleanup_(quote_freep) struct cvm_quote *q = NULL;
        uint16_t banks[16];
        size_t nbanks = 0, nlogs = 0;
        const char *against = NULL;
        struct mismatch_report cmp = { NULL, true };
        cvm_error err = { 0 };
        bool json = false, truncated = false;
        char formats[256] = "";
        int c, ret = EXIT_OK;

        optind = 0;
        while ((c = getopt_long(argc, argv, "f:b:a:jh", options, NULL)) >= 0)
                switch (c) {
                case 'f':
                        if (parse_format(optarg, &fmt) < 0)
                                return EXIT_USAGE;
                        break;
                case 'b':
                        if (nbanks == sizeof(banks) / sizeof(banks[0]) || cvm_alg_from_name(optarg, &banks[nbanks]) < 0 ||
                            cvm_alg_size(banks[nbanks]) < 0) {
                                log_error("--bank: unknown or too many algorithms at '%s' (expected sha1, sha256, sha384, sha512, sm3_256)", optarg);
                                return EXIT_USAGE;
                        }
                        nbanks++;
                        break;
                case 'a':
                        against = optarg;
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
        if (optind >= argc || argc - optind > MAX_LOGS) {
                log_error("replay: expected 1 to %d FILEs", MAX_LOGS);
                return EXIT_USAGE;
        }
        if (against && cvm_quote_load(against, &q, &err) < 0) {
                log_error("--against: %s", err.msg);
                return EXIT_BAD_INPUT;
        }
        if (cvm_replay_new(banks, nbanks, &r, &err) < 0) {
                log_error("%s", err.msg);
                return EXIT_USAGE;
        }
        for (int i = optind; i < argc; i++) {
                const char *name;
                ret = load_log(argv[i], fmt, &logs[nlogs]);
                if (ret != EXIT_OK)
                        goto out;
                nlogs++;
                truncated |= cvm_eventlog_truncated(logs[nlogs - 1]);
                if (cvm_replay_add_log(r, logs[nlogs - 1], &err) < 0) {
                        log_error("%s: %s", argv[i], err.msg);
                        ret = EXIT_BAD_INPUT;
                        goto out;
                }
                name = cvm_log_format_name(cvm_eventlog_format(logs[nlogs - 1]));
                if (!strstr(formats, name) && strlen(formats) + strlen(name) + 2 < sizeof(formats)) {
                        if (formats[0])
                                strcat(formats, "+");
                        strcat(formats, name);
                }
        }
        {
                const char *const *warnings;
                size_t n = cvm_replay_warnings(r, &warnings);
                for (size_t i = 0; i < n; i++)
                        fprintf(stderr, "%s: warning: %s\n", program_name, warnings[i]);
        }
        if (q) {
                ret = compare_with_quote(r, q, against, json, &cmp);
                if (ret != EXIT_OK)
                        goto out;
        }

        if (json) {
                _cleanup_(json_putp) struct json_object *o = json_object_new_object();
                json_object_object_add(o, "format", json_object_new_string(formats));
                json_object_object_add(o, "events", json_object_new_uint64(cvm_replay_events(r)));
                json_object_object_add(o, "registers", cvm_replay_registers_to_json(r));
                if (cmp.json) {
                        json_object_object_add(o, "against", cmp.json);
                        json_object_object_add(o, "match", json_object_new_boolean(cmp.match));
                        cmp.json = NULL;
                }
                print_json(o);
        } else {
                const struct cvm_register_value *regs;
                size_t n = cvm_replay_registers(r, &regs);
                printf("format: %s, %zu events extended\n", formats, cvm_replay_events(r));
                for (size_t i = 0; i < n; i++) {
                        _cleanup_(json_putp) struct json_object *o = cvm_register_to_json(&regs[i]);
                        printf("%-6s %-7s %s\n", json_object_get_string(json_object_object_get(o, "name")),
                               json_object_get_string(json_object_object_get(o, "alg")),
                               json_object_get_string(json_object_object_get(o, "digest")));
                }
        }
        if (!cmp.match)
                ret = EXIT_MISMATCH;
        else if (truncated)
                ret = EXIT_BAD_INPUT;
out:
        json_object_put(cmp.json);
        for (size_t i = 0; i < nlogs; i++)
                cvm_eventlog_free(logs[i]);
        return ret;
}
