/* SPDX-License-Identifier: Apache-2.0 */
/* cvm-evidence extend: extend a register and append the event to the runtime log, as one locked step. */
#include <getopt.h>
#include <string.h>

#include "cli.h"

static void help(FILE *f) {
        fprintf(f, "Usage: %s extend --index N (--data STRING | --digest HEX --alg ALG) [OPTIONS]\n\n"
                   "Extend a register and append the matching event to the runtime log, under\n"
                   "the log's lock, so a replay of the log always equals the registers.\n\n"
                   "  -i, --index N       PCR index, or CC MR index (1-4 = RTMR0-3; MRTD cannot be extended)\n"
                   "  -d, --data STRING   event data; every active bank gets its hash\n"
                   "  -D, --digest HEX    a digest to extend (with --alg: only that bank is extended)\n"
                   "  -a, --alg ALG       the bank of --digest\n"
                   "  -t, --event-type T  event type (default 0x%x, EV_EVENT_TAG)\n"
                   "  -l, --log FILE      runtime log (default " CVM_RUNTIME_LOG ")\n"
                   IMR_OPTIONS_HELP "  -h, --help\n\n"
                   "Exit codes: 0 ok, 1 usage, 2 failure (the message says whether the register moved), 4 no device.\n",
                program_name, CVM_EV_EVENT_TAG);
}

int cmd_extend(int argc, char **argv) {
        static const struct option options[] = {
                { "index", required_argument, NULL, 'i' },
                { "data", required_argument, NULL, 'd' },
                { "digest", required_argument, NULL, 'D' },
                { "alg", required_argument, NULL, 'a' },
                { "event-type", required_argument, NULL, 't' },
                { "log", required_argument, NULL, 'l' },
                { "help", no_argument, NULL, 'h' },
                IMR_LONG_OPTIONS,
                {}
        };
        struct cvm_imr_options o = { 0 };
        _cleanup_(imr_freep) cvm_imr *imr = NULL;
        const char *data = NULL, *digest_hex = NULL, *log_path = CVM_RUNTIME_LOG;
        uint8_t digest[CVM_DIGEST_MAX];
        struct cvm_event_digest d;
        uint16_t alg = 0;
        size_t index = SIZE_MAX;
        uint64_t type = CVM_EV_EVENT_TAG;
        cvm_error err = { 0 };
        int c, r;

        optind = 0;
        while ((c = getopt_long(argc, argv, "i:d:D:a:t:l:h", options, NULL)) >= 0) {
                if ((r = imr_option(c, optarg, &o)) < 0)
                        return EXIT_USAGE;
                if (r > 0)
                        continue;
                switch (c) {
                case 'i':
                        if (parse_size("--index", optarg, &index) < 0)
                                return EXIT_USAGE;
                        break;
                case 'd':
                        data = optarg;
                        break;
                case 'D':
                        digest_hex = optarg;
                        break;
                case 'a':
                        if (cvm_alg_from_name(optarg, &alg) < 0 || cvm_alg_size(alg) < 0) {
                                log_error("--alg: unknown algorithm '%s'", optarg);
                                return EXIT_USAGE;
                        }
                        break;
                case 't':
                        if (cvm_parse_uint(optarg, SIZE_MAX, 0, UINT32_MAX, &type) < 0) {
                                log_error("--event-type: expected a number, got '%s'", optarg);
                                return EXIT_USAGE;
                        }
                        break;
                case 'l':
                        log_path = optarg;
                        break;
                case 'h':
                        help(stdout);
                        return EXIT_OK;
                default:
                        help(stderr);
                        return EXIT_USAGE;
                }
        }
        if (optind != argc || index == SIZE_MAX || !data == !digest_hex || (digest_hex && !alg)) {
                log_error("extend: expected --index and either --data or --digest with --alg");
                return EXIT_USAGE;
        }
        if (digest_hex && cvm_unhex(digest_hex, digest, sizeof(digest)) != cvm_alg_size(alg)) {
                log_error("--digest: expected %d hex bytes for %s", cvm_alg_size(alg), cvm_alg_name(alg));
                return EXIT_USAGE;
        }
        if ((r = open_imr(&o, &imr)) != EXIT_OK)
                return r;
        d = (struct cvm_event_digest) { alg, (uint16_t) (alg ? cvm_alg_size(alg) : 0), digest };
        r = cvm_runtime_extend(imr, log_path, (uint32_t) index, (uint32_t) type, data ? data : "", data ? strlen(data) : 0,
                               digest_hex ? &d : NULL, digest_hex ? 1 : 0, &err);
        if (r < 0) {
                log_error("%s%s", sim_label(imr), err.msg);
                return index >= cvm_imr_count(imr) ? EXIT_USAGE : EXIT_BAD_INPUT;
        }
        fprintf(stderr, "%s: %sextended index %zu and appended the event to %s\n", program_name, sim_label(imr), index, log_path);
        return EXIT_OK;
}
