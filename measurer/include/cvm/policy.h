/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* libcvm exports what its public headers declare, and nothing else (libcvm.sym). */
#pragma GCC visibility push(default)

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cvm/error.h"
#include "cvm/register.h"

/*
 * The measurement policy of cvm-measure (YAML, schema in the README):
 * named groups, each with a class (os, cloud-native, instance), a register per
 * platform, error handling, and items (files, trees, globs, the kernel
 * command line, explicit strings).  Paths are absolute, without "." or ".."
 * components, and are resolved under the measured root.  Errors name
 * file:line:column.
 */

enum cvm_measure_class {
        CVM_CLASS_OS = 0,
        CVM_CLASS_CLOUD_NATIVE,
        CVM_CLASS_INSTANCE,         /* per-instance configuration a cloud's first boot writes (cloud-init) */
};

enum cvm_on_error {
        CVM_ON_ERROR_HALT = 0,      /* a failed item stops the measurement (and the boot) */
        CVM_ON_ERROR_CONTINUE,      /* it is logged as an error event and the rest goes on */
};

enum cvm_on_missing {
        CVM_ON_MISSING_EVENT = 0,   /* a missing path is measured as a "missing" event */
        CVM_ON_MISSING_ERROR,       /* ... is an error, handled by on_error */
        CVM_ON_MISSING_IGNORE,      /* ... leaves no trace */
};

enum cvm_item_kind {
        CVM_ITEM_FILE = 0,
        CVM_ITEM_TREE,
        CVM_ITEM_GLOB,
        CVM_ITEM_CMDLINE,
        CVM_ITEM_STRING,
};

struct cvm_policy_item {
        enum cvm_item_kind kind;
        char *value;                /* path, pattern or string; NULL for cmdline */
        unsigned line;              /* 1-based, in the policy file */
};

struct cvm_policy_group {
        char *name;
        enum cvm_measure_class class;
        int rtmr;                   /* 0-3, or -1 for the class default (os, instance: 2; cloud-native: 3) */
        int pcr;                    /* 0-23, or -1 for the class default (os, instance: 23; cloud-native: 16) */
        bool must_not_change;       /* instance only: verify reports a change as a mismatch, not as instance state */
        bool secret;                /* the digests are never printed by verify (/etc/shadow) */
        enum cvm_on_error on_error;
        enum cvm_on_missing on_missing;
        struct cvm_policy_item *items;
        size_t nitems;
};

struct cvm_policy {
        char *path;
        uint8_t *raw;               /* the file as read: it is measured first */
        size_t raw_len;
        bool require_device;
        struct cvm_policy_group *groups;
        size_t ngroups;
};

/* Parse a policy from buf; name prefixes error messages. */
int cvm_policy_parse(const uint8_t *buf, size_t len, const char *name, struct cvm_policy **ret, cvm_error *err);

/* Read and parse a policy file. */
int cvm_policy_load(const char *path, struct cvm_policy **ret, cvm_error *err);

void cvm_policy_free(struct cvm_policy *p);

/* "os", "cloud-native" or "instance". */
const char *cvm_measure_class_name(enum cvm_measure_class c);

/* The register a group extends in a register space (CC MR index on TDX, PCR index on TPM). */
uint32_t cvm_policy_group_register(const struct cvm_policy_group *g, enum cvm_reg_space space);

#pragma GCC visibility pop
