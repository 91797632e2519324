/* SPDX-License-Identifier: Apache-2.0 */
/* The platform's event logs of this boot, in boot order (firmware, runtime, IMA). */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "cvm/platform.h"
#include "cvm/runtime.h"
#include "internal.h"

#define CCEL_DATA "/sys/firmware/acpi/tables/data/CCEL"
#define TPM_BIOS_LOG "/sys/kernel/security/tpm0/binary_bios_measurements"
#define IMA_LOG "/sys/kernel/security/ima/binary_runtime_measurements"

static void pl_warn(struct cvm_platform_log *pl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void pl_warn(struct cvm_platform_log *pl, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        strv_appendv(&pl->warnings, &pl->nwarnings, fmt, ap);
        va_end(ap);
}

static int add(struct cvm_platform_log *pl, cvm_eventlog *log, const char *path, cvm_error *err) {
        char *p = strdup(path);

        if (!p) {
                cvm_eventlog_free(log);
                return cvm_error_set(err, ENOMEM, "out of memory");
        }
        pl->logs[pl->nlogs] = log;
        pl->paths[pl->nlogs++] = p;
        return 0;
}

/* A kernel-exported log under root: absent is a warning, anything else wrong an error. */
static int add_file(struct cvm_platform_log *pl, const char *root, const char *rel, enum cvm_log_format fmt,
                    const char *what, cvm_error *err) {
        cvm_eventlog *log = NULL;
        char p[PATH_MAX];
        int r;

        if (snprintf(p, sizeof(p), "%s%s", root, rel) >= (int) sizeof(p))
                return cvm_error_set(err, ENAMETOOLONG, "sysroot too long");
        if (access(p, F_OK) < 0) {
                pl_warn(pl, "no %s at %s", what, p);
                return 0;
        }
        r = cvm_eventlog_load(p, fmt, &log, err);
        if (r < 0)
                return r;
        if (cvm_eventlog_truncated(log)) {
                cvm_eventlog_free(log);
                return cvm_error_set(err, EBADMSG, "%s: the %s is truncated", p, what);
        }
        return add(pl, log, p, err);
}

int cvm_platform_log_load(const struct cvm_platform_log_options *o, struct cvm_platform_log **ret, cvm_error *err) {
        return platform_log_load_with(o, NULL, ret, err);
}

int platform_log_load_with(const struct cvm_platform_log_options *o, cvm_eventlog *runtime, struct cvm_platform_log **ret,
                           cvm_error *err) {
        const char *root = sysroot_prefix(o->sysroot);
        const char *rt = o->runtime_log ? o->runtime_log : CVM_RUNTIME_LOG;
        struct cvm_platform_log *pl = calloc(1, sizeof(*pl));
        cvm_eventlog *log = runtime;
        char ima[PATH_MAX];
        int r;

        if (!pl) {
                cvm_eventlog_free(runtime);
                return cvm_error_set(err, ENOMEM, "out of memory");
        }
        if (o->space == CVM_SPACE_CCMR)
                r = add_file(pl, root, CCEL_DATA, CVM_LOG_CCEL, "CCEL firmware log", err);
        else
                r = add_file(pl, root, TPM_BIOS_LOG, CVM_LOG_TCG2, "TPM firmware log", err);
        if (r < 0)
                goto fail;

        r = runtime ? 0 : cvm_runtime_log_load(rt, &log, err);
        runtime = NULL;
        if (r == -ENOENT) {
                pl_warn(pl, "no runtime log at %s", rt);
                r = 0;
        } else if (r < 0)
                goto fail;
        else if (cvm_eventlog_truncated(log)) {
                cvm_eventlog_free(log);
                r = cvm_error_set(err, EBADMSG, "%s: the runtime log is truncated, so it cannot match the registers", rt);
                goto fail;
        } else if (cvm_eventlog_space(log) != o->space) {
                cvm_eventlog_free(log);
                r = cvm_error_set(err, EXDEV, "%s: the runtime log is in %s space, the platform in %s", rt,
                                  o->space == CVM_SPACE_PCR ? "CC MR" : "PCR", o->space == CVM_SPACE_PCR ? "PCR" : "CC MR");
                goto fail;
        } else if ((r = add(pl, log, rt, err)) < 0)
                goto fail;

        if (o->space == CVM_SPACE_PCR)
                r = add_file(pl, root, IMA_LOG, CVM_LOG_IMA, "IMA measurement list", err);
        else if (snprintf(ima, sizeof(ima), "%s%s", root, IMA_LOG) < (int) sizeof(ima) && access(ima, F_OK) == 0)
                pl_warn(pl, "%s: IMA's list (PCR10) is not merged on TDX, whose RTMRs it does not extend", ima);
        if (r < 0)
                goto fail;
        *ret = pl;
        return 0;
fail:
        cvm_eventlog_free(runtime);
        cvm_platform_log_free(pl);
        return r;
}

void cvm_platform_log_free(struct cvm_platform_log *pl) {
        if (!pl)
                return;
        for (size_t i = 0; i < pl->nlogs; i++) {
                cvm_eventlog_free(pl->logs[i]);
                free(pl->paths[i]);
        }
        strv_free(pl->warnings, pl->nwarnings);
        free(pl);
}

size_t cvm_platform_log_count(const struct cvm_platform_log *pl) {
        size_t n = 0;
        for (size_t i = 0; i < pl->nlogs; i++)
                n += cvm_eventlog_count(pl->logs[i]);
        return n;
}

const struct cvm_event *cvm_platform_log_event(const struct cvm_platform_log *pl, size_t i, size_t *log) {
        for (size_t l = 0; l < pl->nlogs; l++) {
                size_t n = cvm_eventlog_count(pl->logs[l]);
                if (i < n) {
                        if (log)
                                *log = l;
                        return cvm_eventlog_event(pl->logs[l], i);
                }
                i -= n;
        }
        return NULL;
}
