/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One varlink call: parse the message (json-c), find the method, apply the
 * caller's rights, run the handler and build the reply or the varlink error.
 * org.varlink.service answers anyone connected (introspection); every
 * io.cvmkit.Evidence method needs the read right, Extend the extend right.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "evidenced.h"

#define VARLINK_SERVICE "org.varlink.service"

struct method {
        const char *name;
        evd_method_fn fn;
        bool extend;
};

static const struct method methods[] = {
        { "GetInfo", evd_method_get_info, false },
        { "GetMeasurementCount", evd_method_measurement_count, false },
        { "GetMeasurement", evd_method_measurement, false },
        { "GetEventLog", evd_method_event_log, false },
        { "GetContainerEventLog", evd_method_container_event_log, false },
        { "GetQuote", evd_method_quote, false },
        { "Check", evd_method_check, false },
        { "Verify", evd_method_verify, false },
        { "Extend", evd_method_extend, true },
};

int evd_error_set(struct evd_error *e, const char *name, const char *fmt, ...) {
        char msg[1024];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        e->name = name;
        if (!e->params)
                e->params = json_object_new_object();
        if (e->params)
                json_object_object_add(e->params, "message", json_object_new_string(msg));
        return -1;
}

int evd_invalid_parameter(struct evd_error *e, const char *name) {
        e->params = json_object_new_object();
        if (e->params)
                json_object_object_add(e->params, "parameter", json_object_new_string(name));
        e->name = VARLINK_SERVICE ".InvalidParameter";
        return -1;
}

static struct json_object *error_reply(struct evd_error *e) {
        struct json_object *o = json_object_new_object();

        if (!o) {
                json_object_put(e->params);
                return NULL;
        }
        json_object_object_add(o, "error", json_object_new_string(e->name));
        json_object_object_add(o, "parameters", e->params ? e->params : json_object_new_object());
        e->params = NULL;
        return o;
}

static struct json_object *service_info(void) {
        struct json_object *o = json_object_new_object(), *ifs = json_object_new_array();

        json_object_object_add(o, "vendor", json_object_new_string("cvmkit"));
        json_object_object_add(o, "product", json_object_new_string("cvm-evidenced"));
        json_object_object_add(o, "version", json_object_new_string(cvm_version()));
        json_object_object_add(o, "url", json_object_new_string("man:cvm-evidenced(8)"));
        json_object_array_add(ifs, json_object_new_string(VARLINK_SERVICE));
        json_object_array_add(ifs, json_object_new_string(EVD_INTERFACE));
        json_object_object_add(o, "interfaces", ifs);
        return o;
}

/* org.varlink.service: GetInfo and GetInterfaceDescription. */
static int call_service(const char *member, struct json_object *params, struct json_object **reply, struct evd_error *e) {
        struct json_object *iface;
        const char *name;

        if (strcmp(member, "GetInfo") == 0) {
                *reply = service_info();
                return 0;
        }
        if (strcmp(member, "GetInterfaceDescription") != 0)
                return evd_error_set(e, VARLINK_SERVICE ".MethodNotFound", VARLINK_SERVICE ".%s", member);
        if (!json_object_object_get_ex(params, "interface", &iface) || !json_object_is_type(iface, json_type_string))
                return evd_invalid_parameter(e, "interface");
        name = json_object_get_string(iface);
        *reply = json_object_new_object();
        if (strcmp(name, EVD_INTERFACE) == 0)
                json_object_object_add(*reply, "description", json_object_new_string(evd_interface_description));
        else if (strcmp(name, VARLINK_SERVICE) == 0)
                json_object_object_add(*reply, "description", json_object_new_string(
                        "interface org.varlink.service\n"
                        "method GetInfo() -> (vendor: string, product: string, version: string, url: string, interfaces: []string)\n"
                        "method GetInterfaceDescription(interface: string) -> (description: string)\n"
                        "error InterfaceNotFound (interface: string)\n"
                        "error MethodNotFound (method: string)\n"
                        "error MethodNotImplemented (method: string)\n"
                        "error InvalidParameter (parameter: string)\n"));
        else {
                json_object_put(*reply);
                *reply = NULL;
                e->params = json_object_new_object();
                json_object_object_add(e->params, "interface", json_object_new_string(name));
                e->name = VARLINK_SERVICE ".InterfaceNotFound";
                return -1;
        }
        return 0;
}

static int denied(struct evd_conn *c, const char *method, struct evd_error *e) {
        e->params = json_object_new_object();
        json_object_object_add(e->params, "method", json_object_new_string(method));
        json_object_object_add(e->params, "uid", json_object_new_int64(c->peer.cred.uid));
        return evd_error_set(e, EVD_INTERFACE ".PermissionDenied", "uid %u may not call %s (see --group, --extend-group)",
                             (unsigned) c->peer.cred.uid, method);
}

static int call_evidence(struct evd *d, struct evd_conn *c, const char *member, struct json_object *params,
                         struct json_object **reply, struct evd_error *e) {
        char who[CGROUP_PATH_MAX + 256];

        for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
                if (strcmp(member, methods[i].name) != 0)
                        continue;
                if (methods[i].extend) {
                        evd_peer_describe(&c->peer, who, sizeof(who));
                        log_info("Extend %s by %s", c->peer.may_extend ? "requested" : "refused", who);
                }
                if (!(methods[i].extend ? c->peer.may_extend : c->peer.may_read))
                        return denied(c, member, e);
                return methods[i].fn(d, c, params, reply, e);
        }
        return evd_error_set(e, VARLINK_SERVICE ".MethodNotFound", EVD_INTERFACE ".%s", member);
}

/* The call's method and parameters, or an error if the message is not a varlink call. */
static int parse_call(struct evd *d, const char *msg, size_t len, struct json_object **call, const char **method,
                      struct json_object **params, bool *oneway, struct evd_error *e) {
        json_tokener *tok = d->tok;
        struct json_object *m, *p, *ow;

        /* One tokener for the daemon's life, reset per call: a new one per call was a visible share of the request path. */
        if (!tok && !(tok = d->tok = json_tokener_new()))
                return evd_error_set(e, EVD_INTERFACE ".DeviceError", "out of memory");
        json_tokener_reset(tok);
        *call = json_tokener_parse_ex(tok, msg, (int) len);
        if (!*call || json_tokener_get_error(tok) != json_tokener_success || tok->char_offset != (int) len)
                return evd_error_set(e, VARLINK_SERVICE ".InvalidParameter", "request is not one JSON value: %s",
                                     json_tokener_error_desc(json_tokener_get_error(tok)));
        if (!json_object_is_type(*call, json_type_object) || !json_object_object_get_ex(*call, "method", &m) ||
            !json_object_is_type(m, json_type_string))
                return evd_error_set(e, VARLINK_SERVICE ".InvalidParameter", "request is not an object with a method string");
        *method = json_object_get_string(m);
        if (json_object_object_get_ex(*call, "parameters", &p) && !json_object_is_type(p, json_type_object))
                return evd_invalid_parameter(e, "parameters");
        *params = p;
        *oneway = json_object_object_get_ex(*call, "oneway", &ow) && json_object_get_boolean(ow);
        return 0;
}

struct json_object *evd_dispatch(struct evd *d, struct evd_conn *c, const char *msg, size_t len, bool *oneway) {
        _cleanup_(evd_json_putp) struct json_object *call = NULL;
        struct json_object *params = NULL, *reply = NULL, *o;
        struct evd_error e = { 0 };
        const char *method = NULL, *dot;
        int r;

        *oneway = false;
        d->requests++;
        r = parse_call(d, msg, len, &call, &method, &params, oneway, &e);
        if (r == 0) {
                dot = strrchr(method, '.');
                if (!dot || dot == method)
                        r = evd_error_set(&e, VARLINK_SERVICE ".InterfaceNotFound", "method '%s' names no interface", method);
                else if ((size_t) (dot - method) == strlen(VARLINK_SERVICE) && strncmp(method, VARLINK_SERVICE, (size_t) (dot - method)) == 0)
                        r = call_service(dot + 1, params, &reply, &e);
                else if ((size_t) (dot - method) == strlen(EVD_INTERFACE) && strncmp(method, EVD_INTERFACE, (size_t) (dot - method)) == 0)
                        r = call_evidence(d, c, dot + 1, params, &reply, &e);
                else
                        r = evd_error_set(&e, VARLINK_SERVICE ".InterfaceNotFound", "no interface %.*s", (int) (dot - method), method);
        }
        if (r < 0 && !*oneway)
                return error_reply(&e);
        json_object_put(e.params);
        if (*oneway) {
                json_object_put(reply);
                return NULL;
        }
        o = json_object_new_object();
        if (o)
                json_object_object_add(o, "parameters", reply ? reply : json_object_new_object());
        else
                json_object_put(reply);
        return o;
}
