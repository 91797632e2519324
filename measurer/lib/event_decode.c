/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Decoded views of event data for the common event types (PFP 1.06 section
 * 10.4 and UEFI structures) and IMA templates.  Data that does not match the
 * expected structure is not an error: the event is shown raw (base64) and
 * the details carry "undecoded".
 */
#include <stdio.h>

#include <json-c/json.h>

#include "cvm/digest.h"
#include "cvm/encoding.h"
#include "decode.h"
#include "internal.h"

static void add_str(struct json_object *o, const char *k, const char *v) {
        json_object_object_add(o, k, json_object_new_string(v));
}

static void add_hex(struct json_object *o, const char *k, const uint8_t *p, size_t n) {
        char *s = cvm_hex_alloc(p, n);
        if (s)
                json_object_object_add(o, k, json_object_new_string(s));
        free(s);
}

static void add_u64hex(struct json_object *o, const char *k, uint64_t v) {
        char buf[24];
        snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long) v);
        add_str(o, k, buf);
}

/* EFI_GUID: three little-endian fields, then eight bytes in order. */
static void add_guid(struct json_object *o, const char *k, const uint8_t *g) {
        char buf[37];
        snprintf(buf, sizeof(buf), "%08x-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                 le32(g), le16(g + 4), le16(g + 6), g[8], g[9], g[10], g[11], g[12], g[13], g[14], g[15]);
        add_str(o, k, buf);
}

/* UTF-16LE (n code units) to UTF-8, stopping at NUL; NULL if malformed. */
static char *utf16_to_utf8(const uint8_t *p, size_t n) {
        char *out = malloc(3 * n + 1 + n), *q = out;

        if (!out)
                return NULL;
        for (size_t i = 0; i < n; i++) {
                uint32_t c = le16(p + 2 * i);
                if (c == 0)
                        break;
                if (c >= 0xd800 && c <= 0xdbff) {
                        uint32_t lo;
                        if (i + 1 >= n || (lo = le16(p + 2 * (i + 1))) < 0xdc00 || lo > 0xdfff)
                                goto bad;
                        c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
                        i++;
                } else if (c >= 0xdc00 && c <= 0xdfff)
                        goto bad;
                if (c < 0x80)
                        *q++ = (char) c;
                else if (c < 0x800) {
                        *q++ = (char) (0xc0 | c >> 6);
                        *q++ = (char) (0x80 | (c & 0x3f));
                } else if (c < 0x10000) {
                        *q++ = (char) (0xe0 | c >> 12);
                        *q++ = (char) (0x80 | (c >> 6 & 0x3f));
                        *q++ = (char) (0x80 | (c & 0x3f));
                } else {
                        *q++ = (char) (0xf0 | c >> 18);
                        *q++ = (char) (0x80 | (c >> 12 & 0x3f));
                        *q++ = (char) (0x80 | (c >> 6 & 0x3f));
                        *q++ = (char) (0x80 | (c & 0x3f));
                }
        }
        *q = '\0';
        return out;
bad:
        free(out);
        return NULL;
}

static bool printable_ascii(const uint8_t *p, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (p[i] < 0x20 || p[i] > 0x7e) {
                        if (p[i] == '\t' || p[i] == '\n' || p[i] == '\r')
                                continue;
                        /* Trailing NULs terminate a string; anything after them does not. */
                        for (size_t j = i; j < n; j++)
                                if (p[j])
                                        return false;
                        return i > 0;
                }
        return n > 0;
}

static bool looks_utf16(const uint8_t *p, size_t n) {
        if (n < 2 || n % 2)
                return false;
        for (size_t i = 0; i + 1 < n; i += 2)
                if (p[i + 1] != 0 || (p[i] && (p[i] < 0x09 || p[i] > 0x7e)))
                        return false;
        return p[0] != 0;
}

/* A text payload as ASCII or UTF-16LE; false if it is neither. */
static bool add_text(struct json_object *o, const char *k, const uint8_t *p, size_t n) {
        if (printable_ascii(p, n)) {
                size_t len = strnlen((const char *) p, n);
                char *s = strndup((const char *) p, len);
                if (s)
                        add_str(o, k, s);
                free(s);
                return true;
        }
        if (looks_utf16(p, n)) {
                char *s = utf16_to_utf8(p, n / 2);
                if (s) {
                        add_str(o, k, s);
                        free(s);
                        return true;
                }
        }
        return false;
}

static bool decode_spec_id(struct json_object *o, const cvm_eventlog *log, const struct cvm_event *ev) {
        struct json_object *algs = json_object_new_array();
        const uint8_t *d = ev->data;

        add_str(o, "signature", "Spec ID Event03");
        json_object_object_add(o, "platform_class", json_object_new_int64(le32(d + 16)));
        json_object_object_add(o, "spec_version_minor", json_object_new_int(d[20]));
        json_object_object_add(o, "spec_version_major", json_object_new_int(d[21]));
        json_object_object_add(o, "spec_errata", json_object_new_int(d[22]));
        json_object_object_add(o, "uintn_size", json_object_new_int(d[23]));
        for (size_t i = 0; i < log->nalgs; i++) {
                struct json_object *a = json_object_new_object();
                const char *name = cvm_alg_name(log->algs[i].alg);
                char id[8];
                snprintf(id, sizeof(id), "0x%04x", log->algs[i].alg);
                add_str(a, "alg", name ? name : id);
                json_object_object_add(a, "digest_size", json_object_new_int(log->algs[i].size));
                json_object_array_add(algs, a);
        }
        json_object_object_add(o, "algorithms", algs);
        return true;
}

static bool decode_no_action(struct json_object *o, const cvm_eventlog *log, const struct cvm_event *ev) {
        if (ev->header)
                return decode_spec_id(o, log, ev);
        if (ev->data_len >= 16 && memchr(ev->data, 0, 16)) {
                add_str(o, "signature", (const char *) ev->data);
                if (ev->data_len >= 17 && strcmp((const char *) ev->data, "StartupLocality") == 0)
                        json_object_object_add(o, "startup_locality", json_object_new_int(ev->data[16]));
                return true;
        }
        return false;
}

/* UEFI_PLATFORM_FIRMWARE_BLOB {base, length}; BLOB2 prefixes a u8-length description. */
static bool decode_blob(struct json_object *o, const uint8_t *p, size_t n, bool v2) {
        if (v2) {
                if (n < 1 || n != 1 + (size_t) p[0] + 16)
                        return false;
                if (!add_text(o, "description", p + 1, p[0]))
                        add_hex(o, "description", p + 1, p[0]);
                p += 1 + (size_t) p[0];
        } else if (n != 16)
                return false;
        add_u64hex(o, "blob_base", le64(p));
        add_u64hex(o, "blob_length", le64(p + 8));
        return true;
}

static bool decode_handoff(struct json_object *o, const uint8_t *p, size_t n, bool v2) {
        struct json_object *tables;
        uint64_t count;

        if (v2) {
                if (n < 1 || n < 1 + (size_t) p[0])
                        return false;
                if (!add_text(o, "description", p + 1, p[0]))
                        add_hex(o, "description", p + 1, p[0]);
                n -= 1 + (size_t) p[0];
                p += 1 + (size_t) p[0];
        }
        if (n < 8)
                return false;
        count = le64(p);
        if (count > (n - 8) / 24 || n - 8 != count * 24)
                return false;
        tables = json_object_new_array();
        for (uint64_t i = 0; i < count; i++) {
                struct json_object *t = json_object_new_object();
                add_guid(t, "vendor_guid", p + 8 + 24 * i);
                add_u64hex(t, "vendor_table", le64(p + 8 + 24 * i + 16));
                json_object_array_add(tables, t);
        }
        json_object_object_add(o, "tables", tables);
        return true;
}

/* UEFI_VARIABLE_DATA: GUID, u64 name length (chars), u64 data length, UTF-16 name, data. */
static bool decode_variable(struct json_object *o, const uint8_t *p, size_t n) {
        uint64_t name_len, data_len;
        char *name;

        if (n < 32)
                return false;
        name_len = le64(p + 16);
        data_len = le64(p + 24);
        if (name_len > (n - 32) / 2 || data_len > n - 32 - 2 * name_len)
                return false;
        name = utf16_to_utf8(p + 32, name_len);
        if (!name)
                return false;
        add_guid(o, "variable_guid", p);
        add_str(o, "unicode_name", name);
        free(name);
        json_object_object_add(o, "variable_data_length", json_object_new_int64((int64_t) data_len));
        add_hex(o, "variable_data", p + 32 + 2 * name_len, data_len);
        if (32 + 2 * name_len + data_len != n)
                json_object_object_add(o, "trailing_bytes", json_object_new_int64((int64_t) (n - 32 - 2 * name_len - data_len)));
        return true;
}

/* UEFI_IMAGE_LOAD_EVENT: location, length, link-time address, device path length, device path. */
static bool decode_image_load(struct json_object *o, const uint8_t *p, size_t n) {
        uint64_t dp_len;

        if (n < 32)
                return false;
        dp_len = le64(p + 24);
        if (dp_len != n - 32)
                return false;
        add_u64hex(o, "image_location", le64(p));
        json_object_object_add(o, "image_length", json_object_new_int64((int64_t) le64(p + 8)));
        add_u64hex(o, "image_link_time_address", le64(p + 16));
        add_hex(o, "device_path", p + 32, dp_len);
        return true;
}

static bool decode_gpt(struct json_object *o, const uint8_t *p, size_t n) {
        /* UEFI_PARTITION_TABLE_HEADER (92 bytes), then u64 count and the entries. */
        if (n < 100 || memcmp(p, "EFI PART", 8) != 0)
                return false;
        add_guid(o, "disk_guid", p + 56);
        json_object_object_add(o, "partitions", json_object_new_int64((int64_t) le64(p + 92)));
        return true;
}

static bool decode_tagged(struct json_object *o, const uint8_t *p, size_t n) {
        uint32_t size;

        if (n < 8)
                return false;
        size = le32(p + 4);
        if (size != n - 8)
                return false;
        json_object_object_add(o, "tagged_event_id", json_object_new_int64(le32(p)));
        if (!add_text(o, "tagged_event_data", p + 8, size))
                add_hex(o, "tagged_event_data", p + 8, size);
        return true;
}

static bool decode_pcclient(struct json_object *o, const cvm_eventlog *log, const struct cvm_event *ev) {
        const uint8_t *p = ev->data;
        size_t n = ev->data_len;

        switch (ev->type) {
        case 0x03:
                return decode_no_action(o, log, ev);
        case 0x04:
                if (n != 4)
                        return false;
                add_u64hex(o, "separator", le32(p));
                return true;
        case 0x06:
                return decode_tagged(o, p, n) || add_text(o, "string", p, n);
        case 0x01:
        case 0x80000008:
                return decode_blob(o, p, n, false) || add_text(o, "string", p, n);
        case 0x8000000A:
                return decode_blob(o, p, n, true);
        case 0x80000009:
                return decode_handoff(o, p, n, false);
        case 0x8000000B:
                return decode_handoff(o, p, n, true);
        case 0x80000001:
        case 0x80000002:
        case 0x8000000C:
        case 0x800000E0:
                return decode_variable(o, p, n);
        case 0x80000003:
        case 0x80000004:
        case 0x80000005:
                return decode_image_load(o, p, n);
        case 0x80000006:
                return decode_gpt(o, p, n);
        default:
                return n > 0 && add_text(o, "string", p, n);
        }
}

/* Field layouts of the IMA templates (kernel ima_template.c, and the ima-cgpath / ima-dep-cgn patches). */
static const struct {
        const char *name;
        const char *fields[5];
} ima_templates[] = {
        { "ima-ng", { "d-ng", "n-ng" } },
        { "ima-sig", { "d-ng", "n-ng", "sig" } },
        { "ima-buf", { "d-ng", "n-ng", "buf" } },
        { "ima-modsig", { "d-ng", "n-ng", "sig", "d-modsig", "modsig" } },
        { "evm-sig", { "d-ng", "n-ng", "evmsig" } },
        { "ima-cgpath", { "dep", "cg-path", "d-ng", "n-ng" } },
        { "ima-dep-cgn", { "dep", "cgn", "d-ng", "n-ng" } },
};

/* One {u32 length, bytes} field, shown by its template field id. */
static void decode_ima_field(struct json_object *o, const char *id, const uint8_t *f, uint32_t len) {
        if (strcmp(id, "d-ng") == 0 || strcmp(id, "d-modsig") == 0) {
                const uint8_t *colon = memchr(f, ':', len);
                bool modsig = strcmp(id, "d-modsig") == 0;
                const char *key = modsig ? "modsig_digest" : "file_digest";
                if (colon && (size_t) (colon - f) + 2 <= len && colon[1] == 0) {
                        char *alg = strndup((const char *) f, (size_t) (colon - f));
                        if (alg)
                                add_str(o, modsig ? "modsig_digest_alg" : "file_digest_alg", alg);
                        free(alg);
                        add_hex(o, key, colon + 2, len - (size_t) (colon - f) - 2);
                } else
                        add_hex(o, key, f, len);
        } else if (strcmp(id, "n-ng") == 0) {
                if (!add_text(o, "file_name", f, len))
                        add_hex(o, "file_name", f, len);
        } else if (strcmp(id, "sig") == 0 || strcmp(id, "evmsig") == 0 || strcmp(id, "modsig") == 0) {
                add_hex(o, strcmp(id, "modsig") == 0 ? "modsig" : "signature", f, len);
        } else if (strcmp(id, "buf") == 0) {
                add_hex(o, "buffer", f, len);
        } else if (!add_text(o, id, f, len))
                add_hex(o, id, f, len);
}

static bool decode_ima(struct json_object *o, const struct cvm_event *ev) {
        struct reader r = { ev->data, ev->data_len, 0 };
        const char *const *fields = NULL;

        add_str(o, "template", ev->template_name);
        if (!ev->data)
                return true;
        if (strcmp(ev->template_name, "ima") == 0) {
                if (ev->data_len < 20)
                        return false;
                add_hex(o, "file_digest", ev->data, 20);
                add_text(o, "file_name", ev->data + 20, ev->data_len - 20);
                return true;
        }
        for (size_t i = 0; i < sizeof(ima_templates) / sizeof(ima_templates[0]); i++)
                if (strcmp(ev->template_name, ima_templates[i].name) == 0)
                        fields = ima_templates[i].fields;
        for (size_t field = 0; rd_left(&r) > 0; field++) {
                char id[16];
                uint32_t len;

                if (!rd_has(&r, 4) || !rd_has(&r, 4 + (size_t) le32(r.buf + r.off)))
                        return false;
                len = rd_u32(&r);
                if (fields && field < 5 && fields[field])
                        snprintf(id, sizeof(id), "%s", fields[field]);
                else
                        snprintf(id, sizeof(id), "field%zu", field);
                decode_ima_field(o, id, rd_bytes(&r, len), len);
        }
        return true;
}

struct json_object *event_details(const cvm_eventlog *log, const struct cvm_event *ev) {
        struct json_object *o = json_object_new_object();
        bool ok;

        if (!o)
                return NULL;
        if (ev->content == CVM_CONTENT_IMA)
                ok = ev->template_name && strcmp(ev->template_name, "ima-tlv") != 0 ? decode_ima(o, ev) : false;
        else if (ev->content == CVM_CONTENT_PCCLIENT)
                ok = decode_pcclient(o, log, ev);
        else
                ok = false;
        if (!ok) {
                json_object_put(o);
                return NULL;
        }
        return o;
}
