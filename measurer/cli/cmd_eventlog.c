/* SPDX-License-Identifier: Apache-2.0 */
/* cvm-evidence eventlog: the events of one log, or of the platform's logs of this boot, as text, JSON or CEL-JSON. */
#include <stdlib.h>

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

static void print_event_text(const cvm_eventlog *log, const struct cvm_event *ev) {
        _cleanup_(json_putp) struct json_object *o = cvm_event_to_json(log, ev);
        struct json_object *v;
        const char *what;

        if (!o)
                return;
        if (json_object_object_get_ex(o, "type_name", &v) && json_object_get_string(v))
                what = json_object_get_string(v);
        else if (json_object_object_get_ex(o, "template", &v))
                what = json_object_get_string(v);
        else
                what = "(unknown type)";
        printf("event %llu: %s (index %u) %s", (unsigned long long) ev->recnum,
               json_object_get_string(json_object_object_get(o, "name")), ev->index, what);
        if (ev->content == CVM_CONTENT_PCCLIENT)
                printf(" (0x%08x)", ev->type);
        printf(", %zu bytes\n", ev->data_len);
        for (uint32_t i = 0; i < ev->ndigests; i++) {
                char hex[2 * 512 + 1];
                const char *alg = cvm_alg_name(ev->digests[i].alg);
                if (alg)
                        printf("  %s: %s\n", alg, cvm_hex(ev->digests[i].bytes, ev->digests[i].size, hex));
                else
                        printf("  0x%04x: %s\n", ev->digests[i].alg, cvm_hex(ev->digests[i].bytes, ev->digests[i].size, hex));
        }
        if (json_object_object_get_ex(o, "digest_matches_data", &v))
                printf("  digest_matches_data: %s\n", json_object_get_boolean(v) ? "yes" : "no");
        if (json_object_object_get_ex(o, "details", &v))
                print_object_text(v, 2);
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

/* One FILE: its events as text, JSON or CEL-JSON. */
static int file_eventlog(const struct eventlog_args *a, const char *path) {
        _cleanup_(eventlog_freep) cvm_eventlog *log = NULL;
        size_t n;
        int r = load_log(path, a->format, &log);

        if (r != EXIT_OK)
                return r;
        n = cvm_eventlog_count(log);
        if (a->json || a->cel) {
                _cleanup_(json_putp) struct json_object *j =
                        a->cel ? cvm_eventlog_to_cel_json(log, a->start, a->count) : cvm_eventlog_to_json(log, a->start, a->count);
                if (!j) {
                        log_error("out of memory");
                        return EXIT_BAD_INPUT;
                }
                print_json(j);
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
