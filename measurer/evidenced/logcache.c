/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The platform log, parsed once and kept while its files are unchanged, so a
 * GetEventLog of a long log costs the JSON, not the parse.  A file counts as
 * unchanged if device, inode, size and mtime are; IMA's sysfs lists report
 * no size, so a log holding one is parsed again on every request.
 */
#include <string.h>
#include <sys/stat.h>

#include "evidenced.h"

static void stamp(const char *path, struct evd_log_stamp *s) {
        struct stat st;

        if (stat(path, &st) < 0) {
                *s = (struct evd_log_stamp) { 0 };
                return;
        }
        *s = (struct evd_log_stamp) { st.st_dev, st.st_ino, st.st_size,
                                      (int64_t) st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec };
}

static const char *runtime_path(const struct evd *d) {
        return d->runtime_log ? d->runtime_log : CVM_RUNTIME_LOG;
}

/* The runtime log is stamped apart: it may appear after the cache was filled. */
static bool fresh(const struct evd *d) {
        struct evd_log_stamp s;

        if (!d->log || d->log_volatile)
                return false;
        for (size_t i = 0; i < d->log->nlogs; i++) {
                stamp(d->log->paths[i], &s);
                if (memcmp(&s, &d->stamps[i], sizeof(s)) != 0)
                        return false;
        }
        stamp(runtime_path(d), &s);
        return memcmp(&s, &d->stamps[CVM_PLATFORM_MAX_LOGS], sizeof(s)) == 0;
}

void evd_platform_log_drop(struct evd *d) {
        cvm_platform_log_free(d->log);
        d->log = NULL;
}

const struct cvm_platform_log *evd_platform_log(struct evd *d, struct evd_error *e) {
        struct cvm_platform_log_options o = { cvm_imr_space(d->imr), d->sysroot, d->runtime_log };
        cvm_error err = { 0 };

        if (fresh(d))
                return d->log;
        evd_platform_log_drop(d);
        memset(d->stamps, 0, sizeof(d->stamps));
        /* Stamp before reading: a change while reading makes the next request read again. */
        stamp(runtime_path(d), &d->stamps[CVM_PLATFORM_MAX_LOGS]);
        if (cvm_platform_log_load(&o, &d->log, &err) < 0) {
                evd_error_set(e, EVD_INTERFACE ".LogError", "%s", err.msg);
                return NULL;
        }
        d->log_volatile = false;
        for (size_t i = 0; i < d->log->nlogs; i++) {
                stamp(d->log->paths[i], &d->stamps[i]);
                if (strstr(d->log->paths[i], "/ima/"))
                        d->log_volatile = true;
        }
        return d->log;
}
