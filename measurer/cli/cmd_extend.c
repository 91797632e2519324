/* SPDX-License-Identifier: Apache-2.0 */
/* cvm-evidence extend: extend a register and append the event to the runtime log, as one locked step. */
#include <string.h>

#include "cli.h"

struct extend_args {
        struct cvm_imr_options imr;
        const char *data, *digest, *log;
        uint16_t alg;
        size_t index;
        uint32_t type;
};

static int opt_event_type(const struct opt *o, const char *arg, void *field) {
        uint64_t v;

        if (cvm_parse_uint(arg, SIZE_MAX, 0, UINT32_MAX, &v) < 0) {
                log_error("--%s: expected a number, got '%s'", o->name, arg);
                return -1;
        }
        *(uint32_t *) field = (uint32_t) v;
        return 0;
}

static const struct opt options[] = {
        OPT_FN('i', "index", struct extend_args, index, "N", opt_size,
               "PCR index, or CC MR index (1-4 = RTMR0-3; MRTD cannot be extended)"),
        OPT_STR('d', "data", struct extend_args, data, "STRING", "event data; every active bank gets its hash"),
        OPT_STR('D', "digest", struct extend_args, digest, "HEX", "a digest to extend (with --alg: only that bank is extended)"),
        OPT_FN('a', "alg", struct extend_args, alg, "ALG", opt_alg, "the bank of --digest"),
        OPT_FN(0, "event-type", struct extend_args, type, "T", opt_event_type, "event type (default 0x6, EV_EVENT_TAG)"),
        OPT_STR('l', "log", struct extend_args, log, "FILE", "runtime log (default " CVM_RUNTIME_LOG ")"),
        OPT_SUB(struct extend_args, imr, live_backend_options),
        OPT_END,
};

static const struct opt_command command = {
        .tool = &evidence_tool,
        .name = "extend",
        .usage = "--index N (--data STRING | --digest HEX --alg ALG) [OPTIONS]",
        .about = "Extend a register and append the matching event to the runtime log, under\n"
                 "the log's lock, so a replay of the log always equals the registers.",
        .options = options,
        .notes = "On exit 2 the message says whether the register moved.",
        .exits = EXIT_BIT(EXIT_OK) | EXIT_BIT(EXIT_USAGE) | EXIT_BIT(EXIT_BAD_INPUT) | EXIT_BIT(EXIT_NO_DEVICE),
};

/* The options that only make sense together, and no operands; the digest decoded into buf. */
static int check_args(const struct extend_args *a, bool operands, uint8_t *buf, size_t size) {
        if (operands || a->index == SIZE_MAX || !a->data == !a->digest || (a->digest && !a->alg)) {
                log_error("extend: expected --index and either --data or --digest with --alg");
                return -1;
        }
        if (a->digest && cvm_unhex(a->digest, buf, size) != cvm_alg_size(a->alg)) {
                log_error("--digest: expected %d hex bytes for %s", cvm_alg_size(a->alg), cvm_alg_name(a->alg));
                return -1;
        }
        return 0;
}

int cmd_extend(int argc, char **argv) {
        struct extend_args a = { .log = CVM_RUNTIME_LOG, .index = SIZE_MAX, .type = CVM_EV_EVENT_TAG };
        _cleanup_(imr_freep) cvm_imr *imr = NULL;
        uint8_t digest[CVM_DIGEST_MAX];
        struct cvm_event_digest d;
        cvm_error err = { 0 };
        int ind, r;

        if ((r = parse_command(&command, argc, argv, &a, &ind)) >= 0)
                return r;
        if (check_args(&a, ind != argc, digest, sizeof(digest)) < 0)
                return EXIT_USAGE;
        if ((r = open_imr(&a.imr, &imr)) != EXIT_OK)
                return r;
        d = (struct cvm_event_digest) { a.alg, (uint16_t) (a.alg ? cvm_alg_size(a.alg) : 0), digest };
        r = cvm_runtime_extend(imr, a.log, (uint32_t) a.index, a.type, a.data ? a.data : "", a.data ? strlen(a.data) : 0,
                               a.digest ? &d : NULL, a.digest ? 1 : 0, &err);
        if (r < 0) {
                log_error("%s%s", sim_label(imr), err.msg);
                return a.index >= cvm_imr_count(imr) ? EXIT_USAGE : EXIT_BAD_INPUT;
        }
        fprintf(stderr, "%s: %sextended index %zu and appended the event to %s\n", log_program_name(), sim_label(imr), a.index,
                a.log);
        return EXIT_OK;
}
