/* SPDX-License-Identifier: Apache-2.0 */
/* The manifest's predicted boot chain, checked and looked up for the reference-value export (see reference_chain.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "reference_chain.h"
#include "internal.h"

static struct json_object *get(struct json_object *o, const char *key) {
        struct json_object *v;
        return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static bool is_type(struct json_object *o, enum json_type t) {
        return o && json_object_is_type(o, t);
}

/* Lower-case hex of exactly digits digits. */
static bool is_hex(struct json_object *s, size_t digits) {
        const char *p = is_type(s, json_type_string) ? json_object_get_string(s) : NULL;
        return p && strlen(p) == digits && strspn(p, "0123456789abcdef") == digits;
}

static bool predicted(struct json_object *o) {
        return strcmp(json_object_get_string(get(o, "status")), "predicted") == 0;
}

/* One event of a predicted TPM register: {type, source (string or null), digests.sha256}. */
static int check_event(struct json_object *e, const char *file, const char *at, cvm_error *err) {
        struct json_object *src = get(e, "source");

        if (!is_type(e, json_type_object) || !is_type(get(e, "type"), json_type_string) ||
            (src && !is_type(src, json_type_string)) || !is_hex(get(get(e, "digests"), "sha256"), 64))
                return cvm_error_set(err, EINVAL, "%s: %s: expected {type, source, digests: {sha256: 64 hex digits}}", file, at);
        return 0;
}

/* boot_chain.registers[i]: {index 0-23, status, and when predicted values.sha256 and events[]}. */
static int check_pcr(struct json_object *o, size_t i, const char *file, cvm_error *err) {
        struct json_object *idx = get(o, "index"), *evs = get(o, "events");
        char at[80];
        int r;

        snprintf(at, sizeof(at), "boot_chain.registers[%zu]", i);
        if (!is_type(o, json_type_object) || !is_type(idx, json_type_int) || json_object_get_int64(idx) < 0 ||
            json_object_get_int64(idx) > 23 || !is_type(get(o, "status"), json_type_string))
                return cvm_error_set(err, EINVAL, "%s: %s: expected {index: 0-23, status}", file, at);
        if (!predicted(o))
                return 0;
        if (!is_hex(get(get(o, "values"), "sha256"), 64) || !is_type(evs, json_type_array))
                return cvm_error_set(err, EINVAL, "%s: %s: a predicted register needs values.sha256 (64 hex digits) and events[]",
                                     file, at);
        for (size_t k = 0; k < json_object_array_length(evs); k++) {
                char ev[128];
                snprintf(ev, sizeof(ev), "%s.events[%zu]", at, k);
                if ((r = check_event(json_object_array_get_idx(evs, k), file, ev, err)) < 0)
                        return r;
        }
        return 0;
}

/* A boot_chain_tdx entry at `at`: {status, and when predicted a sha384 value}; index 0-3 where has_index. */
static int check_mr(struct json_object *o, bool has_index, const char *file, const char *at, cvm_error *err) {
        struct json_object *idx = get(o, "index");

        if (!is_type(o, json_type_object) || !is_type(get(o, "status"), json_type_string) ||
            (has_index && (!is_type(idx, json_type_int) || json_object_get_int64(idx) < 0 || json_object_get_int64(idx) > 4)))
                return cvm_error_set(err, EINVAL, "%s: %s: expected {%sstatus}", file, at, has_index ? "index: 0-4, " : "");
        if (predicted(o) && !is_hex(get(o, "value"), 96))
                return cvm_error_set(err, EINVAL, "%s: %s.value: expected 96 hex digits (sha384)", file, at);
        return 0;
}

/* An optional member of o that must be of type t when present. */
static int optional(struct json_object *o, const char *key, enum json_type t, const char *file, const char *at,
                    struct json_object **ret, cvm_error *err) {
        *ret = get(o, key);
        if (*ret && !is_type(*ret, t))
                return cvm_error_set(err, EINVAL, "%s: %s%s%s: expected %s", file, at, *at ? "." : "", key, json_type_to_name(t));
        return 0;
}

int rv_chain_check(struct json_object *root, const char *file, cvm_error *err) {
        struct json_object *bc, *regs, *tdx, *mrtd, *tregs;
        int r;

        if (optional(root, "boot_chain", json_type_object, file, "", &bc, err) < 0 ||
            optional(bc, "registers", json_type_array, file, "boot_chain", &regs, err) < 0 ||
            optional(root, "boot_chain_tdx", json_type_object, file, "", &tdx, err) < 0 ||
            optional(tdx, "mrtd", json_type_object, file, "boot_chain_tdx", &mrtd, err) < 0 ||
            optional(tdx, "registers", json_type_array, file, "boot_chain_tdx", &tregs, err) < 0)
                return -EINVAL;
        for (size_t i = 0; regs && i < json_object_array_length(regs); i++)
                if ((r = check_pcr(json_object_array_get_idx(regs, i), i, file, err)) < 0)
                        return r;
        if (mrtd && (r = check_mr(mrtd, false, file, "boot_chain_tdx.mrtd", err)) < 0)
                return r;
        for (size_t i = 0; tregs && i < json_object_array_length(tregs); i++) {
                char at[64];
                snprintf(at, sizeof(at), "boot_chain_tdx.registers[%zu]", i);
                if ((r = check_mr(json_object_array_get_idx(tregs, i), true, file, at, err)) < 0)
                        return r;
        }
        return 0;
}

/* The predicted entry of section's registers[] with this index, or NULL. */
static struct json_object *find(struct json_object *root, const char *section, int64_t index) {
        struct json_object *regs = get(get(root, section), "registers");

        for (size_t i = 0; regs && i < json_object_array_length(regs); i++) {
                struct json_object *o = json_object_array_get_idx(regs, i);
                if (json_object_get_int64(get(o, "index")) == index && predicted(o))
                        return o;
        }
        return NULL;
}

const char *rv_chain_pcr(struct json_object *root, uint32_t pcr) {
        struct json_object *o = find(root, "boot_chain", pcr);
        return o ? json_object_get_string(get(get(o, "values"), "sha256")) : NULL;
}

const char *rv_chain_mrtd(struct json_object *root) {
        struct json_object *o = get(get(root, "boot_chain_tdx"), "mrtd");
        return o && predicted(o) ? json_object_get_string(get(o, "value")) : NULL;
}

const char *rv_chain_rtmr(struct json_object *root, unsigned rtmr) {
        /* The manifest indexes the CC MR space: MRTD 0, RTMR0-3 at 1-4. */
        struct json_object *o = find(root, "boot_chain_tdx", (int64_t) rtmr + 1);
        return o ? json_object_get_string(get(o, "value")) : NULL;
}

size_t rv_chain_apps(struct json_object *root, struct rv_boot_app *apps, size_t max) {
        struct json_object *evs = get(find(root, "boot_chain", 4), "events");
        size_t n = 0;

        for (size_t i = 0; evs && i < json_object_array_length(evs) && n < max; i++) {
                struct json_object *e = json_object_array_get_idx(evs, i);
                if (strcmp(json_object_get_string(get(e, "type")), "EV_EFI_BOOT_SERVICES_APPLICATION") != 0)
                        continue;
                apps[n].source = get(e, "source") ? json_object_get_string(get(e, "source")) : "";
                apps[n++].sha256 = json_object_get_string(get(get(e, "digests"), "sha256"));
        }
        return n;
}
