/* SPDX-License-Identifier: Apache-2.0 */
/* The reading methods of io.cvmkit.Evidence: GetInfo, GetMeasurementCount, GetMeasurement, GetEventLog. */
#include <stdlib.h>
#include <string.h>

#include <json-c/printbuf.h>

#include "evidenced.h"
#include "params.h"

int evd_method_get_info(struct evd *d, struct evd_conn *c, struct json_object *params, struct json_object **reply,
                        struct evd_error *e) {
        struct json_object *o = json_object_new_object(), *banks = json_object_new_array();
        const uint16_t *b;
        size_t n = cvm_imr_banks(d->imr, &b);

        (void) params;
        (void) e;
        for (size_t i = 0; i < n; i++)
                json_object_array_add(banks, json_object_new_string(cvm_alg_name(b[i])));
        json_object_object_add(o, "backend", json_object_new_string(cvm_backend_name(cvm_imr_backend(d->imr))));
        json_object_object_add(o, "simulated", json_object_new_boolean(cvm_imr_simulated(d->imr)));
        json_object_object_add(o, "registerSpace",
                               json_object_new_string(cvm_imr_space(d->imr) == CVM_SPACE_CCMR ? "cc-mr" : "pcr"));
        json_object_object_add(o, "registerCount", json_object_new_int64(cvm_imr_count(d->imr)));
        json_object_object_add(o, "banks", banks);
        json_object_object_add(o, "defaultAlgorithm", json_object_new_string(cvm_alg_name(cvm_imr_default_alg(d->imr))));
        json_object_object_add(o, "readVia", json_object_new_string(cvm_imr_read_via(d->imr)));
        json_object_object_add(o, "extendVia", json_object_new_string(cvm_imr_extend_via(d->imr)));
        json_object_object_add(o, "canExtend", json_object_new_boolean(cvm_imr_can_extend(d->imr, NULL) == 0));
        json_object_object_add(o, "version", json_object_new_string(cvm_version()));
        json_object_object_add(o, "caller", evd_peer_json(&c->peer));
        *reply = o;
        return 0;
}

int evd_method_measurement_count(struct evd *d, struct evd_conn *c, struct json_object *params,
                                 struct json_object **reply, struct evd_error *e) {
        (void) c;
        (void) params;
        (void) e;
        *reply = json_object_new_object();
        json_object_object_add(*reply, "count", json_object_new_int64(cvm_imr_count(d->imr)));
        json_object_object_add(*reply, "simulated", json_object_new_boolean(cvm_imr_simulated(d->imr)));
        return 0;
}

int evd_method_measurement(struct evd *d, struct evd_conn *c, struct json_object *params, struct json_object **reply,
                           struct evd_error *e) {
        uint8_t digest[CVM_DIGEST_MAX];
        char hex[2 * CVM_DIGEST_MAX + 1];
        cvm_error err = { 0 };
        uint64_t index;
        uint16_t alg;
        bool present;

        (void) c;
        if (param_uint(params, "index", UINT32_MAX, &index, &present, e) < 0)
                return -1;
        if (!present)
                return evd_invalid_parameter(e, "index");
        if (param_alg(d, params, "algorithm", &alg, e) < 0 || check_index(d, index, e) < 0)
                return -1;
        if (evd_regcache_read(&d->regs, d->imr, (uint32_t) index, alg, digest, &err) < 0)
                return evd_error_set(e, EVD_INTERFACE ".DeviceError", "%s", err.msg);
        cvm_hex(digest, (size_t) cvm_alg_size(alg), hex);
        *reply = json_object_new_object();
        json_object_object_add(*reply, "index", json_object_new_int64((int64_t) index));
        json_object_object_add(*reply, "algorithm", json_object_new_string(cvm_alg_name(alg)));
        json_object_object_add(*reply, "digest", json_object_new_string(hex));
        json_object_object_add(*reply, "simulated", json_object_new_boolean(cvm_imr_simulated(d->imr)));
        return 0;
}

/* The events, pre-rendered: a JSON array whose serializer copies the cached text. */
struct rendered {
        const char *text;
        size_t len;
};

static int rendered_serialize(struct json_object *o, struct printbuf *pb, int level, int flags) {
        const struct rendered *r = json_object_get_userdata(o);

        (void) level;
        (void) flags;
        if (printbuf_memappend(pb, "[", 1) < 0 || (r->len && printbuf_memappend(pb, r->text, (int) r->len) < 0))
                return -1;
        return printbuf_memappend(pb, "]", 1);
}

static void rendered_free(struct json_object *o, void *userdata) {
        (void) o;
        free(userdata);
}

static struct json_object *events_json(struct evd *d, size_t start, size_t count, struct evd_error *e) {
        struct rendered *r = malloc(sizeof(*r));
        struct json_object *a;

        if (!r) {
                evd_error_set(e, EVD_INTERFACE ".LogError", "out of memory");
                return NULL;
        }
        if (evd_events_json(d, start, count, &r->text, &r->len, e) < 0) {
                free(r);
                return NULL;
        }
        if (r->len > INT32_MAX || !(a = json_object_new_array())) {
                evd_error_set(e, EVD_INTERFACE ".LogError", "%zu bytes of events do not fit one reply: ask for fewer", r->len);
                free(r);
                return NULL;
        }
        json_object_set_serializer(a, rendered_serialize, r, rendered_free);
        return a;
}

int evd_method_event_log(struct evd *d, struct evd_conn *c, struct json_object *params, struct json_object **reply,
                         struct evd_error *e) {
        const struct cvm_platform_log *pl;
        struct json_object *events, *warnings;
        uint64_t start, count;
        size_t total;
        bool present;

        (void) c;
        if (param_uint(params, "start", SIZE_MAX, &start, &present, e) < 0 ||
            param_uint(params, "count", SIZE_MAX, &count, &present, e) < 0)
                return -1;
        if (!present)
                count = d->lim.max_events;
        if (!(pl = evd_platform_log(d, e)))
                return -1;
        total = cvm_platform_log_count(pl);
        if (start > total) {
                e->params = json_object_new_object();
                json_object_object_add(e->params, "index", json_object_new_int64((int64_t) start));
                json_object_object_add(e->params, "count", json_object_new_int64((int64_t) total));
                return evd_error_set(e, EVD_INTERFACE ".NoSuchIndex", "start %llu is past the log's %zu events",
                                     (unsigned long long) start, total);
        }
        count = count < total - start ? count : total - start;
        if (count > d->lim.max_events)
                return evd_error_set(e, "org.varlink.service.InvalidParameter",
                                     "count %llu is over the limit of %zu events per call (see --max-events)",
                                     (unsigned long long) count, d->lim.max_events);
        if (!(events = events_json(d, (size_t) start, (size_t) count, e)))
                return -1;
        warnings = json_object_new_array();
        for (size_t i = 0; i < pl->nwarnings; i++)
                json_object_array_add(warnings, json_object_new_string(pl->warnings[i]));
        *reply = json_object_new_object();
        json_object_object_add(*reply, "total", json_object_new_int64((int64_t) total));
        json_object_object_add(*reply, "start", json_object_new_int64((int64_t) start));
        json_object_object_add(*reply, "events", events);
        json_object_object_add(*reply, "warnings", warnings);
        json_object_object_add(*reply, "simulated", json_object_new_boolean(cvm_imr_simulated(d->imr)));
        return 0;
}
