/* SPDX-License-Identifier: Apache-2.0 */
/*
 * GetContainerEventLog: one container's view of the IMA measurement list,
 * where the kernel records the cgroup of each measurement (the ima-cgpath
 * and ima-dep-cgn templates of Intel's CCNP/CIMA kernels; see
 * eventlog_ima.c): the events whose cgroup maps to the container, and the
 * register those events alone replay to from zero (CIMA's container
 * measurement), which a verifier recomputes from the same events.
 *
 * The caller gets its own container (its cgroup, learnt at accept); root on
 * the host may name any container by ID.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "evidenced.h"
#include "params.h"

#define IMA_LIST "/sys/kernel/security/ima/binary_runtime_measurements"

static void log_freep(cvm_eventlog **p) {
        cvm_eventlog_free(*p);
}

/* The container ID of a cgroup field: the path's container, or a cgn that is a bare or prefixed 64-hex ID. */
static bool event_container(const struct cvm_event *ev, char id[CONTAINER_ID_MAX + 1]) {
        char path[CGROUP_PATH_MAX + 16];
        struct container_identity ci;
        const char *cg;
        size_t len;

        if (cvm_ima_event_cgroup(ev, &cg, &len) < 0 || len >= CGROUP_PATH_MAX)
                return false;
        /* A cgn is one component: under a "kubepods" parent, cgroup_container takes a bare ID too. */
        snprintf(path, sizeof(path), "%s%.*s", memchr(cg, '/', len) ? "" : "/kubepods/", (int) len, cg);
        cgroup_container(path, &ci);
        if (!ci.runtime)
                return false;
        memcpy(id, ci.id, sizeof(ci.id));
        return true;
}

/* Which container: the parameter (root only, or the caller's own), else the caller's; 0 or -1 with e set. */
static int target(struct evd_conn *c, struct json_object *params, char id[CONTAINER_ID_MAX + 1], struct evd_error *e) {
        const struct container_identity *own = &c->peer.container;
        const char *want;

        if (param_string(params, "containerId", &want, e) < 0)
                return -1;
        if (want && strlen(want) != CONTAINER_ID_MAX)
                return evd_invalid_parameter(e, "containerId");
        if (want && c->peer.cred.uid != 0 && !(own->runtime && strcmp(want, own->id) == 0)) {
                e->params = json_object_new_object();
                json_object_object_add(e->params, "method", json_object_new_string("GetContainerEventLog"));
                json_object_object_add(e->params, "uid", json_object_new_int64(c->peer.cred.uid));
                return evd_error_set(e, EVD_INTERFACE ".PermissionDenied", "uid %u may ask for its own container only",
                                     (unsigned) c->peer.cred.uid);
        }
        if (!want && !own->runtime)
                return evd_error_set(e, EVD_INTERFACE ".NotInContainer",
                                     "the caller's cgroup %s names no container (root may pass containerId)", c->peer.cgroup);
        snprintf(id, CONTAINER_ID_MAX + 1, "%s", want ? want : own->id);
        return 0;
}

/* The bank to replay in: any hash IMA can use (a verifier's choice, not only the device's banks); default the device's. */
static int container_alg(struct evd *d, struct json_object *params, uint16_t *alg, struct evd_error *e) {
        const char *s;

        if (param_string(params, "algorithm", &s, e) < 0)
                return -1;
        if (!s) {
                *alg = cvm_imr_default_alg(d->imr);
                return 0;
        }
        if (cvm_alg_from_name(s, alg) == 0 && cvm_alg_size(*alg) > 0)
                return 0;
        e->params = json_object_new_object();
        json_object_object_add(e->params, "algorithm", json_object_new_string(s));
        return evd_error_set(e, EVD_INTERFACE ".NoSuchAlgorithm", "'%s' is not a hash algorithm this service knows", s);
}

static struct json_object *event_json(const struct cvm_event *ev, const char *hex) {
        struct json_object *o = json_object_new_object();
        const char *cg;
        size_t len;

        cvm_ima_event_cgroup(ev, &cg, &len);
        json_object_object_add(o, "recnum", json_object_new_int64((int64_t) ev->recnum));
        json_object_object_add(o, "index", json_object_new_int64(ev->index));
        json_object_object_add(o, "template", json_object_new_string(ev->template_name));
        json_object_object_add(o, "cgroup", json_object_new_string_len(cg, (int) len));
        json_object_object_add(o, "digest", json_object_new_string(hex));
        return o;
}

/* The container's events of log into events, each extended into reg (alg); 0 or -1 with e set. */
static int select_events(const cvm_eventlog *log, const char *id, uint16_t alg, uint8_t *reg, struct json_object *events,
                         struct evd_error *e) {
        uint8_t dg[CVM_DIGEST_MAX];
        char hex[2 * CVM_DIGEST_MAX + 1], eid[CONTAINER_ID_MAX + 1];
        cvm_error err = { 0 };

        for (size_t i = 0; i < cvm_eventlog_count(log); i++) {
                const struct cvm_event *ev = cvm_eventlog_event(log, i);
                if (!event_container(ev, eid) || strcmp(eid, id) != 0)
                        continue;
                if (cvm_ima_event_digest(ev, alg, dg, &err) < 0 || cvm_extend(alg, reg, dg, &err) < 0)
                        return evd_error_set(e, EVD_INTERFACE ".LogError", "IMA event %zu: %s", i, err.msg);
                json_object_array_add(events, event_json(ev, cvm_hex(dg, (size_t) cvm_alg_size(alg), hex)));
        }
        return 0;
}

int evd_method_container_event_log(struct evd *d, struct evd_conn *c, struct json_object *params, struct json_object **reply,
                                   struct evd_error *e) {
        _cleanup_(log_freep) cvm_eventlog *log = NULL;
        _cleanup_(evd_json_putp) struct json_object *events = NULL;
        uint8_t reg[CVM_DIGEST_MAX] = { 0 };
        char id[CONTAINER_ID_MAX + 1], path[4096], hex[2 * CVM_DIGEST_MAX + 1];
        cvm_error err = { 0 };
        uint16_t alg;

        if (target(c, params, id, e) < 0 || container_alg(d, params, &alg, e) < 0)
                return -1;
        snprintf(path, sizeof(path), "%s%s", d->sysroot && strcmp(d->sysroot, "/") != 0 ? d->sysroot : "", IMA_LIST);
        if (cvm_eventlog_load(path, CVM_LOG_IMA, &log, &err) < 0)
                return evd_error_set(e, EVD_INTERFACE ".LogError", "%s", err.msg);
        if (!(events = json_object_new_array()) || select_events(log, id, alg, reg, events, e) < 0)
                return events ? -1 : evd_error_set(e, EVD_INTERFACE ".LogError", "out of memory");
        *reply = json_object_new_object();
        json_object_object_add(*reply, "containerId", json_object_new_string(id));
        json_object_object_add(*reply, "algorithm", json_object_new_string(cvm_alg_name(alg)));
        json_object_object_add(*reply, "count", json_object_new_int64((int64_t) json_object_array_length(events)));
        json_object_object_add(*reply, "replayed", json_object_new_string(cvm_hex(reg, (size_t) cvm_alg_size(alg), hex)));
        json_object_object_add(*reply, "events", TAKE_PTR(events));
        json_object_object_add(*reply, "caller", evd_peer_json(&c->peer));
        return 0;
}
