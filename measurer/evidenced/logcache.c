/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The platform log, parsed once and kept while its files are unchanged, and
 * its events rendered to JSON once, so a GetEventLog of a long log costs a
 * copy, not a parse and an encoding (10,000 events: ~0.3 s, then ~ms).  A file counts as
 * unchanged if device, inode, size and mtime are; IMA's sysfs lists report
 * no size, so a log holding one is parsed again on every request.
 */
#include <errno.h>
#include <stdlib.h>
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
        free(d->events_json);
        free(d->events_off);
        d->events_json = NULL;
        d->events_off = NULL;
}

/* Append event i's JSON and a comma to the rendering; 0 or -ENOMEM. */
static int render_event(const struct cvm_platform_log *pl, size_t i, char **buf, size_t *len, size_t *cap) {
        _cleanup_(evd_json_putp) struct json_object *j = NULL;
        const struct cvm_event *ev;
        const char *s;
        size_t li, n;

        if (!(ev = cvm_platform_log_event(pl, i, &li)) || !(j = cvm_event_to_json(pl->logs[li], ev)))
                return -ENOMEM;
        json_object_object_add(j, "number", json_object_new_int64((int64_t) i));
        if (!(s = json_object_to_json_string_length(j, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &n)))
                return -ENOMEM;
        if (*len + n + 1 > *cap) {
                size_t c = *cap ? *cap : 65536;
                char *p;
                while (c < *len + n + 1)
                        c *= 2;
                if (!(p = realloc(*buf, c)))
                        return -ENOMEM;
                *buf = p;
                *cap = c;
        }
        memcpy(*buf + *len, s, n);
        (*buf)[*len + n] = ',';
        *len += n + 1;
        return 0;
}

static int render_events(struct evd *d) {
        size_t total = cvm_platform_log_count(d->log), len = 0, cap = 0;
        char *buf = NULL;
        size_t *off = calloc(total + 1, sizeof(size_t));

        if (!off)
                return -ENOMEM;
        for (size_t i = 0; i < total; i++) {
                off[i] = len;
                if (render_event(d->log, i, &buf, &len, &cap) < 0) {
                        free(buf);
                        free(off);
                        return -ENOMEM;
                }
        }
        off[total] = len;
        d->events_json = buf ? buf : strdup("");
        d->events_off = off;
        return d->events_json ? 0 : -ENOMEM;
}

int evd_events_json(struct evd *d, size_t start, size_t count, const char **ret, size_t *len, struct evd_error *e) {
        if (!d->events_off && render_events(d) < 0)
                return evd_error_set(e, EVD_INTERFACE ".LogError", "cannot encode the events (out of memory)");
        *ret = d->events_json + d->events_off[start];
        *len = d->events_off[start + count] - d->events_off[start];
        /* Without the comma after the last event. */
        if (*len)
                (*len)--;
        return 0;
}

const struct cvm_platform_log *evd_platform_log(struct evd *d, struct evd_error *e) {
        struct cvm_platform_log_options o = { cvm_imr_space(d->imr), d->sysroot, d->runtime_log };
        cvm_error err = { 0 };

        if (fresh(d) && d->log)
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
