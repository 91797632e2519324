/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include "cvm/quote.h"

/* Parsers behind cvm_quote_parse; buf stays owned by the caller and must outlive q. */
int tdx_quote_parse(struct cvm_tdx_quote *q, const uint8_t *buf, size_t len, cvm_error *err);
int tdreport_parse(struct cvm_tdreport *t, const uint8_t *buf, size_t len, cvm_error *err);
int tpm2_quote_parse(struct cvm_tpm2_quote *q, const uint8_t *buf, size_t len, cvm_error *err);
