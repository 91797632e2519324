/* SPDX-License-Identifier: Apache-2.0 */
/* Typed access to a varlink call's parameters (see params.h). */
#include <stdlib.h>
#include <string.h>

#include "params.h"

int param_uint(struct json_object *params, const char *name, uint64_t max, uint64_t *ret, bool *present,
               struct evd_error *e) {
        struct json_object *v;
        int64_t i;

        *ret = 0;
        *present = params && json_object_object_get_ex(params, name, &v) && !json_object_is_type(v, json_type_null);
        if (!*present)
                return 0;
        if (!json_object_is_type(v, json_type_int))
                return evd_invalid_parameter(e, name);
        i = json_object_get_int64(v);
        if (i < 0 || (uint64_t) i > max)
                return evd_invalid_parameter(e, name);
        *ret = (uint64_t) i;
        return 0;
}

int param_string(struct json_object *params, const char *name, const char **ret, struct evd_error *e) {
        struct json_object *v;

        *ret = NULL;
        if (!params || !json_object_object_get_ex(params, name, &v) || json_object_is_type(v, json_type_null))
                return 0;
        if (!json_object_is_type(v, json_type_string))
                return evd_invalid_parameter(e, name);
        *ret = json_object_get_string(v);
        return 0;
}

int param_hex(struct json_object *params, const char *name, size_t max, uint8_t **ret, size_t *len, struct evd_error *e) {
        const char *s;
        size_t n;
        int r;

        *ret = NULL;
        *len = 0;
        if (param_string(params, name, &s, e) < 0)
                return -1;
        if (!s)
                return 0;
        n = strlen(s);
        if (n % 2 || n / 2 > max)
                return evd_invalid_parameter(e, name);
        if (!(*ret = malloc(n / 2 + 1)))
                return evd_error_set(e, EVD_INTERFACE ".DeviceError", "out of memory");
        r = cvm_unhex(s, *ret, n / 2 + 1);
        if (r < 0 || (size_t) r != n / 2) {
                free(*ret);
                *ret = NULL;
                return evd_invalid_parameter(e, name);
        }
        *len = (size_t) r;
        return 0;
}

int param_alg(struct evd *d, struct json_object *params, const char *name, uint16_t *ret, struct evd_error *e) {
        const uint16_t *banks;
        size_t n = cvm_imr_banks(d->imr, &banks);
        const char *s;

        if (param_string(params, name, &s, e) < 0)
                return -1;
        if (!s) {
                *ret = cvm_imr_default_alg(d->imr);
                return 0;
        }
        if (cvm_alg_from_name(s, ret) == 0)
                for (size_t i = 0; i < n; i++)
                        if (banks[i] == *ret)
                                return 0;
        e->params = json_object_new_object();
        json_object_object_add(e->params, "algorithm", json_object_new_string(s));
        return evd_error_set(e, EVD_INTERFACE ".NoSuchAlgorithm", "'%s' is not an active bank of this device", s);
}

int check_index(struct evd *d, uint64_t index, struct evd_error *e) {
        uint32_t count = cvm_imr_count(d->imr);

        if (index < count)
                return 0;
        e->params = json_object_new_object();
        json_object_object_add(e->params, "index", json_object_new_int64((int64_t) index));
        json_object_object_add(e->params, "count", json_object_new_int64(count));
        return evd_error_set(e, EVD_INTERFACE ".NoSuchIndex", "register %llu does not exist: this device has %u (0-%u)",
                             (unsigned long long) index, count, count - 1);
}
