/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reference values for verifiers, from a cvm-rewrite manifest.  The manifest
 * is first checked by libcvm's cvm_reference_parse (the checks `verify`
 * makes); the fields only this export reads (boot, cmdline, build.output) are
 * checked here, and the predicted boot chain by reference_chain.c.  Formats and their upstream definitions:
 *   rvps     Trustee RVPS "sample" message (rvps/src/extractors/.../sample/mod.rs):
 *            payload = base64(JSON name -> [hex]); names as Trustee's default
 *            policy queries them (attestation-service/.../ear_default_policy_cpu.rego)
 *   keylime  mb_refstate as keylime/policy/create_mb_policy.py writes it, and a
 *            tpm_policy {"PCR": [hex], "mask": "0x..."} for the measurer's PCRs
 *   in-toto  Statement v1 (https://in-toto.io/Statement/v1)
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "cvm/encoding.h"
#include "cvm/export.h"
#include "cvm/verify.h"
#include "internal.h"
#include "reference_chain.h"

/* As verify's limit; below INT32_MAX, which json-c's tokener takes. */
#define MANIFEST_MAX ((size_t) 256 << 20)
#define PREDICATE_TYPE "https://cvmkit.dev/reference-values/v0.1"

static const char *const format_names[] = { [CVM_RV_RVPS] = "rvps", [CVM_RV_KEYLIME] = "keylime", [CVM_RV_IN_TOTO] = "in-toto" };

int cvm_rv_format_from_name(const char *name, enum cvm_rv_format *ret) {
        for (size_t i = CVM_RV_RVPS; i < sizeof(format_names) / sizeof(format_names[0]); i++)
                if (strcmp(name, format_names[i]) == 0) {
                        *ret = (enum cvm_rv_format) i;
                        return 0;
                }
        return -EINVAL;
}

static inline void json_putp(struct json_object **p) {
        json_object_put(*p);
}

/* A note for the user (notes may be NULL: the caller does not want them). */
static void note(FILE *notes, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(FILE *notes, const char *fmt, ...) {
        va_list ap;

        if (!notes)
                return;
        va_start(ap, fmt);
        vfprintf(notes, fmt, ap);
        va_end(ap);
}

static inline void tokener_freep(struct json_tokener **p) {
        if (*p)
                json_tokener_free(*p);
}

static struct json_object *get(struct json_object *o, const char *key) {
        struct json_object *v;
        return json_object_object_get_ex(o, key, &v) ? v : NULL;
}

/* verify's checks for each space the manifest has (TDX: CC MR, TPM: PCR); at least one must be there. */
static int check_spaces(struct json_object *root, const uint8_t *buf, size_t len, const char *path, cvm_error *err) {
        struct json_object *rv = get(root, "reference_values");
        bool tdx = rv && get(rv, "tdx"), tpm = rv && get(rv, "tpm");
        cvm_reference *ref = NULL;
        int r;

        if (tdx || !tpm) {
                if ((r = cvm_reference_parse(buf, len, path, CVM_SPACE_CCMR, &ref, err)) < 0)
                        return r;
                cvm_reference_free(ref);
        }
        if (tpm) {
                if ((r = cvm_reference_parse(buf, len, path, CVM_SPACE_PCR, &ref, err)) < 0)
                        return r;
                cvm_reference_free(ref);
        }
        return 0;
}

/* An optional member: absent is fine, present must be of type. */
static int optional(struct json_object *o, const char *key, enum json_type type, const char *file, const char *path,
                    struct json_object **ret, cvm_error *err) {
        *ret = get(o, key);
        if (*ret && !json_object_is_type(*ret, type))
                return cvm_error_set(err, EINVAL, "%s: %s%s%s: expected %s", file, path, *path ? "." : "", key,
                                     json_type_to_name(type));
        return 0;
}

/* A 64-digit lower-case hex string, as the manifest writes sha256 digests. */
static bool is_sha256(struct json_object *s) {
        const char *p = json_object_get_string(s);
        if (!s || !json_object_is_type(s, json_type_string) || strlen(p) != 64)
                return false;
        return strspn(p, "0123456789abcdef") == 64;
}

/* boot[] entries {path, kind, sha256}, cmdline and build.output, checked before any format reads them. */
static int check_extras(struct json_object *root, const char *file, cvm_error *err) {
        struct json_object *boot, *s, *build, *out;
        char path[32];

        if (optional(root, "boot", json_type_array, file, "", &boot, err) < 0 ||
            optional(root, "cmdline", json_type_string, file, "", &s, err) < 0 ||
            optional(root, "build", json_type_object, file, "", &build, err) < 0)
                return -EINVAL;
        for (size_t i = 0; boot && i < json_object_array_length(boot); i++) {
                struct json_object *e = json_object_array_get_idx(boot, i);
                snprintf(path, sizeof(path), "boot[%zu]", i);
                if (!json_object_is_type(e, json_type_object) ||
                    !json_object_is_type(get(e, "kind"), json_type_string) || !is_sha256(get(e, "sha256")))
                        return cvm_error_set(err, EINVAL, "%s: %s: expected {path, kind, sha256 (64 hex digits)}", file, path);
        }
        if (build && optional(build, "output", json_type_object, file, "build", &out, err) < 0)
                return -EINVAL;
        if (build && out && (!is_sha256(get(out, "sha256")) || !json_object_is_type(get(out, "path"), json_type_string)))
                return cvm_error_set(err, EINVAL, "%s: build.output: expected {path, sha256 (64 hex digits)}", file);
        return 0;
}

/* The manifest in buf as a JSON object, checked as verify checks it and for the fields only the export reads. */
static int parse_manifest(const uint8_t *buf, size_t len, const char *name, struct json_object **ret, cvm_error *err) {
        _cleanup_(tokener_freep) struct json_tokener *tok = json_tokener_new();
        struct json_object *root;
        int r;

        if (!tok)
                return cvm_error_set(err, ENOMEM, "out of memory");
        root = len <= MANIFEST_MAX ? json_tokener_parse_ex(tok, (const char *) buf, (int) len) : NULL;
        if (root && (!json_object_is_type(root, json_type_object) || json_tokener_get_parse_end(tok) != len)) {
                json_object_put(root);
                root = NULL;
        }
        /* cvm_reference_parse names what is wrong in a manifest json-c refused. */
        if ((r = check_spaces(root, buf, len, name, err)) < 0 || (r = check_extras(root, name, err)) < 0 ||
            (r = rv_chain_check(root, name, err)) < 0) {
                json_object_put(root);
                return r;
        }
        if (!root)
                return cvm_error_set(err, EINVAL, "%s: not a JSON object", name);
        *ret = root;
        return 0;
}

/* The manifest's value of register index in bank alg under reference_values.SPACE, or NULL. */
static const char *reg_value(struct json_object *root, const char *space, uint32_t index, const char *alg) {
        struct json_object *regs = get(get(get(root, "reference_values"), space), "registers");

        for (size_t i = 0; regs && i < json_object_array_length(regs); i++) {
                struct json_object *r = json_object_array_get_idx(regs, i);
                if (json_object_get_int64(get(r, "index")) == index && strcmp(json_object_get_string(get(r, "alg")), alg) == 0)
                        return json_object_get_string(get(r, "digest"));
        }
        return NULL;
}

/* sha256 of the boot file of kind ("kernel", "initramfs"), or NULL. */
static const char *boot_sha256(struct json_object *root, const char *kind) {
        struct json_object *boot = get(root, "boot");

        for (size_t i = 0; boot && i < json_object_array_length(boot); i++) {
                struct json_object *e = json_object_array_get_idx(boot, i);
                if (strcmp(json_object_get_string(get(e, "kind")), kind) == 0)
                        return json_object_get_string(get(e, "sha256"));
        }
        return NULL;
}

static void add_value(struct json_object *payload, const char *name, const char *hex) {
        struct json_object *a = json_object_new_array();
        json_object_array_add(a, json_object_new_string(hex));
        json_object_object_add(payload, name, a);
}

/* The TDX names: MRTD and RTMR1-2 where the manifest predicts the boot chain, RTMR3 from the measurer. */
static void rvps_tdx(struct json_object *p, struct json_object *root, FILE *notes) {
        static const char *const names[] = { "rtmr_0", "rtmr_1", "rtmr_2" };
        const char *v;

        if ((v = rv_chain_mrtd(root)))
                add_value(p, "mr_td", v);
        else
                note(notes, "rvps: mr_td: from the platform (no TDVF firmware given to cvm-rewrite --firmware)\n");
        for (unsigned i = 1; i < 3; i++)
                if ((v = rv_chain_rtmr(root, i)))
                        add_value(p, names[i], v);
                else
                        note(notes, "rvps: %s: not predicted (the manifest has no boot_chain_tdx value for RTMR%u)\n", names[i], i);
        if ((v = reg_value(root, "tdx", 4, "sha384")))
                add_value(p, "rtmr_3", v);
        note(notes, "rvps: rtmr_0, xfam, tdvfkernel, tdvfkernelparams: from the platform (firmware, TD configuration)\n");
}

/* The TPM names: PCR4, 5, 7, 8, 9 where the boot chain is predicted, PCR16 and 23 from the measurer. */
static void rvps_tpm(struct json_object *p, struct json_object *root, FILE *notes) {
        static const uint32_t chain[] = { 4, 5, 7, 8, 9 }, measurer[] = { 16, 23 };
        char name[16];
        const char *v;

        for (size_t i = 0; i < sizeof(chain) / sizeof(chain[0]); i++) {
                snprintf(name, sizeof(name), "tpm_pcr%u", chain[i]);
                if ((v = rv_chain_pcr(root, chain[i])))
                        add_value(p, name, v);
                else
                        note(notes, "rvps: %s: not predicted (firmware-dependent, or no boot_chain in the manifest)\n", name);
        }
        for (size_t i = 0; i < 2; i++) {
                snprintf(name, sizeof(name), "tpm_pcr%u", measurer[i]);
                if ((v = reg_value(root, "tpm", measurer[i], "sha256")))
                        add_value(p, name, v);
        }
        note(notes, "rvps: tpm_pcr0-3, tpm_pcr6, tpm_pcr11, trusted_aks: from the platform, not in the manifest\n");
}

/* RVPS payload: what the manifest knows under the names Trustee's policies query; the rest is named on notes. */
static struct json_object *rvps_payload(struct json_object *root, FILE *notes) {
        struct json_object *p = json_object_new_object(), *rv = get(root, "reference_values");

        if (get(rv, "tdx"))
                rvps_tdx(p, root, notes);
        if (get(rv, "tpm"))
                rvps_tpm(p, root, notes);
        return p;
}

static struct json_object *rvps(struct json_object *root, FILE *notes) {
        _cleanup_(json_putp) struct json_object *payload = rvps_payload(root, notes);
        const char *text = json_object_to_json_string_ext(payload, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
        _cleanup_free_ char *b64 = cvm_base64_alloc((const uint8_t *) text, strlen(text));
        struct json_object *o = json_object_new_object();

        if (!b64 || !o) {
                json_object_put(o);
                return NULL;
        }
        json_object_object_add(o, "version", json_object_new_string("0.1.0"));
        json_object_object_add(o, "type", json_object_new_string("sample"));
        json_object_object_add(o, "payload", json_object_new_string(b64));
        return o;
}

/* Python's re.escape, as create_mb_policy.py applies it to kernel_cmdline (Keylime matches it as a regex). */
static struct json_object *regex_escaped(const char *s) {
        size_t n = strlen(s);
        _cleanup_free_ char *out = malloc(2 * n + 1);
        char *q = out;

        if (!out)
                return NULL;
        for (const char *p = s; *p; p++) {
                if (strchr("()[]{}?*+-|^$\\.&~# \t\n\r\v\f", *p))
                        *q++ = '\\';
                *q++ = *p;
        }
        *q = 0;
        return json_object_new_string(out);
}

static struct json_object *hex0x(const char *hex) {
        char buf[2 + 64 + 1];
        snprintf(buf, sizeof(buf), "0x%s", hex);
        return json_object_new_string(buf);
}

/* The boot applications' Authenticode digests by role: shim by its name, the kernel by /boot/vmlinuz, GRUB otherwise. */
static void keylime_authcode(struct json_object *k, struct json_object *root, FILE *notes) {
        struct rv_boot_app apps[8];
        size_t n = rv_chain_apps(root, apps, sizeof(apps) / sizeof(apps[0]));

        for (size_t i = 0; i < n; i++) {
                const char *base = strrchr(apps[i].source, '/') ? strrchr(apps[i].source, '/') + 1 : apps[i].source;
                const char *role = strncasecmp(base, "shim", 4) == 0                ? "shim_authcode_sha256"
                                   : strncmp(apps[i].source, "/boot/vmlinuz", 13) == 0 ? "kernel_authcode_sha256"
                                                                                      : "grub_authcode_sha256";
                json_object_object_add(k, role, hex0x(apps[i].sha256));
        }
        if (n == 0)
                note(notes, "keylime: shim_authcode_sha256, grub_authcode_sha256, kernel_authcode_sha256: the manifest "
                               "has no predicted PCR4 (boot_chain)\n");
}

/* kernels[0] without Secure Boot: GRUB measures vmlinuz and the initrd plain, and "kernel_cmdline: ARGS" into PCR8. */
static struct json_object *keylime_kernel(struct json_object *root, FILE *notes) {
        struct json_object *k = json_object_new_object(), *cmd = get(root, "cmdline");
        const char *v, *c;

        keylime_authcode(k, root, notes);
        if ((v = boot_sha256(root, "kernel")))
                json_object_object_add(k, "vmlinuz_plain_sha256", hex0x(v));
        if ((v = boot_sha256(root, "initramfs")))
                json_object_object_add(k, "initrd_plain_sha256", hex0x(v));
        if (cmd) {
                /* The kernel's /proc/cmdline starts with GRUB's own BOOT_IMAGE=; GRUB's measured string does not. */
                c = json_object_get_string(cmd);
                json_object_object_add(k, "kernel_cmdline", regex_escaped(strncmp(c, "BOOT_IMAGE=", 11) == 0 ? c + 11 : c));
        }
        note(notes, "keylime: scrtm_and_bios, pk, kek, db, dbx, mokdig, mokxdig: from the platform, left empty\n");
        return k;
}

static struct json_object *keylime_tpm_policy(struct json_object *root) {
        struct json_object *p = json_object_new_object();
        static const uint32_t pcrs[] = { 16, 23 };
        uint32_t mask = 0;
        char key[16];

        for (size_t i = 0; i < 2; i++) {
                const char *v = reg_value(root, "tpm", pcrs[i], "sha256");
                if (!v)
                        continue;
                snprintf(key, sizeof(key), "%u", pcrs[i]);
                add_value(p, key, v);
                mask |= UINT32_C(1) << pcrs[i];
        }
        snprintf(key, sizeof(key), "0x%x", mask);
        json_object_object_add(p, "mask", json_object_new_string(key));
        return p;
}

static struct json_object *keylime(struct json_object *root, FILE *notes) {
        struct json_object *o = json_object_new_object(), *mb = json_object_new_object(), *kernels = json_object_new_array();
        static const char *const empty[] = { "scrtm_and_bios", "pk", "kek", "db", "dbx", "mokdig", "mokxdig" };

        json_object_object_add(mb, "has_secureboot", json_object_new_boolean(false));
        for (size_t i = 0; i < sizeof(empty) / sizeof(empty[0]); i++)
                json_object_object_add(mb, empty[i], json_object_new_array());
        json_object_array_add(kernels, keylime_kernel(root, notes));
        json_object_object_add(mb, "kernels", kernels);
        json_object_object_add(o, "mb_refstate", mb);
        if (get(get(root, "reference_values"), "tpm"))
                json_object_object_add(o, "tpm_policy", keylime_tpm_policy(root));
        else
                note(notes, "keylime: tpm_policy: the manifest has no TPM reference values\n");
        return o;
}

static struct json_object *in_toto_subject(struct json_object *root, const struct cvm_rv_subject *s, cvm_error *err) {
        struct json_object *out = get(get(root, "build"), "output"), *subj, *d;
        const char *name, *sha;

        if (s) {
                name = s->name;
                sha = s->sha256;
        } else if (out) {
                name = json_object_get_string(get(out, "path"));
                sha = json_object_get_string(get(out, "sha256"));
        } else {
                cvm_error_set(err, EINVAL, "the manifest records no output image digest (build.output): give --subject FILE");
                return NULL;
        }
        subj = json_object_new_object();
        d = json_object_new_object();
        json_object_object_add(d, "sha256", json_object_new_string(sha));
        json_object_object_add(subj, "name", json_object_new_string(strrchr(name, '/') ? strrchr(name, '/') + 1 : name));
        json_object_object_add(subj, "digest", d);
        return subj;
}

static struct json_object *in_toto(struct json_object *root, const struct cvm_rv_subject *s, cvm_error *err) {
        struct json_object *subj = in_toto_subject(root, s, err), *o, *subjects, *pred;
        static const char *const keys[] = { "reference_values", "boot_chain", "boot_chain_tdx", "boot", "cmdline", "recipe", "tool", "version" };

        if (!subj)
                return NULL;
        o = json_object_new_object();
        subjects = json_object_new_array();
        pred = json_object_new_object();
        json_object_array_add(subjects, subj);
        for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
                if (get(root, keys[i]))
                        json_object_object_add(pred, keys[i], json_object_get(get(root, keys[i])));
        json_object_object_add(o, "_type", json_object_new_string("https://in-toto.io/Statement/v1"));
        json_object_object_add(o, "subject", subjects);
        json_object_object_add(o, "predicateType", json_object_new_string(PREDICATE_TYPE));
        json_object_object_add(o, "predicate", pred);
        return o;
}

int cvm_reference_export(const uint8_t *buf, size_t len, const char *name, enum cvm_rv_format fmt,
                         const struct cvm_rv_subject *subject, FILE *notes, struct json_object **ret, cvm_error *err) {
        _cleanup_(json_putp) struct json_object *root = NULL;
        struct json_object *o = NULL;
        int r;

        if ((r = parse_manifest(buf, len, name, &root, err)) < 0)
                return r;
        switch (fmt) {
        case CVM_RV_NONE:
                return cvm_error_set(err, EINVAL, "no format given");
        case CVM_RV_RVPS:
                o = rvps(root, notes);
                break;
        case CVM_RV_KEYLIME:
                o = keylime(root, notes);
                break;
        case CVM_RV_IN_TOTO:
                if (!(o = in_toto(root, subject, err)))
                        return -EINVAL;
                break;
        }
        if (!o)
                return cvm_error_set(err, ENOMEM, "out of memory");
        *ret = o;
        return 0;
}

int cvm_reference_export_file(const char *path, enum cvm_rv_format fmt, const struct cvm_rv_subject *subject, FILE *notes,
                              struct json_object **ret, cvm_error *err) {
        _cleanup_free_ uint8_t *buf = NULL;
        size_t len;
        int r;

        if ((r = read_file(path, MANIFEST_MAX, &buf, &len, err)) < 0)
                return r;
        return cvm_reference_export(buf, len, path, fmt, subject, notes, ret, err);
}
