/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The boot kernel's facts read from the guest (its version from GRUB's
 * default entry, /boot/config-VERSION, the tdx-guest module file) and checked
 * against the recipe's target: the decision itself is kernel_caps.c's.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cvmbase/base.h"
#include "guest_read.h"
#include "kernel_pkg.h"
#include "session.h"

/* The version of "/boot/vmlinuz-VERSION" (or any folder), or NULL. */
static char *kernel_version(const char *file) {
        const char *b = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
        return strncmp(b, "vmlinuz-", 8) == 0 && kernel_version_ok(b + 8, strlen(b + 8)) ? strdup(b + 8) : NULL;
}

/* GRUB's default entry's kernel, else the only /boot/vmlinuz-*. */
static char *boot_version(struct session *ss) {
        _cleanup_free_ char *file = session_boot_kernel(ss);
        char **all, *v = NULL;
        size_t n = 0;

        if (file)
                return kernel_version(file);
        all = guestfs_glob_expand(ss->g, "/boot/vmlinuz-*");
        while (all && all[n])
                n++;
        if (n == 1)
                v = kernel_version(all[0]);
        for (size_t i = 0; i < n; i++)
                free(all[i]);
        free(all);
        return v;
}

/* /boot/config-VERSION parsed into k->facts; 0 also when it is absent (has_config stays false). */
static int read_config(struct session *ss, struct boot_kernel *k) {
        char path[160];
        _cleanup_free_ char *text = NULL;
        int64_t size;
        size_t len;

        snprintf(path, sizeof(path), "/boot/config-%s", k->version);
        if (guestfs_is_file_opts(ss->g, path, GUESTFS_IS_FILE_OPTS_FOLLOWSYMLINKS, 1, -1) <= 0)
                return 0;
        if ((size = guestfs_filesize(ss->g, path)) < 0)
                return cvm_error_set(ss->err, EIO, "%s: %s", path, guestfs_last_error(ss->g));
        if (size > KERNEL_CONFIG_MAX)
                return cvm_error_set(ss->err, EFBIG, "%s: %lld bytes, over the %u of a kernel config", path, (long long) size,
                                     KERNEL_CONFIG_MAX);
        if (!(text = guest_read_file(ss->g, path, &len)))
                return cvm_error_set(ss->err, EIO, "%s: %s", path, guestfs_last_error(ss->g));
        int r = kernel_config_parse(text, len, path, &k->facts.config, ss->err);
        if (r < 0)
                return r;
        k->facts.has_config = true;
        return 0;
}

/* The tdx-guest module file (any compression) where the kernel's build puts it, or NULL. */
static char *tdx_module(struct session *ss, const char *version) {
        char pattern[256], **all, *found = NULL;

        snprintf(pattern, sizeof(pattern), "/lib/modules/%s/kernel/drivers/virt/coco/tdx-guest/tdx-guest.ko*", version);
        all = guestfs_glob_expand(ss->g, pattern);
        for (size_t i = 0; all && all[i]; i++) {
                if (!found && guestfs_is_file(ss->g, all[i]) > 0)
                        found = strdup(all[i]);
                free(all[i]);
        }
        free(all);
        return found;
}

/* Whether the harness declared the soft TDX device (tests/softtdx) and put its module there for this kernel. */
static bool soft_tdx(struct session *ss, const char *version) {
        char path[256];

        if (guestfs_is_file(ss->g, SOFT_TDX_DECLARATION) <= 0)
                return false;
        snprintf(path, sizeof(path), SOFT_TDX_MODULE, version);
        if (guestfs_is_file(ss->g, path) > 0)
                return true;
        session_warn(ss, "%s declares the soft TDX device, but %s is not there: it does not count", SOFT_TDX_DECLARATION, path);
        return false;
}

void boot_kernel_clear(struct boot_kernel *k) {
        free(k->version);
        free(k->module);
        *k = (struct boot_kernel) { 0 };
}

int session_kernel_check(struct session *ss, const char *when, bool final) {
        struct boot_kernel *k = &ss->kernel;
        const struct recipe *r = ss->recipe;
        const struct plugin *changer;
        char msg[3072] = "";
        int rr;

        boot_kernel_clear(k);
        k->version = boot_version(ss);
        k->facts.version = k->version;
        if (k->version) {
                if ((rr = read_config(ss, k)) < 0) {
                        if (r->target != TARGET_NONE && (final || !recipe_kernel_changer(r)))
                                return cvm_error_prefix(ss->err, "target %s, %s: ", cvm_target_name(r->target), when), rr;
                        session_warn(ss, "%s (the boot kernel's capabilities are not recorded)", ss->err->msg);
                        k->facts.has_config = false;
                }
                k->module = tdx_module(ss, k->version);
                k->facts.tdx_module = k->module;
                k->facts.soft_tdx = soft_tdx(ss, k->version);
        }
        kernel_caps_decide(&k->facts, r->tdx_extend, &k->caps);
        log_info("boot kernel %s (%s): TDX read %s, extend %s, quote %s%s; TPM %s",
                k->version ? k->version : "unknown", when, k->caps.read.yes ? "yes" : "no", k->caps.extend.yes ? "yes" : "no",
                k->caps.quote.yes ? "yes" : "no", k->facts.soft_tdx ? " (the declared soft TDX device, simulated: tests only)" : "",
                k->caps.tpm.yes ? "yes" : "no");
        if (kernel_caps_check(&k->facts, &k->caps, r->target, r->tdx_extend, msg, sizeof(msg)) < 0 && !final &&
            (changer = recipe_kernel_changer(r))) {
                /* A plugin installs the kernel the image will boot: it is that one the check after the steps decides on. */
                log_info("%s: the image's kernel %s would not do (%s); plugin %s changes the boot kernel, "
                        "which is checked after the steps", when, k->version ? k->version : "(unknown)", msg, changer->name);
                return 0;
        }
        /* The explanation outgrows an error message: it goes to stderr whole, the error sums it up. */
        if (msg[0]) {
                log_error("%s: %s", when, msg);
                return cvm_error_set(ss->err, ENOTSUP, "%s: the boot kernel %s cannot serve target %s (above: what it lacks, "
                                     "and the fix); nothing was written", when, k->version ? k->version : "(unknown)",
                                     cvm_target_name(r->target));
        }
        return 0;
}
