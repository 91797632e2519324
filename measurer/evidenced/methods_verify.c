/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Verify(manifest): this boot's runtime log and live registers against a
 * manifest of reference values, as `cvm-evidence verify` does: the runtime
 * log's events against the manifest's, then each register the manifest
 * lists, live, against the manifest (or against the replay of every log when
 * firmware or IMA events share the register).
 */
#include <string.h>

#include "evidenced.h"
#include "params.h"

static void reference_freep(cvm_reference **r) {
        cvm_reference_free(*r);
}

static void result_clearp(struct cvm_verify_result *r) {
        cvm_verify_result_clear(r);
}

static struct json_object *finding_json(const struct cvm_finding *f) {
        static const char *const names[] = { "changed", "missing", "extra", "register", "instance" };
        struct json_object *o = json_object_new_object();

        json_object_object_add(o, "finding", json_object_new_string(names[f->kind]));
        json_object_object_add(o, "index", json_object_new_int64(f->index));
        if (f->subject)
                json_object_object_add(o, "subject", json_object_new_string(f->subject));
        json_object_object_add(o, "expected", json_object_new_string(f->expected));
        json_object_object_add(o, "got", json_object_new_string(f->got));
        if (f->basis)
                json_object_object_add(o, "basis", json_object_new_string(f->basis));
        if (f->secret)
                json_object_object_add(o, "secret", json_object_new_boolean(1));
        return o;
}

static struct json_object *result_json(struct evd *d, const cvm_reference *ref, const struct cvm_verify_result *res) {
        struct json_object *o = json_object_new_object(), *a = json_object_new_array();

        for (size_t i = 0; i < res->nfindings; i++)
                json_object_array_add(a, finding_json(&res->findings[i]));
        json_object_object_add(o, "match", json_object_new_boolean(cvm_verify_mismatches(res) == 0));
        json_object_object_add(o, "algorithm", json_object_new_string(cvm_alg_name(cvm_reference_alg(ref))));
        json_object_object_add(o, "expectedEvents", json_object_new_int64((int64_t) res->expected_events));
        json_object_object_add(o, "matchedEvents", json_object_new_int64((int64_t) res->matched_events));
        json_object_object_add(o, "otherEvents", json_object_new_int64((int64_t) res->other_events));
        json_object_object_add(o, "registersChecked", json_object_new_int64((int64_t) res->registers_checked));
        json_object_object_add(o, "simulated", json_object_new_boolean(cvm_imr_simulated(d->imr)));
        json_object_object_add(o, "findings", a);
        return o;
}

int evd_method_verify(struct evd *d, struct evd_conn *c, struct json_object *params, struct json_object **reply,
                      struct evd_error *e) {
        _cleanup_(reference_freep) cvm_reference *ref = NULL;
        _cleanup_(result_clearp) struct cvm_verify_result res = { 0 };
        const char *text, *runtime = d->runtime_log ? d->runtime_log : CVM_RUNTIME_LOG;
        const struct cvm_platform_log *pl;
        const cvm_eventlog *log = NULL;
        cvm_error err = { 0 };

        (void) c;
        if (param_string(params, "manifest", &text, e) < 0)
                return -1;
        if (!text)
                return evd_invalid_parameter(e, "manifest");
        if (cvm_reference_parse((const uint8_t *) text, strlen(text), "manifest", cvm_imr_space(d->imr), &ref, &err) < 0)
                return evd_error_set(e, EVD_INTERFACE ".ManifestError", "%s", err.msg);
        if (!(pl = evd_platform_log(d, e)))
                return -1;
        for (size_t i = 0; i < pl->nlogs; i++)
                if (strcmp(pl->paths[i], runtime) == 0)
                        log = pl->logs[i];
        if (!log)
                return evd_error_set(e, EVD_INTERFACE ".LogError", "%s: no runtime log on this boot", runtime);
        if (cvm_verify_log(ref, log, &res, &err) < 0 || cvm_verify_live(ref, d->imr, pl, runtime, &res, &err) < 0)
                return evd_error_set(e, EVD_INTERFACE ".DeviceError", "%s", err.msg);
        *reply = result_json(d, ref, &res);
        return 0;
}
