/* SPDX-License-Identifier: Apache-2.0 */
/* What every step executor uses: its arguments, its errors (secrets redacted), a few guest and host helpers. */

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cvmbase/base.h"
#include "step_kind.h"

const char *arg_shown(const struct arg *a) {
        return a->secret ? SECRET_SHOWN : a->value;
}

int step_redact(const struct step *s, cvm_error *err) {
        const size_t pl = strlen(SECRET_SHOWN);

        for (char **v = s->secrets; err && v && *v; v++)
                for (char *m = strstr(err->msg, *v); m; m = strstr(m + pl, *v)) {
                        size_t at = (size_t) (m - err->msg), vl = strlen(*v), tail = strlen(m + vl);
                        /* The placeholder may be longer than the value: the message is cut rather than overrun. */
                        if (at + pl >= sizeof(err->msg)) {
                                *m = '\0';
                                break;
                        }
                        if (at + pl + tail >= sizeof(err->msg))
                                tail = sizeof(err->msg) - 1 - at - pl;
                        memmove(m + pl, m + vl, tail);
                        m[pl + tail] = '\0';
                        memcpy(m, SECRET_SHOWN, pl);
                }
        return err ? -err->code : -EIO;
}

int step_fail(struct session *ss, const struct step *s, const char *fmt, ...) {
        char msg[768];
        va_list ap;

        assert(ss->err && s->plugin);
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        cvm_error_set(ss->err, EIO, "%s: step %s (plugin %s): %s", s->where, s->kind, s->plugin->name, msg);
        return step_redact(s, ss->err);
}

/* The libguestfs error of the call that just failed. */
int step_gfail(struct session *ss, const struct step *s, const char *what) {
        const char *e = guestfs_last_error(ss->g);
        return step_fail(ss, s, "%s: %s", what, e ? e : "failed");
}

const char *step_arg(const struct step *s, const char *key) {
        const struct arg *a = step_arg_full(s, key);
        return a ? a->value : NULL;
}

char **step_words(const struct arg *a, size_t *n) {
        char **v = calloc(1, sizeof(char *));
        const char *one[2] = { a ? a->value : NULL, NULL };

        *n = 0;
        for (const char *const *e = a && a->list ? (const char *const *) a->list : one; v && *e; e++) {
                char *copy = strdup(*e), *save;
                if (!copy) {
                        strv_free(v, *n);
                        return NULL;
                }
                for (char *w = strtok_r(copy, " \t", &save); v && w; w = strtok_r(NULL, " \t", &save)) {
                        char **bigger = realloc(v, (*n + 2) * sizeof(char *));
                        if (!bigger || !(bigger[*n] = strdup(w))) {
                                strv_free(bigger ? bigger : v, *n);
                                v = NULL;
                                break;
                        }
                        v = bigger;
                        v[++*n] = NULL;
                }
                free(copy);
        }
        return v;
}

const struct arg *step_arg_full(const struct step *s, const char *key) {
        for (size_t i = 0; i < s->nargs; i++)
                if (strcmp(s->args[i].key, key) == 0)
                        return &s->args[i];
        return NULL;
}

int step_mode(const struct step *s, int dflt) {
        const char *m = step_arg(s, "mode");
        return m ? (int) strtol(m, NULL, 8) : dflt;
}

void step_fd_path(int fd, const char *tail, char *out, size_t size) {
        snprintf(out, size, "/proc/self/fd/%d%s", fd, tail);
}

int step_chmod_if(struct session *ss, const struct step *s, const char *path, int mode) {
        if (mode >= 0 && guestfs_chmod(ss->g, mode, path) < 0)
                return step_gfail(ss, s, path);
        return 0;
}

