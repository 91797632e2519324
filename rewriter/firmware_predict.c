/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Firmware-owned predictions for the manifest (firmware_predict.h).  The TDX
 * registers are rebuilt from boot_chain's JSON (events in their "recnum"
 * order, SHA-384 digests), mapped with cvm_eventlog_map_cc and extended here:
 * the JSON is what the manifest states, so the values are the replay of
 * exactly the events it lists.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cvmbase/base.h"
#include "firmware_predict.h"

#define FIRMWARE_MAX (64u << 20)

static void eventlog_freep(cvm_eventlog **p) {
        cvm_eventlog_free(*p);
}

static void varstore_freep(cvm_efi_varstore **p) {
        cvm_efi_varstore_free(*p);
}

static void json_putp(struct json_object **p) {
        json_object_put(*p);
}

/* The image's TDVF metadata and MRTD, or an error naming the file. */
static int load_mrtd(const char *path, struct cvm_tdvf *t, uint8_t mrtd[CVM_MRTD_SIZE], char sha256[65], cvm_error *err) {
        _cleanup_free_ uint8_t *img = NULL;
        uint8_t d[32];
        size_t len = 0;
        int r;

        if ((r = read_file(path, FIRMWARE_MAX, &img, &len, err)) < 0)
                return r;
        if ((r = cvm_tdvf_parse(img, len, t, err)) < 0 || (r = cvm_tdvf_mrtd(img, len, t, mrtd, err)) < 0)
                return cvm_error_prefix(err, "--firmware %s: ", path);
        if ((r = cvm_digest(CVM_ALG_SHA256, img, len, d, err)) < 0)
                return r;
        cvm_hex(d, sizeof(d), sha256);
        return 0;
}

int firmware_inputs_check(const struct firmware_inputs *in, cvm_error *err) {
        _cleanup_(varstore_freep) cvm_efi_varstore *vs = NULL;
        struct cvm_tdvf t;
        uint8_t mrtd[CVM_MRTD_SIZE];
        char sha[65];
        int r;

        if (in->firmware && (r = load_mrtd(in->firmware, &t, mrtd, sha, err)) < 0)
                return r;
        if (in->vars && (r = cvm_efi_varstore_load(in->vars, &vs, err)) < 0)
                return cvm_error_prefix(err, "--firmware-vars: ");
        return 0;
}

static struct json_object *mrtd_json(const char *path, cvm_error *err) {
        struct json_object *o = json_object_new_object(), *as = json_object_new_array();
        struct cvm_tdvf t;
        uint8_t mrtd[CVM_MRTD_SIZE];
        char hex[2 * CVM_MRTD_SIZE + 1], sha[65];

        if (!path) {
                json_object_object_add(o, "status", json_object_new_string("from the platform"));
                json_object_object_add(o, "reason", json_object_new_string(
                        "the TDX module measures the firmware the VMM loads: give cvm-rewrite --firmware FILE (the TDVF image) to compute it"));
                json_object_put(as);
                return o;
        }
        if (load_mrtd(path, &t, mrtd, sha, err) < 0) {
                json_object_put(o);
                json_object_put(as);
                return NULL;
        }
        json_object_object_add(o, "status", json_object_new_string("predicted"));
        json_object_object_add(o, "value", json_object_new_string(cvm_hex(mrtd, sizeof(mrtd), hex)));
        json_object_object_add(o, "firmware", json_object_new_string(path));
        json_object_object_add(o, "firmware_sha256", json_object_new_string(sha));
        for (const char *const *a = cvm_tdvf_assumptions(); *a; a++)
                json_object_array_add(as, json_object_new_string(*a));
        json_object_object_add(o, "vmm_assumptions", as);
        return o;
}

/* One event of a prediction log as boot_chain lists it. */
static struct json_object *pcr7_event_json(const struct cvm_event *ev) {
        struct json_object *o = json_object_new_object(), *d = json_object_new_object();
        _cleanup_free_ char *data = cvm_hex_alloc(ev->data, ev->data_len);
        char hex[2 * CVM_DIGEST_MAX + 1];

        json_object_object_add(o, "type", json_object_new_string(cvm_event_type_name(ev->type)));
        json_object_object_add(o, "data", data ? json_object_new_string(data) : NULL);
        for (uint32_t i = 0; i < ev->ndigests; i++)
                json_object_object_add(d, cvm_alg_name(ev->digests[i].alg),
                                       json_object_new_string(cvm_hex(ev->digests[i].bytes, ev->digests[i].size, hex)));
        json_object_object_add(o, "digests", d);
        json_object_object_add(o, "source", json_object_new_string("firmware-vars"));
        return o;
}

static struct json_object *pcr7_register(const cvm_eventlog *log, const cvm_replay *rp, bool secure_boot) {
        struct json_object *o = json_object_new_object(), *v = json_object_new_object(), *evs = json_object_new_array();
        const struct cvm_register_value *regs;
        size_t n = cvm_replay_registers(rp, &regs);
        char hex[2 * CVM_DIGEST_MAX + 1];

        json_object_object_add(o, "index", json_object_new_int(7));
        json_object_object_add(o, "name", json_object_new_string("PCR7"));
        json_object_object_add(o, "status", json_object_new_string(secure_boot ? "unpredicted" : "predicted"));
        if (secure_boot)
                json_object_object_add(o, "reason", json_object_new_string(
                        "Secure Boot is on with these variables: the firmware adds an EV_EFI_VARIABLE_AUTHORITY event "
                        "per verified image after the separator; the values cover the configuration events only"));
        for (size_t i = 0; i < n; i++)
                json_object_object_add(v, cvm_alg_name(regs[i].alg), json_object_new_string(cvm_hex(regs[i].digest, regs[i].size, hex)));
        for (size_t i = 0; i < cvm_eventlog_count(log); i++)
                json_object_array_add(evs, pcr7_event_json(cvm_eventlog_event(log, i)));
        json_object_object_add(o, "values", v);
        json_object_object_add(o, "events", evs);
        return o;
}

/* boot_chain's platform list without PCR7, now predicted. */
static void drop_platform_pcr7(struct json_object *boot_chain) {
        struct json_object *plat, *kept = json_object_new_array();

        if (!json_object_object_get_ex(boot_chain, "platform", &plat) || !json_object_is_type(plat, json_type_array)) {
                json_object_put(kept);
                return;
        }
        for (size_t i = 0; i < json_object_array_length(plat); i++) {
                struct json_object *e = json_object_array_get_idx(plat, i), *idx;
                if (json_object_object_get_ex(e, "index", &idx) && json_object_get_int(idx) == 7)
                        continue;
                json_object_array_add(kept, json_object_get(e));
        }
        json_object_object_add(boot_chain, "platform", kept);
}

static int add_pcr7(const char *vars, struct json_object *boot_chain, cvm_error *err) {
        _cleanup_(varstore_freep) cvm_efi_varstore *vs = NULL;
        _cleanup_(eventlog_freep) cvm_eventlog *log = NULL;
        cvm_replay *rp = NULL;
        struct json_object *regs, *fv;
        int r;

        if ((r = cvm_efi_varstore_load(vars, &vs, err)) < 0)
                return cvm_error_prefix(err, "--firmware-vars: ");
        if ((r = cvm_bootchain_new(&log, err)) < 0 || (r = cvm_efi_pcr7_events(vs, log, err)) < 0 ||
            (r = cvm_replay_new(NULL, 0, &rp, err)) < 0 || (r = cvm_replay_add_log(rp, log, err)) < 0) {
                cvm_replay_free(rp);
                return r;
        }
        if (!json_object_object_get_ex(boot_chain, "registers", &regs) || !json_object_is_type(regs, json_type_array)) {
                regs = json_object_new_array();
                json_object_object_add(boot_chain, "registers", regs);
        }
        json_object_array_add(regs, pcr7_register(log, rp, cvm_efi_varstore_secure_boot(vs)));
        cvm_replay_free(rp);
        drop_platform_pcr7(boot_chain);
        fv = json_object_new_object();
        json_object_object_add(fv, "file", json_object_new_string(vars));
        json_object_object_add(fv, "secure_boot", json_object_new_boolean(cvm_efi_varstore_secure_boot(vs)));
        json_object_object_add(boot_chain, "firmware_vars", fv);
        return 0;
}

/* One predicted boot-chain event headed for an RTMR. */
struct chain_event {
        uint64_t recnum;
        uint32_t pcr;
        struct json_object *ev;
};

struct tdx_chain {
        struct chain_event *ev;
        size_t n;
        const char *why[2];     /* RTMR1, RTMR2: why not predicted, NULL if predicted */
};

static int by_recnum(const void *a, const void *b) {
        const struct chain_event *x = a, *y = b;
        return x->recnum < y->recnum ? -1 : x->recnum > y->recnum;
}

static int collect_register(struct tdx_chain *c, struct json_object *reg, uint32_t pcr) {
        struct json_object *evs, *st, *rn, *why;
        const char *status = json_object_object_get_ex(reg, "status", &st) ? json_object_get_string(st) : NULL;
        int slot = pcr <= 6 ? 0 : 1;

        if (!status || strcmp(status, "predicted") != 0) {
                if (!c->why[slot])
                        c->why[slot] = json_object_object_get_ex(reg, "reason", &why) ? json_object_get_string(why)
                                                                                     : "a register it holds is not predicted";
                return 0;
        }
        if (!json_object_object_get_ex(reg, "events", &evs) || !json_object_is_type(evs, json_type_array))
                return -EBADMSG;
        for (size_t i = 0; i < json_object_array_length(evs); i++) {
                struct json_object *e = json_object_array_get_idx(evs, i);
                struct chain_event *ne = reallocarray(c->ev, c->n + 1, sizeof(*ne));
                if (!ne)
                        return -ENOMEM;
                c->ev = ne;
                if (!json_object_object_get_ex(e, "recnum", &rn))
                        return -EBADMSG;
                c->ev[c->n++] = (struct chain_event) { (uint64_t) json_object_get_int64(rn), pcr, e };
        }
        return 0;
}

/* The predicted events of PCR2-6 and 8-15 in prediction order; RTMR1 needs PCR4 and 5, RTMR2 PCR8 and 9. */
static int collect(struct json_object *boot_chain, struct tdx_chain *c, cvm_error *err) {
        struct json_object *regs, *idx;
        bool seen[16] = { false };
        int r;

        if (!json_object_object_get_ex(boot_chain, "registers", &regs) || !json_object_is_type(regs, json_type_array))
                return cvm_error_set(err, EBADMSG, "boot_chain has no registers");
        for (size_t i = 0; i < json_object_array_length(regs); i++) {
                struct json_object *reg = json_object_array_get_idx(regs, i);
                int pcr = json_object_object_get_ex(reg, "index", &idx) ? json_object_get_int(idx) : -1;
                if (pcr < 2 || pcr > 15 || pcr == 7)
                        continue;
                seen[pcr] = true;
                if ((r = collect_register(c, reg, (uint32_t) pcr)) < 0)
                        return r == -ENOMEM ? cvm_error_set(err, ENOMEM, "out of memory")
                                            : cvm_error_set(err, EBADMSG, "boot_chain register PCR%d: an event without a recnum", pcr);
        }
        if (!c->why[0] && (!seen[4] || !seen[5]))
                c->why[0] = "the boot chain has no PCR4 or PCR5 prediction";
        if (!c->why[1] && (!seen[8] || !seen[9]))
                c->why[1] = "the boot chain has no PCR8 or PCR9 prediction";
        qsort(c->ev, c->n, sizeof(*c->ev), by_recnum);
        return 0;
}

/*
 * A PCR log of the collected events (SHA-384 only).  Each event's data is its
 * position in c->ev, so the mapped event leads back to the manifest's entry.
 */
static int chain_log(const struct tdx_chain *c, cvm_eventlog **ret, cvm_error *err) {
        static const struct cvm_log_alg sha384 = { CVM_ALG_SHA384, 48 };
        _cleanup_(eventlog_freep) cvm_eventlog *log = NULL;
        int r;

        if ((r = cvm_eventlog_new_tcg2(CVM_SPACE_PCR, &sha384, 1, &log, err)) < 0)
                return r;
        for (size_t i = 0; i < c->n; i++) {
                struct json_object *t, *ds, *d;
                uint8_t digest[48];
                uint32_t type;
                uint64_t pos = i;
                struct cvm_event_digest dg = { CVM_ALG_SHA384, 48, digest };

                if (!json_object_object_get_ex(c->ev[i].ev, "type", &t) || cvm_event_type_from_name(json_object_get_string(t), &type) < 0 ||
                    !json_object_object_get_ex(c->ev[i].ev, "digests", &ds) || !json_object_object_get_ex(ds, "sha384", &d) ||
                    cvm_unhex(json_object_get_string(d), digest, sizeof(digest)) != (int) sizeof(digest))
                        return cvm_error_set(err, EBADMSG, "boot_chain PCR%u event %llu: no known type or SHA-384 digest",
                                             c->ev[i].pcr, (unsigned long long) c->ev[i].recnum);
                if ((r = cvm_eventlog_append(log, c->ev[i].pcr, type, &dg, 1, &pos, sizeof(pos), err)) < 0)
                        return r;
        }
        *ret = TAKE_PTR(log);
        return 0;
}

struct rtmr {
        struct json_object *events;
        uint8_t value[48];
};

static int extend_event(struct rtmr *m, const char *source, uint32_t pcr, struct json_object *from, const uint8_t *d,
                        cvm_error *err) {
        struct json_object *o = json_object_new_object(), *v;
        char hex[97];

        json_object_object_add(o, "source", json_object_new_string(source));
        if (pcr)
                json_object_object_add(o, "pcr", json_object_new_int((int) pcr));
        for (const char *const *k = (const char *const[]) { "type", "description", "kind", "item", NULL }; *k; k++)
                if (json_object_object_get_ex(from, *k, &v))
                        json_object_object_add(o, *k, json_object_get(v));
        json_object_object_add(o, "sha384", json_object_new_string(cvm_hex(d, 48, hex)));
        json_object_array_add(m->events, o);
        return cvm_extend(CVM_ALG_SHA384, m->value, d, err);
}

/* The mapped boot-chain events of CC MR ccmr, in order. */
static int rtmr_from_chain(const struct tdx_chain *c, const cvm_eventlog *cc, uint32_t ccmr, struct rtmr *m, cvm_error *err) {
        int r;

        for (size_t i = 0; i < cvm_eventlog_count(cc); i++) {
                const struct cvm_event *ev = cvm_eventlog_event(cc, i);
                uint64_t pos;
                if (ev->index != ccmr || ev->data_len != sizeof(pos))
                        continue;
                memcpy(&pos, ev->data, sizeof(pos));
                if ((r = extend_event(m, "boot chain", c->ev[pos].pcr, c->ev[pos].ev, ev->digests[0].bytes, err)) < 0)
                        return r;
        }
        return 0;
}

/* The measurer's RTMR2 events of reference_values.tdx, after the boot chain's (it runs in the initramfs). */
static int rtmr2_measurer(struct json_object *reference, struct rtmr *m, cvm_error *err) {
        struct json_object *tdx, *evs, *idx, *d;
        uint8_t digest[48];
        int r;

        if (!json_object_object_get_ex(reference, "tdx", &tdx) || !json_object_object_get_ex(tdx, "events", &evs))
                return 0;
        for (size_t i = 0; i < json_object_array_length(evs); i++) {
                struct json_object *e = json_object_array_get_idx(evs, i);
                if (!json_object_object_get_ex(e, "index", &idx) || json_object_get_int(idx) != cvm_rtmr_to_ccmr(2))
                        continue;
                if (!json_object_object_get_ex(e, "sha384", &d) || cvm_unhex(json_object_get_string(d), digest, sizeof(digest)) != 48)
                        return cvm_error_set(err, EBADMSG, "reference_values.tdx.events[%zu]: no SHA-384 digest", i);
                if ((r = extend_event(m, "measurer", 0, e, digest, err)) < 0)
                        return r;
        }
        return 0;
}

static struct json_object *rtmr_json(uint32_t rtmr, const char *why, struct rtmr *m) {
        struct json_object *o = json_object_new_object();
        char name[8], hex[97];

        snprintf(name, sizeof(name), "RTMR%u", rtmr);
        json_object_object_add(o, "index", json_object_new_int(cvm_rtmr_to_ccmr(rtmr)));
        json_object_object_add(o, "name", json_object_new_string(name));
        json_object_object_add(o, "status", json_object_new_string(why ? "unpredicted" : "predicted"));
        if (why) {
                json_object_object_add(o, "reason", json_object_new_string(why));
                json_object_put(m->events);
                return o;
        }
        json_object_object_add(o, "alg", json_object_new_string("sha384"));
        json_object_object_add(o, "value", json_object_new_string(cvm_hex(m->value, 48, hex)));
        json_object_object_add(o, "events", m->events);
        return o;
}

static struct json_object *rtmr0_json(void) {
        struct json_object *o = json_object_new_object();

        json_object_object_add(o, "index", json_object_new_int(cvm_rtmr_to_ccmr(0)));
        json_object_object_add(o, "name", json_object_new_string("RTMR0"));
        json_object_object_add(o, "status", json_object_new_string("from the platform"));
        json_object_object_add(o, "reason", json_object_new_string(
                "TDVF measures its TD HOB, configuration volume, ACPI tables, boot variables and PCR7's Secure Boot "
                "variables there: the VMM's and the firmware's, not the image's"));
        return o;
}

static struct json_object *assumptions_json(void) {
        static const char *const a[] = {
                "UEFI CC mapping (UEFI 2.10, 38.4.1): PCR2-6 events into RTMR1, PCR8-15 into RTMR2, SHA-384",
                "OVMF's TdTcg2Dxe of edk2-stable202411 or later: one ReadyToBoot separator, in RTMR1 (earlier TDVF builds "
                "put it into RTMR0, and RTMR1 then lacks it)",
                "nothing else extends RTMR1 or RTMR2 before the measurer: no IMA into an RTMR, no systemd-stub, no other "
                "boot application than the boot chain lists",
                "the measurer's RTMR2 events follow the boot chain's: it runs in the initramfs, after GRUB and the "
                "kernel's EFI stub",
                NULL,
        };
        struct json_object *o = json_object_new_array();

        for (size_t i = 0; a[i]; i++)
                json_object_array_add(o, json_object_new_string(a[i]));
        return o;
}

static int rtmrs(struct tdx_chain *c, struct json_object *reference, struct json_object *regs, cvm_error *err) {
        _cleanup_(eventlog_freep) cvm_eventlog *log = NULL, *cc = NULL;
        struct rtmr m1 = { .events = json_object_new_array() }, m2 = { .events = json_object_new_array() };
        int r;

        if ((r = chain_log(c, &log, err)) < 0 || (r = cvm_eventlog_map_cc(log, CVM_CC_SEPARATOR_RTMR1, &cc, NULL, err)) < 0 ||
            (r = rtmr_from_chain(c, cc, cvm_rtmr_to_ccmr(1), &m1, err)) < 0 ||
            (r = rtmr_from_chain(c, cc, cvm_rtmr_to_ccmr(2), &m2, err)) < 0 || (r = rtmr2_measurer(reference, &m2, err)) < 0) {
                json_object_put(m1.events);
                json_object_put(m2.events);
                return r;
        }
        json_object_array_add(regs, rtmr0_json());
        json_object_array_add(regs, rtmr_json(1, c->why[0], &m1));
        json_object_array_add(regs, rtmr_json(2, c->why[1], &m2));
        return 0;
}

int firmware_predict(const struct firmware_inputs *in, struct json_object *boot_chain, struct json_object *reference,
                     struct json_object **tdx, cvm_error *err) {
        _cleanup_(json_putp) struct json_object *o = json_object_new_object();
        struct json_object *mrtd, *regs = json_object_new_array();
        struct tdx_chain c = { 0 };
        int r;

        json_object_object_add(o, "registers", regs);
        if (in->vars && (r = add_pcr7(in->vars, boot_chain, err)) < 0)
                return r;
        if (!(mrtd = mrtd_json(in->firmware, err)))
                return -err->code;
        json_object_object_add(o, "mrtd", mrtd);
        r = collect(boot_chain, &c, err);
        if (r == 0)
                r = rtmrs(&c, reference, regs, err);
        free(c.ev);
        if (r < 0)
                return r;
        json_object_object_add(o, "assumptions", assumptions_json());
        *tdx = TAKE_PTR(o);
        return 0;
}
