/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cvm-evidence replay: the registers one or more logs of a boot produce,
 * optionally checked against a quote or (--check) the live registers.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define MAX_LOGS 16

struct replay_args {
        struct cvm_imr_options imr;
        enum cvm_log_format format;
        struct bank_list banks;
        const char *against, *log;
        bool check, json;
};

static const struct opt options[] = {
        OPT_FN('f', "format", struct replay_args, format, "FMT", opt_log_format,
               "auto (default), tcg2, tcg12, ccel, ima, ima-ascii, ima-binary, cel,\ncel-json"),
        OPT_FN('b', "bank", struct replay_args, banks, "ALG", opt_bank,
               "replay only this bank (repeatable); for IMA lists, also\n"
               "banks the list does not record (computed from templates)"),
        OPT_STR(0, "against", struct replay_args, against, "FILE", "compare the replayed RTMRs with a TDX quote or TDREPORT"),
        OPT_FLAG('c', "check", struct replay_args, check, "compare every register and bank with the live ones"),
        OPT_STR('l', "log", struct replay_args, log, "FILE", "--check: runtime log (default " CVM_RUNTIME_LOG ")"),
        OPT_JSON(struct replay_args, json, "one object: {format, events, registers[{index,name,alg,digest}]}"),
        OPT_SUB(struct replay_args, imr, live_backend_options),
        OPT_END,
};

static const struct opt_command command = {
        .tool = &evidence_tool,
        .name = "replay",
        .usage = "[OPTIONS] FILE...\n--check [OPTIONS] [FILE...]",
        .about = "Replay event logs (in the order given, as one boot) and print the register\n"
                 "values they produce.  --check compares them with the live registers; without\n"
                 "FILE it replays the platform's logs (see 'eventlog').",
        .options = options,
        .notes = "Exit 0 also means a match; 3 is a mismatch with --against or --check;\n"
                 "a dirty runtime log is bad input (2).",
};

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

        assert(r && q && out);
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
                fprintf(stderr, "%s: mismatch: %s replayed %s, quote has %s", log_program_name(), name, got, want);
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

        assert(nlogs <= MAX_LOGS);
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
                                log_program_name(), sim_label(imr), name, cvm_alg_name(c[i].alg), live, rep);
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

/* One replay: the logs (files first, then the platform's), the replay, the quote and device compared with. */
struct replay_state {
        cvm_eventlog *logs[MAX_LOGS];
        const char *paths[MAX_LOGS];
        size_t nlogs, owned;            /* logs[0..owned) are loaded here, the rest belong to pl */
        struct cvm_platform_log *pl;
        cvm_imr *imr;
        cvm_replay *r;
        struct cvm_quote *q;
        char formats[256];              /* "tcg2+ima" */
        bool truncated;
};

static void replay_state_clear(struct replay_state *s) {
        for (size_t i = 0; i < s->owned; i++)
                cvm_eventlog_free(s->logs[i]);
        cvm_platform_log_free(s->pl);
        cvm_imr_close(s->imr);
        cvm_replay_free(s->r);
        cvm_quote_free(s->q);
}

/* --check: the device, its banks unless --bank chose, and without FILEs the platform's logs. */
static int open_check(struct replay_args *a, bool files, struct replay_state *s) {
        struct cvm_platform_log_options po = { .sysroot = a->imr.sysroot, .runtime_log = a->log };
        cvm_error err = { 0 };
        int r;

        if ((r = open_imr(&a->imr, &s->imr)) != EXIT_OK)
                return r;
        if (a->banks.n == 0) {
                const uint16_t *active;
                a->banks.n = cvm_imr_banks(s->imr, &active);
                memcpy(a->banks.banks, active, a->banks.n * sizeof(*active));
        }
        if (files)
                return EXIT_OK;
        po.space = cvm_imr_space(s->imr);
        if (cvm_platform_log_load(&po, &s->pl, &err) < 0) {
                log_error("%s", err.msg);
                return EXIT_BAD_INPUT;
        }
        for (size_t i = 0; i < s->pl->nwarnings; i++)
                fprintf(stderr, "%s: %swarning: %s\n", log_program_name(), sim_label(s->imr), s->pl->warnings[i]);
        return EXIT_OK;
}

/* The FILEs, then the platform's logs, into s->logs. */
static int load_logs(const struct replay_args *a, char **files, size_t nfiles, struct replay_state *s) {
        int r;

        assert(nfiles <= MAX_LOGS && s->nlogs == 0);
        for (size_t i = 0; i < nfiles; i++) {
                if ((r = load_log(files[i], a->format, &s->logs[s->nlogs])) != EXIT_OK)
                        return r;
                s->paths[s->nlogs++] = files[i];
                s->owned = s->nlogs;
        }
        for (size_t i = 0; s->pl && i < s->pl->nlogs && s->nlogs < MAX_LOGS; i++) {
                s->logs[s->nlogs] = s->pl->logs[i];
                s->paths[s->nlogs++] = s->pl->paths[i];
        }
        return EXIT_OK;
}

/* Replay every log in order; note their formats and whether one was cut short. */
static int replay_logs(struct replay_state *s) {
        const char *const *warnings;
        cvm_error err = { 0 };
        size_t n;

        for (size_t i = 0; i < s->nlogs; i++) {
                const char *name = cvm_log_format_name(cvm_eventlog_format(s->logs[i]));
                s->truncated |= cvm_eventlog_truncated(s->logs[i]);
                if (cvm_replay_add_log(s->r, s->logs[i], &err) < 0) {
                        log_error("%s: %s", s->paths[i], err.msg);
                        return EXIT_BAD_INPUT;
                }
                if (!strstr(s->formats, name) && strlen(s->formats) + strlen(name) + 2 < sizeof(s->formats)) {
                        if (s->formats[0])
                                strcat(s->formats, "+");
                        strcat(s->formats, name);
                }
        }
        n = cvm_replay_warnings(s->r, &warnings);
        for (size_t i = 0; i < n; i++)
                fprintf(stderr, "%s: warning: %s\n", log_program_name(), warnings[i]);
        return EXIT_OK;
}

/* Everything compared: the --against report and the --check registers, as JSON for --json. */
struct outcome {
        struct mismatch_report against;
        struct json_object *live;
};

static void outcome_clear(struct outcome *o) {
        json_object_put(o->against.json);
        json_object_put(o->live);
}

static void print_replay_json(const struct replay_state *s, const struct outcome *o) {
        _cleanup_(json_putp) struct json_object *j = json_object_new_object();

        json_object_object_add(j, "format", json_object_new_string(s->formats));
        json_object_object_add(j, "events", json_object_new_uint64(cvm_replay_events(s->r)));
        json_object_object_add(j, "registers", cvm_replay_registers_to_json(s->r));
        if (s->q || o->live)
                json_object_object_add(j, "match", json_object_new_boolean(o->against.match));
        if (o->against.json)
                json_object_object_add(j, "against", json_object_get(o->against.json));
        if (o->live) {
                struct json_object *first = json_object_object_get(o->live, "first_mismatch");
                json_object_object_add(j, "backend", json_object_new_string(cvm_backend_name(cvm_imr_backend(s->imr))));
                json_object_object_add(j, "simulated", json_object_new_boolean(cvm_imr_simulated(s->imr)));
                json_object_object_add(j, "check", json_object_get(json_object_object_get(o->live, "check")));
                if (first)
                        json_object_object_add(j, "first_mismatch", json_object_get(first));
        }
        print_json(j);
}

static void print_replay_text(const struct replay_state *s) {
        const struct cvm_register_value *regs;
        size_t n = cvm_replay_registers(s->r, &regs);

        printf("format: %s, %zu events extended\n", s->formats, cvm_replay_events(s->r));
        for (size_t i = 0; i < n; i++) {
                char name[CVM_REG_NAME_MAX], hex[2 * CVM_DIGEST_MAX + 1];
                printf("%-6s %-7s %s\n", cvm_register_name(regs[i].space, regs[i].index, name), cvm_alg_name(regs[i].alg),
                       cvm_hex(regs[i].digest, regs[i].size, hex));
        }
}

/* --against and --check; o->against.match false on any mismatch. */
static int compare(const struct replay_args *a, struct replay_state *s, struct outcome *o) {
        int r;

        o->against.match = true;
        if (s->q && (r = compare_with_quote(s->r, s->q, a->against, a->json, &o->against)) != EXIT_OK)
                return r;
        if (!a->check)
                return EXIT_OK;
        o->live = json_object_new_object();
        r = check_live(s->imr, s->r, s->logs, s->paths, s->nlogs, a->json, o->live);
        if (r == EXIT_BAD_INPUT)
                return r;
        o->against.match &= r == EXIT_OK;
        return EXIT_OK;
}

/* Load, replay and compare; the exit code. */
static int run(struct replay_args *a, char **files, size_t nfiles, struct replay_state *s, struct outcome *o) {
        cvm_error err = { 0 };
        int r;

        if (a->check && (r = open_check(a, nfiles > 0, s)) != EXIT_OK)
                return r;
        if (a->against && cvm_quote_load(a->against, &s->q, &err) < 0) {
                log_error("--against: %s", err.msg);
                return EXIT_BAD_INPUT;
        }
        if (cvm_replay_new(a->banks.banks, a->banks.n, &s->r, &err) < 0) {
                log_error("%s", err.msg);
                return EXIT_USAGE;
        }
        if ((r = load_logs(a, files, nfiles, s)) != EXIT_OK || (r = replay_logs(s)) != EXIT_OK ||
            (r = compare(a, s, o)) != EXIT_OK)
                return r;
        if (a->json)
                print_replay_json(s, o);
        else if (!a->check)
                print_replay_text(s);
        return !o->against.match ? EXIT_MISMATCH : s->truncated ? EXIT_BAD_INPUT : EXIT_OK;
}

int cmd_replay(int argc, char **argv) {
        struct replay_args a = { .format = CVM_LOG_AUTO };
        _cleanup_(replay_state_clear) struct replay_state s = { 0 };
        _cleanup_(outcome_clear) struct outcome o = { 0 };
        int ind, r;

        if ((r = parse_command(&command, argc, argv, &a, &ind)) >= 0)
                return r;
        if ((ind >= argc && !a.check) || argc - ind > MAX_LOGS) {
                log_error("replay: expected 1 to %d FILEs, or --check", MAX_LOGS);
                return EXIT_USAGE;
        }
        return run(&a, argv + ind, (size_t) (argc - ind), &s, &o);
}
