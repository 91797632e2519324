/* SPDX-License-Identifier: Apache-2.0 */
/* cvm-evidence eventlog: the events of one log, or of the platform's logs of this boot, as text, JSON or CEL-JSON. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

struct eventlog_args {
        struct cvm_imr_options imr;
        enum cvm_log_format format;
        size_t start, count;
        const char *log;
        bool json, cel;
};

static const struct opt options[] = {
        OPT_FN('f', "format", struct eventlog_args, format, "FMT", opt_log_format,
               "auto (default), tcg2, tcg12, ccel, ima, ima-ascii, ima-binary, cel,\ncel-json"),
        OPT_FN('s', "start", struct eventlog_args, start, "N", opt_size,
               "first event to print (0 = the first record, the Spec ID header)"),
        OPT_FN(0, "count", struct eventlog_args, count, "N", opt_size, "number of events to print (default: all)"),
        OPT_JSON(struct eventlog_args, json, "a JSON array of events"),
        OPT_FLAG(0, "cel", struct eventlog_args, cel, "TCG Canonical Event Log, JSON encoding (one FILE only)"),
        OPT_STR('l', "log", struct eventlog_args, log, "FILE", "runtime log (default " CVM_RUNTIME_LOG ")"),
        OPT_SUB(struct eventlog_args, imr, live_backend_options),
        OPT_END,
};

static const struct opt_command command = {
        .tool = &evidence_tool,
        .name = "eventlog",
        .usage = "[OPTIONS] [FILE]",
        .about = "Print the events of an event log.  Without FILE, the platform's logs of this\n"
                 "boot in order: the firmware log (CCEL on TDX, binary_bios_measurements on\n"
                 "TPM), the runtime log, then IMA's list (TPM only), numbered from 0 across them.",
        .options = options,
        .notes = "An event's index is the register index as recorded (CC MR index for CCEL);\n"
                 "its name (PCR7, MRTD, RTMR0) is printed beside it.  A truncated log exits 2\n"
                 "after printing the events before the cut; so does a dirty runtime log.",
        .exits = EXIT_BIT(EXIT_OK) | EXIT_BIT(EXIT_USAGE) | EXIT_BIT(EXIT_BAD_INPUT) | EXIT_BIT(EXIT_NO_DEVICE),
};

/* What names the event in its text line: the type's name, the IMA template, or CEL's management record. */
static const char *event_what(const struct cvm_event *ev) {
        const char *tn;

        if (ev->content == CVM_CONTENT_PCCLIENT)
                return (tn = cvm_event_type_name(ev->type)) ? tn : "(unknown type)";
        if (ev->content == CVM_CONTENT_IMA)
                return ev->template_name ? ev->template_name : "";
        return "CEL_MGT";
}

/* The fields cvm_event_to_json gives, as text, without building that object (a dump prints 20,000 of them). */
static void print_event_text(const cvm_eventlog *log, const struct cvm_event *ev) {
        _cleanup_(json_putp) struct json_object *details = cvm_event_details_to_json(log, ev);
        char name[CVM_REG_NAME_MAX], hex[2 * CVM_DIGEST_MAX + 1];
        int m = cvm_event_digest_matches_data(ev);

        printf("event %llu: %s (index %u) %s", (unsigned long long) ev->recnum,
               cvm_register_name(cvm_eventlog_space(log), ev->index, name), ev->index, event_what(ev));
        if (ev->content == CVM_CONTENT_PCCLIENT)
                printf(" (0x%08x)", ev->type);
        printf(", %zu bytes\n", ev->data_len);
        for (uint32_t i = 0; i < ev->ndigests; i++) {
                const struct cvm_event_digest *d = &ev->digests[i];
                const char *alg = cvm_alg_name(d->alg);
                if (alg)
                        printf("  %s: %s\n", alg, cvm_hex(d->bytes, d->size, hex));
                else
                        printf("  0x%04x: %s\n", d->alg, cvm_hex(d->bytes, d->size, hex));
        }
        if (m >= 0)
                printf("  digest_matches_data: %s\n", m ? "yes" : "no");
        if (details)
                print_object_text(details, 2);
}

/* The platform's events from start (count of them, 0: all) as one JSON array, each with its log and number. */
static int print_platform_json(const struct cvm_platform_log *pl, size_t start, size_t count) {
        _cleanup_(json_putp) struct json_object *a = json_object_new_array();
        size_t total = cvm_platform_log_count(pl);

        if (!a) {
                log_error("out of memory");
                return EXIT_BAD_INPUT;
        }
        for (size_t i = start; i < total && (count == 0 || i - start < count); i++) {
                size_t l;
                const struct cvm_event *ev = cvm_platform_log_event(pl, i, &l);
                struct json_object *e = cvm_event_to_json(pl->logs[l], ev);

                json_object_object_add(e, "log", json_object_new_string(pl->paths[l]));
                json_object_object_add(e, "number", json_object_new_uint64(i));
                json_object_array_add(a, e);
        }
        print_json(a);
        return EXIT_OK;
}

/* Without FILE: every log of this boot, numbered across them. */
static int platform_eventlog(const struct eventlog_args *a) {
        _cleanup_(imr_freep) cvm_imr *imr = NULL;
        _cleanup_(platform_freep) struct cvm_platform_log *pl = NULL;
        struct cvm_platform_log_options po = { .sysroot = a->imr.sysroot, .runtime_log = a->log };
        cvm_error err = { 0 };
        size_t total, shown = SIZE_MAX;
        int r;

        if ((r = open_imr(&a->imr, &imr)) != EXIT_OK)
                return r;
        po.space = cvm_imr_space(imr);
        if (cvm_platform_log_load(&po, &pl, &err) < 0) {
                log_error("%s", err.msg);
                return EXIT_BAD_INPUT;
        }
        for (size_t i = 0; i < pl->nwarnings; i++)
                fprintf(stderr, "%s: %swarning: %s\n", log_program_name(), sim_label(imr), pl->warnings[i]);
        total = cvm_platform_log_count(pl);
        if (a->json)
                return print_platform_json(pl, a->start, a->count);
        printf("%s%s platform logs, %zu events\n", sim_label(imr), cvm_backend_name(cvm_imr_backend(imr)), total);
        for (size_t i = a->start; i < total && (a->count == 0 || i - a->start < a->count); i++) {
                size_t l;
                const struct cvm_event *ev = cvm_platform_log_event(pl, i, &l);

                if (l != shown) {
                        printf("log: %s (%s, %zu events)\n", pl->paths[l], cvm_log_format_name(cvm_eventlog_format(pl->logs[l])),
                               cvm_eventlog_count(pl->logs[l]));
                        shown = l;
                }
                print_event_text(pl->logs[l], ev);
        }
        return EXIT_OK;
}

/*
 * The log's events as one JSON or CEL-JSON array, streamed: a 20,000-event
 * dump is 16 MB of text, and holding it first (a tree, or even the text)
 * cost more than the printing.  Only an allocation failure can stop it part way.
 */
static int print_log_json(const cvm_eventlog *log, const struct eventlog_args *a) {
        int r = a->cel ? cvm_eventlog_write_cel_json(stdout, log, a->start, a->count)
                       : cvm_eventlog_write_json(stdout, log, a->start, a->count);

        if (r < 0) {
                log_error("eventlog: %s", strerror(-r));
                return EXIT_BAD_INPUT;
        }
        putchar('\n');
        return EXIT_OK;
}

/* One FILE: its events as text, JSON or CEL-JSON. */
static int file_eventlog(const struct eventlog_args *a, const char *path) {
        _cleanup_(eventlog_freep) cvm_eventlog *log = NULL;
        size_t n;
        int r = load_log(path, a->format, &log);

        if (r != EXIT_OK)
                return r;
        n = cvm_eventlog_count(log);
        if (a->json || a->cel) {
                if ((r = print_log_json(log, a)) != EXIT_OK)
                        return r;
        } else {
                printf("format: %s, %zu events\n", cvm_log_format_name(cvm_eventlog_format(log)), n);
                for (size_t i = a->start; i < n && (a->count == 0 || i - a->start < a->count); i++)
                        print_event_text(log, cvm_eventlog_event(log, i));
        }
        return cvm_eventlog_truncated(log) ? EXIT_BAD_INPUT : EXIT_OK;
}

int cmd_eventlog(int argc, char **argv) {
        struct eventlog_args a = { .format = CVM_LOG_AUTO };
        int ind, r;

        if ((r = parse_command(&command, argc, argv, &a, &ind)) >= 0)
                return r;
        if (ind + 1 < argc) {
                log_error("eventlog: expected at most one FILE");
                return EXIT_USAGE;
        }
        if (a.json && a.cel) {
                log_error("eventlog: --json and --cel exclude each other");
                return EXIT_USAGE;
        }
        if (ind < argc)
                return file_eventlog(&a, argv[ind]);
        if (a.cel) {
                log_error("eventlog: --cel takes one FILE (record numbers are per log)");
                return EXIT_USAGE;
        }
        return platform_eventlog(&a);
}
