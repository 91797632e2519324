/* SPDX-License-Identifier: Apache-2.0 */
/* cvm-evidence eventlog: the events of one log, or of the platform's logs of this boot, as text, JSON or CEL-JSON. */
#include <getopt.h>
#include <stdlib.h>

#include "cli.h"

static void help(FILE *f) {
        fprintf(f, "Usage: %s eventlog [OPTIONS] [FILE]\n\n"
                   "Print the events of an event log.  Without FILE, the platform's logs of this\n"
                   "boot in order: the firmware log (CCEL on TDX, binary_bios_measurements on\n"
                   "TPM), the runtime log, then IMA's list (TPM only), numbered from 0 across them.\n\n"
                   "  -f, --format FMT   auto (default), tcg2, tcg12, ccel, ima, ima-ascii, ima-binary, cel\n"
                   "  -s, --start N      first event to print (0 = the first record, the Spec ID header)\n"
                   "  -n, --count N      number of events to print (default: all)\n"
                   "  -j, --json         a JSON array of events\n"
                   "      --cel          TCG Canonical Event Log, JSON encoding (one FILE only)\n"
                   "  -l, --log FILE     runtime log (default " CVM_RUNTIME_LOG ")\n"
                   IMR_OPTIONS_HELP "  -h, --help\n\n"
                   "An event's index is the register index as recorded (CC MR index for CCEL);\n"
                   "its name (PCR7, MRTD, RTMR0) is printed beside it.\n"
                   "Exit codes: 0 ok, 1 usage, 2 bad input (also a truncated log, after printing\n"
                   "the events before the cut; a dirty runtime log), 4 no device.\n", program_name);
}

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

/* Without FILE: every log of this boot, numbered across them. */
static int platform_eventlog(const struct cvm_imr_options *o, const char *runtime_log, size_t start, size_t count, bool json) {
        _cleanup_(imr_freep) cvm_imr *imr = NULL;
        _cleanup_(platform_freep) struct cvm_platform_log *pl = NULL;
        struct cvm_platform_log_options po = { .sysroot = o->sysroot, .runtime_log = runtime_log };
        _cleanup_(json_putp) struct json_object *a = NULL;
        cvm_error err = { 0 };
        size_t total, shown = SIZE_MAX;
        int r;

        if ((r = open_imr(o, &imr)) != EXIT_OK)
                return r;
        po.space = cvm_imr_space(imr);
        if (cvm_platform_log_load(&po, &pl, &err) < 0) {
                log_error("%s", err.msg);
                return EXIT_BAD_INPUT;
        }
        for (size_t i = 0; i < pl->nwarnings; i++)
                fprintf(stderr, "%s: %swarning: %s\n", program_name, sim_label(imr), pl->warnings[i]);
        total = cvm_platform_log_count(pl);
        if (json && !(a = json_object_new_array())) {
                log_error("out of memory");
                return EXIT_BAD_INPUT;
        }
        if (!json)
                printf("%s%s platform logs, %zu events\n", sim_label(imr), cvm_backend_name(cvm_imr_backend(imr)), total);
        for (size_t i = start; i < total && (count == 0 || i - start < count); i++) {
                size_t l;
                const struct cvm_event *ev = cvm_platform_log_event(pl, i, &l);

                if (json) {
                        struct json_object *e = cvm_event_to_json(pl->logs[l], ev);
                        json_object_object_add(e, "log", json_object_new_string(pl->paths[l]));
                        json_object_object_add(e, "number", json_object_new_uint64(i));
                        json_object_array_add(a, e);
                        continue;
                }
                if (l != shown) {
                        printf("log: %s (%s, %zu events)\n", pl->paths[l], cvm_log_format_name(cvm_eventlog_format(pl->logs[l])),
                               cvm_eventlog_count(pl->logs[l]));
                        shown = l;
                }
                print_event_text(pl->logs[l], ev);
        }
        if (json)
                print_json(a);
        return EXIT_OK;
}

int cmd_eventlog(int argc, char **argv) {
        static const struct option options[] = {
                { "format", required_argument, NULL, 'f' },
                { "start", required_argument, NULL, 's' },
                { "count", required_argument, NULL, 'n' },
                { "json", no_argument, NULL, 'j' },
                { "cel", no_argument, NULL, 'c' },
                { "log", required_argument, NULL, 'l' },
                { "help", no_argument, NULL, 'h' },
                IMR_LONG_OPTIONS,
                {}
        };
        enum cvm_log_format fmt = CVM_LOG_AUTO;
        _cleanup_(eventlog_freep) cvm_eventlog *log = NULL;
        size_t start = 0, count = 0, n;
        struct cvm_imr_options o = { 0 };
        const char *runtime_log = NULL;
        bool json = false, cel = false;
        int c, r;

        optind = 0;
        while ((c = getopt_long(argc, argv, "f:s:n:jl:h", options, NULL)) >= 0) {
                if ((r = imr_option(c, optarg, &o)) < 0)
                        return EXIT_USAGE;
                if (r > 0)
                        continue;
                switch (c) {
                case 'f':
                        if (parse_format(optarg, &fmt) < 0)
                                return EXIT_USAGE;
                        break;
                case 's':
                        if (parse_size("--start", optarg, &start) < 0)
                                return EXIT_USAGE;
                        break;
                case 'n':
                        if (parse_size("--count", optarg, &count) < 0)
                                return EXIT_USAGE;
                        break;
                case 'j':
                        json = true;
                        break;
                case 'c':
                        cel = true;
                        break;
                case 'l':
                        runtime_log = optarg;
                        break;
                case 'h':
                        help(stdout);
                        return EXIT_OK;
                default:
                        help(stderr);
                        return EXIT_USAGE;
                }
        }
        if (optind + 1 < argc) {
                log_error("eventlog: expected at most one FILE");
                return EXIT_USAGE;
        }
        if (json && cel) {
                log_error("eventlog: --json and --cel exclude each other");
                return EXIT_USAGE;
        }
        if (optind == argc) {
                if (cel) {
                        log_error("eventlog: --cel takes one FILE (record numbers are per log)");
                        return EXIT_USAGE;
                }
                return platform_eventlog(&o, runtime_log, start, count, json);
        }
        r = load_log(argv[optind], fmt, &log);
        if (r != EXIT_OK)
                return r;

        n = cvm_eventlog_count(log);
        if (json || cel) {
                _cleanup_(json_putp) struct json_object *a =
                        cel ? cvm_eventlog_to_cel_json(log, start, count) : cvm_eventlog_to_json(log, start, count);
                if (!a) {
                        log_error("out of memory");
                        return EXIT_BAD_INPUT;
                }
                print_json(a);
        } else {
                printf("format: %s, %zu events\n", cvm_log_format_name(cvm_eventlog_format(log)), n);
                for (size_t i = start; i < n && (count == 0 || i - start < count); i++)
                        print_event_text(log, cvm_eventlog_event(log, i));
        }
        return cvm_eventlog_truncated(log) ? EXIT_BAD_INPUT : EXIT_OK;
}
