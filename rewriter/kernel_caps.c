/* SPDX-License-Identifier: Apache-2.0 */
/* A kernel config read as facts, and what those facts let a TD's measurer do (see kernel_caps.h). */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "kernel_caps.h"

const char *const kernel_config_symbols[KSYM_COUNT] = {
        "INTEL_TDX_GUEST", "TDX_GUEST_DRIVER", "TSM_REPORTS", "TSM_MEASUREMENTS", "TCG_TPM",
};

/* Longer lines are not Kconfig's (its longest values are strings of a few hundred bytes). */
#define LINE_MAX_BYTES (64u << 10)

static bool symbol_char(char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

/* One CONFIG_NAME=VALUE line (l bytes, no newline) into ret; lineno for errors. */
static int parse_assignment(const char *l, size_t n, const char *name, size_t lineno, struct kernel_config *ret,
                            cvm_error *err) {
        size_t k = 7, v;

        if (n < 7 || memcmp(l, "CONFIG_", 7) != 0)
                return cvm_error_set(err, EINVAL, "%s:%zu: expected CONFIG_NAME=VALUE, a comment or a blank line", name, lineno);
        while (k < n && symbol_char(l[k]))
                k++;
        if (k == 7 || k == n || l[k] != '=')
                return cvm_error_set(err, EINVAL, "%s:%zu: expected CONFIG_NAME=VALUE (a symbol of [A-Za-z0-9_], then '=')", name,
                                     lineno);
        v = k + 1;
        for (size_t i = 0; i < KSYM_COUNT; i++) {
                size_t sl = strlen(kernel_config_symbols[i]);
                if (k - 7 != sl || memcmp(l + 7, kernel_config_symbols[i], sl) != 0)
                        continue;
                if (n - v == 1 && (l[v] == 'y' || l[v] == 'm' || l[v] == 'n')) {
                        ret->value[i] = l[v] == 'y' ? KCONFIG_BUILTIN : l[v] == 'm' ? KCONFIG_MODULE : KCONFIG_UNSET;
                        return 0;
                }
                return cvm_error_set(err, EINVAL, "%s:%zu: CONFIG_%s is a tristate: expected y, m or n, got '%.*s'", name, lineno,
                                     kernel_config_symbols[i], (int) (n - v > 32 ? 32 : n - v), l + v);
        }
        return 0;
}

int kernel_config_parse(const char *buf, size_t len, const char *name, struct kernel_config *ret, cvm_error *err) {
        size_t off = 0, lineno = 0;

        *ret = (struct kernel_config) { 0 };
        if (len > KERNEL_CONFIG_MAX)
                return cvm_error_set(err, EFBIG, "%s: %zu bytes, over the %u of a kernel config", name, len, KERNEL_CONFIG_MAX);
        while (off < len) {
                const char *l = buf + off, *nl = memchr(l, '\n', len - off);
                size_t n = nl ? (size_t) (nl - l) : len - off, blank;
                int r;

                lineno++;
                off += n + (nl ? 1 : 0);
                if (n > LINE_MAX_BYTES)
                        return cvm_error_set(err, EINVAL, "%s:%zu: a line of %zu bytes, over the %u of a kernel config line", name,
                                             lineno, n, LINE_MAX_BYTES);
                if (memchr(l, '\0', n))
                        return cvm_error_set(err, EINVAL, "%s:%zu: a NUL byte: a kernel config is text", name, lineno);
                /* A config edited on another system may end its lines with CRLF. */
                if (n && l[n - 1] == '\r')
                        n--;
                for (blank = 0; blank < n && (l[blank] == ' ' || l[blank] == '\t' || l[blank] == '\r'); blank++)
                        ;
                if (blank == n || l[blank] == '#')
                        continue;
                if ((r = parse_assignment(l, n, name, lineno, ret, err)) < 0)
                        return r;
        }
        return 0;
}

static bool set(const struct kernel_facts *f, enum kconfig_sym s) {
        return f->has_config && f->config.value[s] != KCONFIG_UNSET;
}

static bool builtin(const struct kernel_facts *f, enum kconfig_sym s) {
        return f->has_config && f->config.value[s] == KCONFIG_BUILTIN;
}

/* The declared soft device (tests/softtdx) has every interface, none of them backed by TDX. */
static void soft_tdx_caps(struct kernel_caps *ret) {
        ret->read = (struct kernel_cap) { true, SOFT_TDX_BASIS, "/dev/tdx_guest (TDREPORT) of soft_tdx_guest (simulated)" };
        ret->extend = (struct kernel_cap) { true, SOFT_TDX_BASIS, "sysfs (/sys/class/misc/tdx_guest/measurements) of "
                                            "soft_tdx_guest, or its legacy variant's TDX_CMD_EXTEND_RTMR ioctl (simulated)" };
        ret->quote = (struct kernel_cap) { true, SOFT_TDX_BASIS, "configfs-tsm (/sys/kernel/config/tsm/report) of "
                                           "soft_tdx_guest, signed with a public test key (simulated)" };
}

void kernel_caps_decide(const struct kernel_facts *f, enum tdx_extend how, struct kernel_caps *ret) {
        bool driver = false;

        *ret = (struct kernel_caps) { 0 };
        if (set(f, KSYM_TCG_TPM))
                ret->tpm = (struct kernel_cap) { true, "config", "/dev/tpmrm0" };
        if (f->soft_tdx) {
                soft_tdx_caps(ret);
                return;
        }
        if (!builtin(f, KSYM_INTEL_TDX_GUEST))
                return;
        /* =m counts only when the module file is in the image: a config alone does not put it there. */
        if (builtin(f, KSYM_TDX_GUEST_DRIVER)) {
                driver = true;
                ret->read = (struct kernel_cap) { true, "config", "/dev/tdx_guest (TDREPORT)" };
        } else if (set(f, KSYM_TDX_GUEST_DRIVER) && f->tdx_module) {
                driver = true;
                ret->read = (struct kernel_cap) { true, "config+module", "/dev/tdx_guest (TDREPORT)" };
        }
        if (!driver)
                return;
        /* The measurer prefers the sysfs when both are there, so the config is the basis whenever it says so. */
        if (builtin(f, KSYM_TSM_MEASUREMENTS))
                ret->extend = (struct kernel_cap) { true, "config", "sysfs (/sys/class/misc/tdx_guest/measurements)" };
        else if (how == TDX_EXTEND_IOCTL)
                ret->extend = (struct kernel_cap) { true, "recipe", "TDX_CMD_EXTEND_RTMR ioctl (tdx_extend: ioctl)" };
        if (set(f, KSYM_TSM_REPORTS))
                ret->quote = (struct kernel_cap) { true, "config", "configfs-tsm (/sys/kernel/config/tsm/report)" };
}

/* Write the refusal into msg; returns -ENOTSUP. */
static int refuse(char *msg, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int refuse(char *msg, size_t size, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, size, fmt, ap);
        va_end(ap);
        return -ENOTSUP;
}

/* Append "what" to the list in buf (", " between items). */
static void lack(char *buf, size_t size, const char *what) {
        size_t n = strlen(buf);
        snprintf(buf + n, size - n, "%s%s", n ? "; " : "", what);
}

/* What the kernel lacks for a TD that extends and quotes, as config symbols and files. */
static void tdx_lacks(const struct kernel_facts *f, const struct kernel_caps *c, enum tdx_extend how, char *buf, size_t size) {
        char m[512];

        if (!f->has_config) {
                snprintf(buf, size, "no /boot/config-%s, so nothing tells that it has CONFIG_INTEL_TDX_GUEST, "
                         "CONFIG_TDX_GUEST_DRIVER, CONFIG_TSM_REPORTS and CONFIG_TSM_MEASUREMENTS", f->version);
                return;
        }
        if (!builtin(f, KSYM_INTEL_TDX_GUEST))
                lack(buf, size, "CONFIG_INTEL_TDX_GUEST=y (it cannot run as a TD)");
        if (!set(f, KSYM_TDX_GUEST_DRIVER))
                lack(buf, size, "CONFIG_TDX_GUEST_DRIVER (no /dev/tdx_guest: Linux 6.2+)");
        else if (!c->read.yes && !builtin(f, KSYM_TDX_GUEST_DRIVER) && builtin(f, KSYM_INTEL_TDX_GUEST)) {
                snprintf(m, sizeof(m), "the tdx-guest module: CONFIG_TDX_GUEST_DRIVER=m but no tdx-guest.ko* under "
                         "/lib/modules/%s/kernel/drivers/virt/coco/tdx-guest (Ubuntu ships it in linux-modules-extra)", f->version);
                lack(buf, size, m);
        }
        if (!c->extend.yes && !builtin(f, KSYM_TSM_MEASUREMENTS))
                lack(buf, size, how == TDX_EXTEND_IOCTL ? "a way to extend RTMRs"
                                : "CONFIG_TSM_MEASUREMENTS=y (the RTMR extend sysfs, Linux 6.16+), so it cannot extend RTMRs");
        if (!set(f, KSYM_TSM_REPORTS))
                lack(buf, size, "CONFIG_TSM_REPORTS (configfs-tsm quotes, Linux 6.7+), so it cannot produce quotes");
}

int kernel_caps_check(const struct kernel_facts *f, const struct kernel_caps *c, enum cvm_target target,
                      enum tdx_extend how, char *msg, size_t size) {
        char lacks[2048] = "";

        if (target == TARGET_NONE)
                return 0;
        if (!f->version)
                return refuse(msg, size, "target %s: cannot tell which kernel the image boots (no default entry in "
                                     "/boot/grub/grub.cfg and not exactly one /boot/vmlinuz-*), so nothing says it can "
                                     "measure the boot; make one kernel the default (06-guest-kernel does)", cvm_target_name(target));
        if ((target == TARGET_TPM || target == TARGET_BOTH) && !c->tpm.yes)
                return refuse(msg, size, "target %s: the boot kernel %s lacks %s: it has no TPM driver; install a "
                                     "kernel with CONFIG_TCG_TPM (any distribution kernel) with the guest-kernel plugin "
                                     "(06-guest-kernel)", cvm_target_name(target), f->version,
                                     f->has_config ? "CONFIG_TCG_TPM" : "a /boot/config-VERSION");
        if (target == TARGET_TPM || (c->extend.yes && c->quote.yes))
                return 0;
        tdx_lacks(f, c, how, lacks, sizeof(lacks));
        return refuse(msg, size, "target %s: the boot kernel %s cannot %s%s%s on a TD: it lacks %s. A TD booting it "
                             "would go unmeasured or stop. Fix: install a kernel that has them with the guest-kernel plugin "
                             "(06-guest-kernel: --set guest-kernel.packages=\"linux-image-...deb ...\"), e.g. Linux 6.16+ "
                             "with CONFIG_TDX_GUEST_DRIVER and CONFIG_TSM_MEASUREMENTS=y, or the distribution's newer kernel "
                             "package (Ubuntu 24.04: linux-generic-hwe-24.04, 6.17+; Debian: a 6.16+ kernel, e.g. from "
                             "trixie-backports); for a kernel that carries the out-of-tree TDX_CMD_EXTEND_RTMR "
                             "ioctl (Intel's TDX kernels), set tdx_extend: ioctl in the recipe",
                             cvm_target_name(target), f->version, c->extend.yes ? "" : "extend RTMRs",
                             !c->extend.yes && !c->quote.yes ? " or " : "", c->quote.yes ? "" : "produce quotes", lacks);
}

static const char *const target_names[] = { "none", "tpm", "tdx", "both" };
static const char *const extend_names[] = { "auto", "sysfs", "ioctl" };

const char *cvm_target_name(enum cvm_target t) {
        return target_names[t];
}

const char *tdx_extend_name(enum tdx_extend e) {
        return extend_names[e];
}

int cvm_target_from_name(const char *s, enum cvm_target *ret) {
        for (size_t i = 0; i < sizeof(target_names) / sizeof(target_names[0]); i++)
                if (strcmp(s, target_names[i]) == 0)
                        return *ret = (enum cvm_target) i, 0;
        return -EINVAL;
}

int tdx_extend_from_name(const char *s, enum tdx_extend *ret) {
        for (size_t i = 0; i < sizeof(extend_names) / sizeof(extend_names[0]); i++)
                if (strcmp(s, extend_names[i]) == 0)
                        return *ret = (enum tdx_extend) i, 0;
        return -EINVAL;
}
