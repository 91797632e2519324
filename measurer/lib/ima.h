/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include "cvm/eventlog.h"

/* True if an IMA event records all-zero template hashes: a violation, extended as all-0xFF in every bank. */
bool ima_event_is_violation(const struct cvm_event *ev);

/* The template hash of an IMA event in bank alg, computed from its template data. */
int ima_template_digest(const struct cvm_event *ev, uint16_t alg, uint8_t *out, cvm_error *err);
