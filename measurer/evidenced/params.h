/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Reading a call's parameters, each failure an org.varlink.service.InvalidParameter naming it. */

#include "evidenced.h"

/* Optional non-negative integer up to max: *present false and *ret 0 if absent; -1 with e set if bad. */
int param_uint(struct json_object *params, const char *name, uint64_t max, uint64_t *ret, bool *present, struct evd_error *e);
/* Optional string: NULL if absent; -1 with e set if not a string. */
int param_string(struct json_object *params, const char *name, const char **ret, struct evd_error *e);
/* Optional hex string, decoded into a malloc'ed buffer of at most max bytes (NULL, 0 if absent). */
int param_hex(struct json_object *params, const char *name, size_t max, uint8_t **ret, size_t *len, struct evd_error *e);
/* Optional algorithm name, an active bank of the device; absent: the default algorithm. */
int param_alg(struct evd *d, struct json_object *params, const char *name, uint16_t *ret, struct evd_error *e);
/* io.cvmkit.Evidence.NoSuchIndex unless index is a register of the device. */
int check_index(struct evd *d, uint64_t index, struct evd_error *e);
