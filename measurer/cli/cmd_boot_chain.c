/* SPDX-License-Identifier: Apache-2.0 */
/* cvm-evidence boot-chain: a firmware event log checked, event by event, against a manifest's boot chain prediction. */
#include <errno.h>
#include <string.h>

#include "cli.h"

#define MAX_REGS 24

struct boot_chain_args {
        enum cvm_log_format format;
        bool json;
};

static const struct opt options[] = {
        OPT_FN('f', "format", struct boot_chain_args, format, "FMT", opt_log_format, "the log's format (default: detect)"),
        OPT_JSON(struct boot_chain_args, json, "{match, registers: [{index, status, predicted, actual, first, want, got}]}"),
        OPT_END,
};

static const struct opt_command command = {
        .tool = &evidence_tool,
        .name = "boot-chain",
        .usage = "[--format FMT] [--json] MANIFEST LOG",
        .about = "Compare a firmware event log (TCG2, as the booted guest's\n"
                 "/sys/kernel/security/tpm0/binary_bios_measurements) with the boot chain\n"
                 "cvm-rewrite predicted in MANIFEST (\"boot_chain\": PCR4, 5, 8, 9), event by\n"
                 "event, and name the first event of each register that differs.",
        .options = options,
        .notes = "Exit 3 when a predicted register differs; a register the manifest could not\n"
                 "predict is reported with its reason and is not a mismatch.",
        .exits = EXIT_BIT(EXIT_OK) | EXIT_BIT(EXIT_USAGE) | EXIT_BIT(EXIT_BAD_INPUT) | EXIT_BIT(EXIT_MISMATCH),
};

/* One predicted event from the manifest's JSON into log. */
static int append_event(cvm_eventlog *log, uint32_t index, struct json_object *ev, cvm_error *err) {
        struct json_object *t, *d, *data;
        struct cvm_event_digest dg[4];
        uint8_t bytes[4][CVM_DIGEST_MAX];
        _cleanup_free_ uint8_t *raw = NULL;
        size_t n = 0, len = 0;
        uint32_t type;
        int r;

        if (!json_object_object_get_ex(ev, "type", &t) || cvm_event_type_from_name(json_object_get_string(t), &type) < 0 ||
            !json_object_object_get_ex(ev, "digests", &d) || !json_object_is_type(d, json_type_object))
                return cvm_error_set(err, EBADMSG, "PCR%u: an event without a known type or digests", index);
        json_object_object_foreach(d, alg, hex) {
                uint16_t id;
                if (n == 4 || cvm_alg_from_name(alg, &id) < 0 || (r = cvm_unhex(json_object_get_string(hex), bytes[n], CVM_DIGEST_MAX)) < 0 ||
                    r != cvm_alg_size(id))
                        return cvm_error_set(err, EBADMSG, "PCR%u: bad %s digest", index, alg);
                dg[n] = (struct cvm_event_digest) { id, (uint16_t) r, bytes[n] };
                n++;
        }
        if (json_object_object_get_ex(ev, "data", &data)) {
                const char *h = json_object_get_string(data);
                len = strlen(h ? h : "") / 2;
                raw = malloc(len + 1);
                if (!raw || (len > 0 && cvm_unhex(h, raw, len) != (int) len))
                        return cvm_error_set(err, EBADMSG, "PCR%u: bad event data", index);
        }
        return cvm_eventlog_append(log, index, type, dg, n, raw ? raw : (const uint8_t *) "", len, err);
}

/* The predicted registers' events into *log; their indexes and statuses in regs. */
static int load_prediction(struct json_object *chain, cvm_eventlog **log, struct json_object **regs, cvm_error *err) {
        int r = cvm_bootchain_new(log, err);

        if (r < 0)
                return r;
        if (!json_object_object_get_ex(chain, "registers", regs) || !json_object_is_type(*regs, json_type_array))
                return cvm_error_set(err, EBADMSG, "boot_chain has no registers");
        for (size_t i = 0; i < json_object_array_length(*regs); i++) {
                struct json_object *reg = json_object_array_get_idx(*regs, i), *idx, *evs;
                if (!json_object_object_get_ex(reg, "index", &idx) || json_object_get_int(idx) < 0 ||
                    json_object_get_int(idx) >= MAX_REGS)
                        return cvm_error_set(err, EBADMSG, "boot_chain register %zu has no index from 0 to 23", i);
                if (!json_object_object_get_ex(reg, "events", &evs))
                        continue;
                for (size_t k = 0; k < json_object_array_length(evs); k++)
                        if ((r = append_event(*log, (uint32_t) json_object_get_int(idx), json_object_array_get_idx(evs, k), err)) < 0)
                                return r;
        }
        return 0;
}

/* An event as a reader knows it: its string for strings, else its type. */
static struct json_object *event_brief(const struct cvm_event *ev) {
        struct json_object *o = json_object_new_object();
        const struct cvm_event_digest *d = cvm_event_digest(ev, CVM_ALG_SHA256);
        char hex[2 * CVM_DIGEST_MAX + 1];
        const char *name = cvm_event_type_name(ev->type);

        json_object_object_add(o, "type", json_object_new_string(name ? name : "unknown"));
        if ((ev->type == CVM_EV_IPL || ev->type == CVM_EV_EFI_ACTION) && ev->data_len > 0)
                json_object_object_add(o, "description", json_object_new_string_len((const char *) ev->data,
                                                                                    (int) strnlen((const char *) ev->data, ev->data_len)));
        if (d)
                json_object_object_add(o, "sha256", json_object_new_string(cvm_hex(d->bytes, d->size, hex)));
        return o;
}

static struct json_object *diff_json(const struct cvm_bootchain_diff *d) {
        struct json_object *o = json_object_new_object();

        json_object_object_add(o, "index", json_object_new_int((int) d->index));
        json_object_object_add(o, "status", json_object_new_string(d->match ? "match" : "mismatch"));
        json_object_object_add(o, "predicted", json_object_new_int64((int64_t) d->predicted));
        json_object_object_add(o, "actual", json_object_new_int64((int64_t) d->actual));
        if (!d->match) {
                json_object_object_add(o, "first", json_object_new_int64((int64_t) d->first));
                json_object_object_add(o, "want", d->want ? event_brief(d->want) : NULL);
                json_object_object_add(o, "got", d->got ? event_brief(d->got) : NULL);
        }
        return o;
}

static void print_event(const char *what, struct json_object *ev) {
        struct json_object *t, *s, *d;

        if (!ev) {
                printf("  %s: (no event)\n", what);
                return;
        }
        json_object_object_get_ex(ev, "type", &t);
        printf("  %s: %s", what, json_object_get_string(t));
        if (json_object_object_get_ex(ev, "description", &d))
                printf(" \"%s\"", json_object_get_string(d));
        if (json_object_object_get_ex(ev, "sha256", &s))
                printf(" sha256 %s", json_object_get_string(s));
        printf("\n");
}

static void print_text(struct json_object *results) {
        for (size_t i = 0; i < json_object_array_length(results); i++) {
                struct json_object *o = json_object_array_get_idx(results, i), *v, *st;
                json_object_object_get_ex(o, "status", &st);
                json_object_object_get_ex(o, "index", &v);
                printf("PCR%d: %s", json_object_get_int(v), json_object_get_string(st));
                if (json_object_object_get_ex(o, "reason", &v))
                        printf(" (%s)\n", json_object_get_string(v));
                else if (json_object_object_get_ex(o, "first", &v)) {
                        printf(" at event %d\n", json_object_get_int(v));
                        print_event("predicted", json_object_object_get(o, "want"));
                        print_event("log has", json_object_object_get(o, "got"));
                } else
                        printf(" (%d events)\n", json_object_get_int(json_object_object_get(o, "predicted")));
        }
}

/* Each register of the prediction compared with the log; *mismatch set if any predicted one differs. */
static int compare_all(const cvm_eventlog *pred, const cvm_eventlog *log, struct json_object *regs,
                       struct json_object *results, bool *mismatch, cvm_error *err) {
        for (size_t i = 0; i < json_object_array_length(regs); i++) {
                struct json_object *reg = json_object_array_get_idx(regs, i), *st, *why;
                uint32_t idx = (uint32_t) json_object_get_int(json_object_object_get(reg, "index"));
                struct cvm_bootchain_diff d;
                if (json_object_object_get_ex(reg, "status", &st) && strcmp(json_object_get_string(st), "predicted") != 0) {
                        struct json_object *o = json_object_new_object();
                        json_object_object_add(o, "index", json_object_new_int((int) idx));
                        json_object_object_add(o, "status", json_object_get(st));
                        if (json_object_object_get_ex(reg, "reason", &why))
                                json_object_object_add(o, "reason", json_object_get(why));
                        json_object_array_add(results, o);
                        continue;
                }
                if (cvm_bootchain_compare(pred, log, idx, &d, err) < 0)
                        return -ENOMEM;
                *mismatch |= !d.match;
                json_object_array_add(results, diff_json(&d));
        }
        return 0;
}

int cmd_boot_chain(int argc, char **argv) {
        struct boot_chain_args a = { 0 };
        _cleanup_(json_putp) struct json_object *m = NULL, *out = NULL;
        _cleanup_(eventlog_freep) cvm_eventlog *pred = NULL, *log = NULL;
        struct json_object *chain, *regs = NULL, *results;
        cvm_error err = { 0 };
        bool mismatch = false;
        int ind, r;

        if ((r = parse_command(&command, argc, argv, &a, &ind)) >= 0)
                return r;
        if (ind + 2 != argc) {
                log_error("boot-chain: expected MANIFEST and LOG (see --help)");
                return EXIT_USAGE;
        }
        m = json_object_from_file(argv[ind]);
        if (!m || !json_object_object_get_ex(m, "boot_chain", &chain)) {
                log_error("%s: %s", argv[ind], m ? "no \"boot_chain\" (a manifest of an older cvm-rewrite?)" : json_util_get_last_err());
                return EXIT_BAD_INPUT;
        }
        if (load_prediction(chain, &pred, &regs, &err) < 0) {
                log_error("%s: %s", argv[ind], err.msg);
                return EXIT_BAD_INPUT;
        }
        if ((r = load_log(argv[ind + 1], a.format, &log)) != EXIT_OK)
                return r;
        out = json_object_new_object();
        results = json_object_new_array();
        json_object_object_add(out, "registers", results);
        if (compare_all(pred, log, regs, results, &mismatch, &err) < 0) {
                log_error("%s", err.msg);
                return EXIT_BAD_INPUT;
        }
        json_object_object_add(out, "match", json_object_new_boolean(!mismatch));
        if (a.json)
                print_json(out);
        else
                print_text(results);
        return mismatch ? EXIT_MISMATCH : EXIT_OK;
}
