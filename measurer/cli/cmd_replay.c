/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cvm-evidence replay: the registers one or more logs of a boot produce,
 * optionally checked against a quote or (--check) the live registers.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define MAX_LOGS 16

static void help(FILE *f) {
        fprintf(f, "Usage: %s replay [OPTIONS] FILE...\n"
                   "       %s replay --check [OPTIONS] [FILE...]\n\n"
                   "Replay event logs (in the order given, as one boot) and print the register\n"
                   "values they produce.  --check compares them with the live registers; without\n"
                   "FILE it replays the platform's logs (see 'eventlog').\n\n"
                   "  -f, --format FMT    auto (default), tcg2, tcg12, ccel, ima, ima-ascii, ima-binary, cel\n"
                   "  -b, --bank ALG      replay only this bank (repeatable); for IMA lists, also\n"
                   "                      banks the list does not record (computed from templates)\n"
                   "  -a, --against FILE  compare the replayed RTMRs with a TDX quote or TDREPORT\n"
                   "  -c, --check         compare every register and bank with the live ones\n"
                   "  -l, --log FILE      --check: runtime log (default " CVM_RUNTIME_LOG ")\n"
                   "  -j, --json          one object: {format, events, registers[{index,name,alg,digest}]}\n"
                   IMR_OPTIONS_HELP "  -h, --help\n\n"
                   "Exit codes: 0 ok (and match), 1 usage, 2 bad input (also a dirty runtime log),\n"
                   "3 mismatch with --against or --check, 4 no device.\n",
                program_name, program_name);
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

/* The events of the logs that extend register index in bank alg, for the mismatch report. */
static struct json_object *touching_events(cvm_eventlog *const *logs, const char *const *paths, size_t nlogs,
                                           uint32_t index, uint16_t alg, bool print) {
        struct json_object *a = json_object_new_array();

        for (size_t l = 0; l < nlogs; l++)
                for (size_t i = 0; i < cvm_eventlog_count(logs[l]); i++) {
                        const struct cvm_event *ev = cvm_eventlog_event(logs[l], i);
                        const struct cvm_event_digest *d;
                        struct json_object *o;
                        const char *tn;
                        char hex[2 * CVM_DIGEST_MAX + 1] = "(computed from the IMA template)";

                        if (ev->index != index || !cvm_event_is_extended(ev))
                                continue;
                        d = cvm_event_digest(ev, alg);
                        if (d)
                                cvm_hex(d->bytes, d->size, hex);
                        else if (ev->content != CVM_CONTENT_IMA)
                                continue;
                        tn = ev->content == CVM_CONTENT_PCCLIENT ? cvm_event_type_name(ev->type) : "ima";
                        o = json_object_new_object();
                        json_object_object_add(o, "log", json_object_new_string(paths[l]));
                        json_object_object_add(o, "recnum", json_object_new_uint64(ev->recnum));
                        json_object_object_add(o, "type", json_object_new_string(tn ? tn : "(unknown)"));
                        json_object_object_add(o, "digest", json_object_new_string(hex));
                        json_object_array_add(a, o);
                        if (print)
                                fprintf(stderr, "  %s event #%llu %s %s\n", paths[l], (unsigned long long) ev->recnum,
                                        tn ? tn : "(unknown)", hex);
                }
        return a;
}

/* --check: every register and bank against the live IMR; the first mismatch with its events. */
static int check_live(cvm_imr *imr, const cvm_replay *r, cvm_eventlog *const *logs, const char *const *paths, size_t nlogs,
                      bool json, struct json_object *out) {
        struct cvm_register_check *c = NULL;
        struct json_object *regs = json_object_new_array();
        const struct cvm_register_check *bad = NULL;
        cvm_error err = { 0 };
        size_t n;
        int mism;

        mism = cvm_replay_check(r, imr, &c, &n, &err);
        if (mism < 0) {
                log_error("%s", err.msg);
                json_object_put(regs);
                return EXIT_BAD_INPUT;
        }
        for (size_t i = 0; i < n; i++) {
                struct json_object *o = json_object_new_object();
                char name[CVM_REG_NAME_MAX], live[2 * CVM_DIGEST_MAX + 1], rep[2 * CVM_DIGEST_MAX + 1];

                cvm_register_name(cvm_imr_space(imr), c[i].index, name);
                cvm_hex(c[i].live, c[i].size, live);
                cvm_hex(c[i].replayed, c[i].size, rep);
                json_object_object_add(o, "index", json_object_new_int64(c[i].index));
                json_object_object_add(o, "name", json_object_new_string(name));
                json_object_object_add(o, "alg", json_object_new_string(cvm_alg_name(c[i].alg)));
                json_object_object_add(o, "live", json_object_new_string(live));
                json_object_object_add(o, "replayed", json_object_new_string(rep));
                json_object_object_add(o, "extends", json_object_new_uint64(c[i].nextends));
                json_object_object_add(o, "match", json_object_new_boolean(c[i].match));
                json_object_array_add(regs, o);
                if (!json && (c[i].nextends || !c[i].match))
                        printf("%s%-6s %-7s %s (%zu events)\n", sim_label(imr), name, cvm_alg_name(c[i].alg),
                               c[i].match ? "match" : "MISMATCH", c[i].nextends);
                if (!c[i].match && !bad) {
                        bad = &c[i];
                        fprintf(stderr, "%s: %smismatch: %s %s is %s live, the logs replay to %s; the events extending it:\n",
                                program_name, sim_label(imr), name, cvm_alg_name(c[i].alg), live, rep);
                        json_object_object_add(out, "first_mismatch", json_object_get(o));
                        json_object_object_add(o, "events", touching_events(logs, paths, nlogs, c[i].index, c[i].alg, true));
                }
        }
        json_object_object_add(out, "check", regs);
        json_object_object_add(out, "match", json_object_new_boolean(mism == 0));
        if (!json)
                printf("%s%s: %zu of %zu registers match the logs (untouched ones hold their reset value)\n", sim_label(imr), mism ? "MISMATCH" : "OK", n - (size_t) mism, n);
        free(c);
        return mism ? EXIT_MISMATCH : EXIT_OK;
}

int cmd_replay(int argc, char **argv) {
        static const struct option options[] = {
                { "format", required_argument, NULL, 'f' },
                { "bank", required_argument, NULL, 'b' },
                { "against", required_argument, NULL, 'a' },
                { "check", no_argument, NULL, 'c' },
                { "log", required_argument, NULL, 'l' },
                { "json", no_argument, NULL, 'j' },
                { "help", no_argument, NULL, 'h' },
                IMR_LONG_OPTIONS,
                {}
        };
        enum cvm_log_format fmt = CVM_LOG_AUTO;
        cvm_eventlog *logs[MAX_LOGS] = { 0 };
        const char *paths[MAX_LOGS] = { 0 };
        struct cvm_imr_options io = { 0 };
        _cleanup_(imr_freep) cvm_imr *imr = NULL;
        _cleanup_(platform_freep) struct cvm_platform_log *pl = NULL;
        _cleanup_(json_putp) struct json_object *live = NULL;
        const char *runtime_log = NULL;
        bool check = false;
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
        size_t owned = 0;

        optind = 0;
        while ((c = getopt_long(argc, argv, "f:b:a:cl:jh", options, NULL)) >= 0) {
                if ((ret = imr_option(c, optarg, &io)) < 0)
                        return EXIT_USAGE;
                if (ret > 0) {
                        ret = EXIT_OK;
                        continue;
                }
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
                case 'c':
                        check = true;
                        break;
                case 'l':
                        runtime_log = optarg;
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
        if ((optind >= argc && !check) || argc - optind > MAX_LOGS) {
                log_error("replay: expected 1 to %d FILEs, or --check", MAX_LOGS);
                return EXIT_USAGE;
        }
        if (check && (ret = open_imr(&io, &imr)) != EXIT_OK)
                return ret;
        if (check && nbanks == 0) {
                const uint16_t *active;
                nbanks = cvm_imr_banks(imr, &active);
                memcpy(banks, active, nbanks * sizeof(*banks));
        }
        if (check && optind == argc) {
                struct cvm_platform_log_options po = { cvm_imr_space(imr), io.sysroot, runtime_log };
                if (cvm_platform_log_load(&po, &pl, &err) < 0) {
                        log_error("%s", err.msg);
                        return EXIT_BAD_INPUT;
                }
                for (size_t i = 0; i < pl->nwarnings; i++)
                        fprintf(stderr, "%s: %swarning: %s\n", program_name, sim_label(imr), pl->warnings[i]);
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
                ret = load_log(argv[i], fmt, &logs[nlogs]);
                if (ret != EXIT_OK)
                        goto out;
                paths[nlogs++] = argv[i];
                owned = nlogs;
        }
        for (size_t i = 0; pl && i < pl->nlogs; i++) {
                logs[nlogs] = pl->logs[i];
                paths[nlogs++] = pl->paths[i];
        }
        for (size_t i = 0; i < nlogs; i++) {
                const char *name;
                truncated |= cvm_eventlog_truncated(logs[i]);
                if (cvm_replay_add_log(r, logs[i], &err) < 0) {
                        log_error("%s: %s", paths[i], err.msg);
                        ret = EXIT_BAD_INPUT;
                        goto out;
                }
                name = cvm_log_format_name(cvm_eventlog_format(logs[i]));
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
        if (check) {
                live = json_object_new_object();
                ret = check_live(imr, r, logs, paths, nlogs, json, live);
                if (ret == EXIT_BAD_INPUT)
                        goto out;
                cmp.match &= ret == EXIT_OK;
                ret = EXIT_OK;
        }

        if (json) {
                _cleanup_(json_putp) struct json_object *o = json_object_new_object();
                json_object_object_add(o, "format", json_object_new_string(formats));
                json_object_object_add(o, "events", json_object_new_uint64(cvm_replay_events(r)));
                json_object_object_add(o, "registers", cvm_replay_registers_to_json(r));
                if (q || live)
                        json_object_object_add(o, "match", json_object_new_boolean(cmp.match));
                if (cmp.json) {
                        json_object_object_add(o, "against", cmp.json);
                        cmp.json = NULL;
                }
                if (live) {
                        json_object_object_add(o, "backend", json_object_new_string(cvm_backend_name(cvm_imr_backend(imr))));
                        json_object_object_add(o, "simulated", json_object_new_boolean(cvm_imr_simulated(imr)));
                        json_object_object_add(o, "check", json_object_get(json_object_object_get(live, "check")));
                        if (json_object_object_get(live, "first_mismatch"))
                                json_object_object_add(o, "first_mismatch",
                                                       json_object_get(json_object_object_get(live, "first_mismatch")));
                }
                print_json(o);
        } else if (!check) {
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
        for (size_t i = 0; i < owned; i++)
                cvm_eventlog_free(logs[i]);
        return ret;
}
