/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The OVMF VARS image: an EFI_FIRMWARE_VOLUME_HEADER (PI spec vol. 3, 3.2.1)
 * whose body is edk2's authenticated variable store (VARIABLE_STORE_HEADER,
 * then AUTHENTICATED_VARIABLE_HEADER + name + data, each 4-byte aligned).
 *
 * Hand-written: Debian ships no C library for edk2's variable store (the
 * python virt-firmware tools are not a library for C).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cvm/efivars.h"
#include "internal.h"

#define FV_HEADER_MIN 56u           /* up to the block map */
#define FV_SIGNATURE "_FVH"
#define STORE_HEADER_SIZE 28u
#define STORE_FORMATTED 0x5a
#define STORE_HEALTHY 0xfe
#define AUTH_VAR_HEADER_SIZE 60u
#define VAR_START_ID 0x55aa
#define VAR_ADDED 0x3f
#define VAR_ADDED_IN_DELETE_TRANSITION 0x3e
#define VARS_MAX (64u << 20)

/* gEfiAuthenticatedVariableGuid aaf32c78-947b-439a-a180-2e144ec37792 and gEfiVariableGuid ddcf3616-3275-4164-98b6-fe85707ffe7d. */
static const uint8_t auth_store_guid[16] = { 0x78, 0x2c, 0xf3, 0xaa, 0x7b, 0x94, 0x9a, 0x43,
                                             0xa1, 0x80, 0x2e, 0x14, 0x4e, 0xc3, 0x77, 0x92 };
static const uint8_t plain_store_guid[16] = { 0x16, 0x36, 0xcf, 0xdd, 0x75, 0x32, 0x64, 0x41,
                                              0x98, 0xb6, 0xfe, 0x85, 0x70, 0x7f, 0xfe, 0x7d };

struct cvm_efi_varstore {
        uint8_t *buf;
        size_t len;
        struct cvm_efi_var *vars;
        size_t nvars;
        uint8_t *state;             /* per var: VAR_ADDED or in delete transition */
};

void cvm_efi_varstore_free(cvm_efi_varstore *vs) {
        if (!vs)
                return;
        free(vs->buf);
        free(vs->vars);
        free(vs->state);
        free(vs);
}

static void varstore_freep(cvm_efi_varstore **p) {
        cvm_efi_varstore_free(*p);
}

/* The firmware volume header; *store gets the offset of the variable store header, *end the volume's end. */
static int parse_fv_header(const uint8_t *b, size_t len, size_t *store, size_t *end, cvm_error *err) {
        uint64_t fvlen;
        uint16_t hlen, sum = 0;

        if (len < FV_HEADER_MIN || memcmp(b + 40, FV_SIGNATURE, 4) != 0)
                return cvm_error_set(err, EBADMSG, "offset 40: expected the firmware volume signature \"_FVH\": not an OVMF VARS image");
        fvlen = le64(b + 32);
        hlen = le16(b + 48);
        if (fvlen > len || fvlen < FV_HEADER_MIN)
                return cvm_error_set(err, EBADMSG, "offset 32: volume length 0x%llx, the file has 0x%zx bytes",
                                     (unsigned long long) fvlen, len);
        if (hlen < FV_HEADER_MIN + 8 || hlen % 2 || hlen + STORE_HEADER_SIZE > fvlen)
                return cvm_error_set(err, EBADMSG, "offset 48: header length %u does not fit the volume", hlen);
        for (size_t i = 0; i < hlen; i += 2)
                sum = (uint16_t) (sum + le16(b + i));
        if (sum != 0)
                return cvm_error_set(err, EBADMSG, "firmware volume header checksum is 0x%04x, expected 0", sum);
        *store = hlen;
        *end = (size_t) fvlen;
        return 0;
}

/* The variable store header at off; *end narrows to the store's own size. */
static int parse_store_header(const uint8_t *b, size_t off, size_t *end, cvm_error *err) {
        uint32_t size = le32(b + off + 16);

        if (memcmp(b + off, plain_store_guid, 16) == 0)
                return cvm_error_set(err, EOPNOTSUPP, "offset 0x%zx: a non-authenticated variable store; expected edk2's "
                                     "authenticated store (OVMF since 2019)", off);
        if (memcmp(b + off, auth_store_guid, 16) != 0)
                return cvm_error_set(err, EBADMSG, "offset 0x%zx: expected the authenticated variable store GUID", off);
        if (size < STORE_HEADER_SIZE || size > *end - off)
                return cvm_error_set(err, EBADMSG, "offset 0x%zx: store size 0x%x does not fit the volume", off + 16, size);
        if (b[off + 20] != STORE_FORMATTED || b[off + 21] != STORE_HEALTHY)
                return cvm_error_set(err, EBADMSG, "offset 0x%zx: store format 0x%02x state 0x%02x, expected 0x5a 0xfe",
                                     off + 20, b[off + 20], b[off + 21]);
        *end = off + size;
        return 0;
}

static int add_var(cvm_efi_varstore *vs, const struct cvm_efi_var *v, uint8_t state) {
        struct cvm_efi_var *nv = reallocarray(vs->vars, vs->nvars + 1, sizeof(*nv));
        uint8_t *ns;

        if (!nv)
                return -ENOMEM;
        vs->vars = nv;
        ns = realloc(vs->state, vs->nvars + 1);
        if (!ns)
                return -ENOMEM;
        vs->state = ns;
        vs->vars[vs->nvars] = *v;
        vs->state[vs->nvars++] = state;
        return 0;
}

/* One variable header at off: fills *v and *next; 0 at the end of the used area (no start id). */
static int parse_var(const uint8_t *b, size_t off, size_t end, struct cvm_efi_var *v, size_t *next, cvm_error *err) {
        uint32_t nsize, dsize;

        if (end - off < AUTH_VAR_HEADER_SIZE || le16(b + off) != VAR_START_ID)
                return 0;
        nsize = le32(b + off + 36);
        dsize = le32(b + off + 40);
        if (nsize > end - off - AUTH_VAR_HEADER_SIZE || dsize > end - off - AUTH_VAR_HEADER_SIZE - nsize)
                return cvm_error_set(err, EBADMSG, "variable at 0x%zx: name %u + data %u bytes run past the store's end (0x%zx)",
                                     off, nsize, dsize, end);
        if (nsize < 2 || nsize % 2 || nsize > 2 * CVM_EFI_VAR_NAME_MAX || le16(b + off + AUTH_VAR_HEADER_SIZE + nsize - 2) != 0)
                return cvm_error_set(err, EBADMSG, "variable at 0x%zx: name size %u is not a NUL-terminated UTF-16 name", off, nsize);
        memcpy(v->guid, b + off + 44, 16);
        v->attributes = le32(b + off + 4);
        v->name = b + off + AUTH_VAR_HEADER_SIZE;
        v->name_size = nsize;
        v->data = v->name + nsize;
        v->data_len = dsize;
        v->offset = off;
        *next = (off + AUTH_VAR_HEADER_SIZE + nsize + dsize + 3) & ~(size_t) 3;
        return 1;
}

static int walk_vars(cvm_efi_varstore *vs, size_t off, size_t end, cvm_error *err) {
        for (;;) {
                struct cvm_efi_var v;
                size_t next = 0;
                uint8_t state;
                int r = parse_var(vs->buf, off, end, &v, &next, err);

                if (r <= 0)
                        return r;
                state = vs->buf[off + 2];
                if ((state == VAR_ADDED || state == VAR_ADDED_IN_DELETE_TRANSITION) && add_var(vs, &v, state) < 0)
                        return cvm_error_set(err, ENOMEM, "out of memory");
                if (next >= end)
                        return 0;
                off = next;
        }
}

int cvm_efi_varstore_parse(const uint8_t *buf, size_t len, cvm_efi_varstore **ret, cvm_error *err) {
        _cleanup_(varstore_freep) cvm_efi_varstore *vs = NULL;
        size_t store = 0, end = 0;
        int r;

        if (!buf || !ret)
                return cvm_error_set(err, EINVAL, "cvm_efi_varstore_parse: NULL argument");
        if ((r = parse_fv_header(buf, len, &store, &end, err)) < 0 || (r = parse_store_header(buf, store, &end, err)) < 0)
                return r;
        vs = calloc(1, sizeof(*vs));
        if (!vs || !(vs->buf = malloc(len ? len : 1)))
                return cvm_error_set(err, ENOMEM, "out of memory");
        memcpy(vs->buf, buf, len);
        vs->len = len;
        if ((r = walk_vars(vs, store + STORE_HEADER_SIZE, end, err)) < 0)
                return r;
        *ret = TAKE_PTR(vs);
        return 0;
}

int cvm_efi_varstore_load(const char *path, cvm_efi_varstore **ret, cvm_error *err) {
        _cleanup_free_ uint8_t *buf = NULL;
        size_t len = 0;
        int r;

        if ((r = read_file(path, VARS_MAX, &buf, &len, err)) < 0)
                return r;
        if ((r = cvm_efi_varstore_parse(buf, len, ret, err)) < 0)
                return cvm_error_prefix(err, "%s: ", path);
        return 0;
}

size_t cvm_efi_varstore_count(const cvm_efi_varstore *vs) {
        return vs ? vs->nvars : 0;
}

const struct cvm_efi_var *cvm_efi_varstore_var(const cvm_efi_varstore *vs, size_t i) {
        return vs && i < vs->nvars ? &vs->vars[i] : NULL;
}

static bool name_equal(const struct cvm_efi_var *v, const char *name) {
        size_t n = strlen(name);

        if (v->name_size != 2 * (n + 1))
                return false;
        for (size_t i = 0; i < n; i++)
                if (le16(v->name + 2 * i) != (uint8_t) name[i])
                        return false;
        return true;
}

const struct cvm_efi_var *cvm_efi_varstore_find(const cvm_efi_varstore *vs, const uint8_t guid[16], const char *name) {
        const struct cvm_efi_var *transition = NULL;

        if (!vs || !guid || !name)
                return NULL;
        for (size_t i = 0; i < vs->nvars; i++) {
                if (memcmp(vs->vars[i].guid, guid, 16) != 0 || !name_equal(&vs->vars[i], name))
                        continue;
                if (vs->state[i] == VAR_ADDED)
                        return &vs->vars[i];
                transition = &vs->vars[i];
        }
        return transition;
}
