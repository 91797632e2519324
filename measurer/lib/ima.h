/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include "cvm/eventlog.h"

/* The template hash of an IMA event in bank alg, computed from its template data. */
int ima_template_digest(const struct cvm_event *ev, uint16_t alg, uint8_t *out, cvm_error *err);
