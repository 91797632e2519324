/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * What the kernel an image boots can do for a TD, decided at build time from
 * what the image holds: the kernel's version, its /boot/config-VERSION and
 * whether the tdx-guest module file is under /lib/modules/VERSION.  The
 * config is the guest's file (untrusted): kernel_config_parse is a pure,
 * bounds-checked function on a buffer, fuzzed by tests/fuzz/fuzz_kernel_config.c.
 *
 * Interfaces (upstream Linux): TDREPORT through /dev/tdx_guest (the
 * TDX_GUEST_DRIVER, 6.2+); quotes through configfs-tsm (TSM_REPORTS, 6.7+);
 * RTMR extend through the TSM measurement sysfs (TSM_MEASUREMENTS, 6.16+,
 * selected by the driver).  The out-of-tree TDX_CMD_EXTEND_RTMR ioctl of
 * Intel's and some distributions' TDX kernels leaves no trace in a config: only
 * the recipe can assert it (tdx_extend: ioctl).
 *
 * Tests only: a test harness may declare the soft TDX device
 * (tests/softtdx: a simulated tdx_guest with sysfs extend, configfs-tsm and,
 * in its legacy variant, the extend ioctl) by putting SOFT_TDX_DECLARATION
 * and the module for the boot kernel into the image; then, and only then,
 * a kernel without TDX guest support serves target tdx, and every TDX
 * capability's basis says "soft-device", which the manifest records.
 */

#include <stdbool.h>
#include <stddef.h>

#include "cvm/error.h"

/* A config file larger than this is not a kernel config (real ones are a few hundred KiB). */
#define KERNEL_CONFIG_MAX (4u << 20)

/* A tristate symbol's value; KCONFIG_UNSET also for "# CONFIG_X is not set" and an absent line. */
enum kconfig_value { KCONFIG_UNSET, KCONFIG_MODULE, KCONFIG_BUILTIN };

/* The symbols the decision reads, in enum order (kernel_config_symbols[i] names value[i]). */
enum kconfig_sym { KSYM_INTEL_TDX_GUEST, KSYM_TDX_GUEST_DRIVER, KSYM_TSM_REPORTS, KSYM_TSM_MEASUREMENTS, KSYM_TCG_TPM, KSYM_COUNT };
extern const char *const kernel_config_symbols[KSYM_COUNT];

struct kernel_config {
        enum kconfig_value value[KSYM_COUNT];
};

/*
 * Parse a kernel .config (buf, len bytes; name for errors): each line is
 * blank, a comment, or CONFIG_NAME=VALUE.  The symbols above must be y or m.
 * -EINVAL naming the line and what was expected for anything else (a NUL
 * byte, a line of another form, a line over 64 KiB), -EFBIG over KERNEL_CONFIG_MAX.
 */
int kernel_config_parse(const char *buf, size_t len, const char *name, struct kernel_config *ret, cvm_error *err);

/* How the recipe says the TD's kernel extends RTMRs (recipe key tdx_extend). */
enum tdx_extend { TDX_EXTEND_AUTO, TDX_EXTEND_SYSFS, TDX_EXTEND_IOCTL };

/* What the recipe's target needs of the boot kernel (recipe key target). */
enum cvm_target { TARGET_NONE, TARGET_TPM, TARGET_TDX, TARGET_BOTH };

/* What the image says about its boot kernel. */
struct kernel_facts {
        const char *version;            /* NULL when no boot kernel could be told */
        bool has_config;                /* /boot/config-VERSION was read and parsed */
        struct kernel_config config;
        const char *tdx_module;         /* the tdx-guest.ko* file under /lib/modules/VERSION, or NULL */
        bool soft_tdx;                  /* the harness declared the soft TDX device and its module is there */
};

/* The declaration, and where the module must be (VERSION: the boot kernel's). */
#define SOFT_TDX_DECLARATION "/etc/cvm/soft-tdx-device"
#define SOFT_TDX_MODULE "/lib/modules/%s/extra/soft_tdx_guest.ko"
#define SOFT_TDX_BASIS "soft-device"

/*
 * One capability and what it rests on: "config" (a symbol), "config+module" (=m and the file), "recipe"
 * (tdx_extend: ioctl), "soft-device" (the declared test double).
 */
struct kernel_cap {
        bool yes;
        const char *basis;              /* NULL when no */
        const char *interface;          /* the interface it uses, NULL when no */
};

struct kernel_caps {
        struct kernel_cap read, extend, quote, tpm;
};

/* The decision, a pure function of the facts and the recipe's tdx_extend. */
void kernel_caps_decide(const struct kernel_facts *f, enum tdx_extend how, struct kernel_caps *ret);

/*
 * Whether the caps serve target: 0, or -ENOTSUP with msg (size bytes, 2 KiB
 * is plenty) naming the kernel version, what it lacks (the config symbols)
 * and the fix.
 */
int kernel_caps_check(const struct kernel_facts *f, const struct kernel_caps *c, enum cvm_target target,
                      enum tdx_extend how, char *msg, size_t size);

/* Names for the recipe keys and the manifest. */
const char *cvm_target_name(enum cvm_target t);
const char *tdx_extend_name(enum tdx_extend e);
int cvm_target_from_name(const char *s, enum cvm_target *ret);
int tdx_extend_from_name(const char *s, enum tdx_extend *ret);
