/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The methods that use the device beyond a register read: GetQuote, Check,
 * Extend.  The daemon is one thread, so calls reach the device one at a time
 * (a quote is serialized by construction, as the TPM and the TDX quote
 * interface require).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "evidenced.h"
#include "params.h"

#define MAX_NONCE 1024

static void report_freep(struct cvm_report **p) {
        cvm_report_free(*p);
}

static void replay_freep(cvm_replay **p) {
        cvm_replay_free(*p);
}

int evd_method_quote(struct evd *d, struct evd_conn *c, struct json_object *params, struct json_object **reply,
                     struct evd_error *e) {
        _cleanup_free_ uint8_t *nonce = NULL, *user = NULL;
        _cleanup_(report_freep) struct cvm_report *rep = NULL;
        _cleanup_free_ char *rd = NULL, *quote = NULL;
        struct cvm_report_request req = { 0 };
        cvm_error err = { 0 };
        int r;

        if (param_hex(params, "nonce", MAX_NONCE, &nonce, &req.nonce_len, e) < 0 ||
            param_hex(params, "userData", MAX_NONCE, &user, &req.user_data_len, e) < 0)
                return -1;
        req.nonce = nonce;
        req.user_data = user;
        r = cvm_imr_report(d->imr, &req, &rep, &err);
        if (r < 0)
                return evd_error_set(e, r == -EOPNOTSUPP ? EVD_INTERFACE ".NotSupported" : EVD_INTERFACE ".DeviceError",
                                     "%s%s", cvm_imr_simulated(d->imr) ? "SIMULATED device: " : "", err.msg);
        rd = cvm_hex_alloc(rep->report_data, rep->report_data_len);
        quote = cvm_hex_alloc(rep->quote, rep->quote_len);
        if (!rd || !quote)
                return evd_error_set(e, EVD_INTERFACE ".DeviceError", "out of memory");
        *reply = json_object_new_object();
        json_object_object_add(*reply, "quoteType", json_object_new_string(rep->type == CVM_QUOTE_TDX ? "tdx" : "tpm2"));
        json_object_object_add(*reply, "reportData", json_object_new_string(rd));
        json_object_object_add(*reply, "quote", json_object_new_string(quote));
        json_object_object_add(*reply, "report", cvm_report_to_json(rep));
        json_object_object_add(*reply, "caller", evd_peer_json(&c->peer));
        return 0;
}

static struct json_object *check_json(const struct cvm_register_check *k) {
        struct json_object *o = json_object_new_object();
        char live[2 * CVM_DIGEST_MAX + 1], replayed[2 * CVM_DIGEST_MAX + 1];

        json_object_object_add(o, "index", json_object_new_int64(k->index));
        json_object_object_add(o, "algorithm", json_object_new_string(cvm_alg_name(k->alg)));
        json_object_object_add(o, "live", json_object_new_string(cvm_hex(k->live, k->size, live)));
        json_object_object_add(o, "replayed", json_object_new_string(cvm_hex(k->replayed, k->size, replayed)));
        json_object_object_add(o, "extends", json_object_new_int64((int64_t) k->nextends));
        json_object_object_add(o, "match", json_object_new_boolean(k->match));
        return o;
}

/* A replay of every log of this boot in the device's banks. */
static cvm_replay *replay_platform(struct evd *d, struct evd_error *e) {
        const struct cvm_platform_log *pl = evd_platform_log(d, e);
        const uint16_t *banks;
        size_t nbanks = cvm_imr_banks(d->imr, &banks);
        cvm_error err = { 0 };
        cvm_replay *r = NULL;

        if (!pl)
                return NULL;
        if (cvm_replay_new(banks, nbanks, &r, &err) < 0) {
                evd_error_set(e, EVD_INTERFACE ".LogError", "%s", err.msg);
                return NULL;
        }
        for (size_t i = 0; i < pl->nlogs; i++)
                if (cvm_replay_add_log(r, pl->logs[i], &err) < 0) {
                        evd_error_set(e, EVD_INTERFACE ".LogError", "%s: %s", pl->paths[i], err.msg);
                        cvm_replay_free(r);
                        return NULL;
                }
        return r;
}

int evd_method_check(struct evd *d, struct evd_conn *c, struct json_object *params, struct json_object **reply,
                     struct evd_error *e) {
        _cleanup_(replay_freep) cvm_replay *r = NULL;
        _cleanup_free_ struct cvm_register_check *checks = NULL;
        struct json_object *regs;
        cvm_error err = { 0 };
        size_t n = 0;
        int mism;

        (void) c;
        (void) params;
        if (!(r = replay_platform(d, e)))
                return -1;
        mism = cvm_replay_check(r, d->imr, &checks, &n, &err);
        if (mism < 0)
                return evd_error_set(e, EVD_INTERFACE ".DeviceError", "%s", err.msg);
        regs = json_object_new_array();
        for (size_t i = 0; i < n; i++)
                json_object_array_add(regs, check_json(&checks[i]));
        *reply = json_object_new_object();
        json_object_object_add(*reply, "match", json_object_new_boolean(mism == 0));
        json_object_object_add(*reply, "mismatches", json_object_new_int64(mism));
        json_object_object_add(*reply, "simulated", json_object_new_boolean(cvm_imr_simulated(d->imr)));
        json_object_object_add(*reply, "registers", regs);
        return 0;
}

/* The Extend request's digest, if one was given: its bank must be active and its size the bank's. */
static int extend_digest(struct evd *d, struct json_object *params, uint8_t **buf, struct cvm_event_digest *dg,
                         struct evd_error *e) {
        size_t len;
        uint16_t alg;

        if (param_hex(params, "digest", CVM_DIGEST_MAX, buf, &len, e) < 0)
                return -1;
        if (!*buf)
                return 0;
        if (param_alg(d, params, "algorithm", &alg, e) < 0)
                return -1;
        if (len != (size_t) cvm_alg_size(alg))
                return evd_invalid_parameter(e, "digest");
        *dg = (struct cvm_event_digest) { alg, (uint16_t) len, *buf };
        return 1;
}

int evd_method_extend(struct evd *d, struct evd_conn *c, struct json_object *params, struct json_object **reply,
                      struct evd_error *e) {
        _cleanup_free_ uint8_t *digest = NULL;
        struct cvm_event_digest dg;
        uint64_t index, type;
        const char *data;
        cvm_error err = { 0 };
        bool present, has_type;
        int nd;

        if (param_uint(params, "index", UINT32_MAX, &index, &present, e) < 0 ||
            param_uint(params, "eventType", UINT32_MAX, &type, &has_type, e) < 0 ||
            param_string(params, "data", &data, e) < 0 || (nd = extend_digest(d, params, &digest, &dg, e)) < 0)
                return -1;
        if (!present)
                return evd_invalid_parameter(e, "index");
        if (!data && nd == 0)
                return evd_invalid_parameter(e, "data");
        if (check_index(d, index, e) < 0)
                return -1;
        if (cvm_runtime_extend(d->imr, d->runtime_log ? d->runtime_log : CVM_RUNTIME_LOG, (uint32_t) index,
                               has_type ? (uint32_t) type : CVM_EV_EVENT_TAG, data ? data : "", data ? strlen(data) : 0,
                               nd ? &dg : NULL, (size_t) nd, &err) < 0)
                return evd_error_set(e, EVD_INTERFACE ".DeviceError", "%s%s", cvm_imr_simulated(d->imr) ? "SIMULATED device: " : "",
                                     err.msg);
        evd_platform_log_drop(d);
        evd_regcache_drop(&d->regs);
        log_info("Extend of register %llu done", (unsigned long long) index);
        *reply = json_object_new_object();
        json_object_object_add(*reply, "index", json_object_new_int64((int64_t) index));
        json_object_object_add(*reply, "simulated", json_object_new_boolean(cvm_imr_simulated(d->imr)));
        json_object_object_add(*reply, "caller", evd_peer_json(&c->peer));
        return 0;
}
