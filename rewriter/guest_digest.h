/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * Digests of guest files, each file downloaded once per session: the
 * manifest's boot files and the boot chain's PCR9 events hash the same
 * kernel and initramfs (tens of MB each through the appliance).  Only for
 * the phases after the steps, when the files no longer change.
 */

#include "cvm/cvm.h"

struct session;

/* The digests GUEST_DIGEST_ALGS lists (sha1, sha256, sha384) of guest file path, links followed: 0 or -errno. */
#define GUEST_DIGEST_NALGS 3
extern const uint16_t GUEST_DIGEST_ALGS[GUEST_DIGEST_NALGS];
int guest_file_digests(struct session *ss, const char *path, uint8_t out[GUEST_DIGEST_NALGS][CVM_DIGEST_MAX],
                       cvm_error *err);

/* Forget every kept digest (session_clear). */
void guest_digests_clear(struct session *ss);
