/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The file step kinds: mkdir, copy, write, append-line, replace, delete,
 * chmod, link, touch, move.  Guest paths are absolute and resolved by the
 * appliance inside the guest root; host sources come only through
 * host_source_open.
 */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cvmbase/base.h"
#include "guest_read.h"
#include "step_kind.h"

static int run_mkdir(struct session *ss, const struct step *s) {
        const char *p = step_arg(s, "path");
        if (guestfs_mkdir_p(ss->g, p) < 0)
                return step_gfail(ss, s, p);
        return step_chmod_if(ss, s, p, step_mode(s, -1));
}

static int run_write(struct session *ss, const struct step *s) {
        const char *p = step_arg(s, "path"), *c = step_arg(s, "content");
        if (guestfs_write(ss->g, p, c, strlen(c)) < 0)
                return step_gfail(ss, s, p);
        return step_chmod_if(ss, s, p, step_mode(s, -1));
}

static int run_copy(struct session *ss, const struct step *s) {
        const char *src = step_arg(s, "src"), *dest = step_arg(s, "dest");
        char host[64], target[PATH_MAX];
        _cleanup_close_ int fd = -1;
        struct stat st;

        if (host_source_open(s, src, 0, &fd, ss->err) < 0 || fstat(fd, &st) < 0)
                return fd < 0 ? -ss->err->code : step_fail(ss, s, "%s: %s", src, strerror(errno));
        if (S_ISDIR(st.st_mode)) {
                /* copy-in puts DIR itself inside dest, as cp -r does (tar keeps the links inside as links). */
                char dir[PATH_MAX];
                if ((size_t) snprintf(dir, sizeof(dir), "%s/files/%s", s->plugin->dir, src) >= sizeof(dir))
                        return step_fail(ss, s, "%s: path too long", src);
                if (guestfs_mkdir_p(ss->g, dest) < 0 || guestfs_copy_in(ss->g, dir, dest) < 0)
                        return step_gfail(ss, s, dest);
                return 0;
        }
        step_fd_path(fd, "", host, sizeof(host));
        if ((size_t) snprintf(target, sizeof(target), "%s%s", dest, dest[strlen(dest) - 1] == '/' ? (strrchr(src, '/') ? strrchr(src, '/') + 1 : src) : "") >= sizeof(target))
                return step_fail(ss, s, "%s: path too long", dest);
        if (guestfs_upload(ss->g, host, target) < 0)
                return step_gfail(ss, s, target);
        return step_chmod_if(ss, s, target, step_mode(s, (int) (st.st_mode & 07777)));
}

static int run_append_line(struct session *ss, const struct step *s) {
        const char *p = step_arg(s, "path"), *line = step_arg(s, "line");
        _cleanup_free_ char *old = NULL, *text = NULL;
        size_t n = 0;

        if (guestfs_exists(ss->g, p) > 0 && !(old = guest_read_file(ss->g, p, &n)))
                return step_gfail(ss, s, p);
        /* As virt-customize: a missing final newline is added before the line. */
        if (asprintf(&text, "%s%s%s\n", old ? old : "", n > 0 && old[n - 1] != '\n' ? "\n" : "", line) < 0)
                return step_fail(ss, s, "out of memory");
        if (guestfs_write(ss->g, p, text, strlen(text)) < 0)
                return step_gfail(ss, s, p);
        return 0;
}

struct buf {
        char *p;
        size_t n, cap;
        bool oom;
};

static void buf_add(struct buf *b, const char *s, size_t n) {
        if (b->oom)
                return;
        if (b->n + n + 1 > b->cap) {
                size_t cap = (b->n + n + 1) * 2;
                char *p = realloc(b->p, cap);
                if (!p) {
                        b->oom = true;
                        return;
                }
                b->p = p;
                b->cap = cap;
        }
        memcpy(b->p + b->n, s, n);
        b->n += n;
        b->p[b->n] = '\0';
}

/* Every match of the extended regex, with \0-\9 in the replacement; no match is an error. */
static int run_replace(struct session *ss, const struct step *s) {
        const char *p = step_arg(s, "path"), *pat = step_arg(s, "pattern"), *rep = step_arg(s, "replacement");
        _cleanup_free_ char *text = NULL;
        struct buf out = { 0 };
        const char *cur;
        regmatch_t m[10];
        size_t n, count = 0;
        regex_t re;
        int r = 0;

        if (regcomp(&re, pat, REG_EXTENDED | REG_NEWLINE) != 0)
                return step_fail(ss, s, "pattern '%s' is not an extended regular expression", pat);
        if (!(text = guest_read_file(ss->g, p, &n))) {
                regfree(&re);
                return step_gfail(ss, s, p);
        }
        if (strlen(text) != n) {
                regfree(&re);
                return step_fail(ss, s, "%s holds NUL bytes: not a text file", p);
        }
        for (cur = text; regexec(&re, cur, 10, m, cur == text ? 0 : REG_NOTBOL) == 0; count++) {
                buf_add(&out, cur, (size_t) m[0].rm_so);
                for (const char *q = rep; *q; q++) {
                        int g = q[0] == '\\' && q[1] >= '0' && q[1] <= '9' ? q[1] - '0' : -1;
                        if (g >= 0 && m[g].rm_so >= 0) {
                                buf_add(&out, cur + m[g].rm_so, (size_t) (m[g].rm_eo - m[g].rm_so));
                                q++;
                        } else {
                                buf_add(&out, q, 1);
                        }
                }
                if (m[0].rm_eo > m[0].rm_so) {
                        cur += m[0].rm_eo;
                } else if (cur[m[0].rm_eo]) {
                        /* An empty match: keep one character and go on after it. */
                        buf_add(&out, cur + m[0].rm_eo, 1);
                        cur += m[0].rm_eo + 1;
                } else {
                        cur += m[0].rm_eo;
                        break;
                }
        }
        buf_add(&out, cur, strlen(cur));
        regfree(&re);
        if (out.oom)
                r = step_fail(ss, s, "out of memory");
        else if (count == 0)
                r = step_fail(ss, s, "pattern '%s' does not match in %s", pat, p);
        else if (guestfs_write(ss->g, p, out.p ? out.p : "", out.n) < 0)
                r = step_gfail(ss, s, p);
        free(out.p);
        return r;
}

static int run_delete(struct session *ss, const struct step *s) {
        const char *p = step_arg(s, "path");
        return guestfs_rm_rf(ss->g, p) < 0 ? step_gfail(ss, s, p) : 0;
}

static int run_chmod(struct session *ss, const struct step *s) {
        return step_chmod_if(ss, s, step_arg(s, "path"), step_mode(s, 0));
}

/* A user or group name from the guest's passwd/group, or a number; *err says why not. */
static int run_link(struct session *ss, const struct step *s) {
        const char *p = step_arg(s, "path");
        return guestfs_ln_sf(ss->g, step_arg(s, "target"), p) < 0 ? step_gfail(ss, s, p) : 0;
}

static int run_touch(struct session *ss, const struct step *s) {
        const char *p = step_arg(s, "path");
        return guestfs_touch(ss->g, p) < 0 ? step_gfail(ss, s, p) : 0;
}

static int run_move(struct session *ss, const struct step *s) {
        const char *d = step_arg(s, "dest");
        return guestfs_mv(ss->g, step_arg(s, "src"), d) < 0 ? step_gfail(ss, s, d) : 0;
}


const struct step_kind kind_mkdir = { "mkdir", { { "path", &arg_guest_path, true }, { "mode", &arg_mode, false } }, NULL, run_mkdir };
const struct step_kind kind_copy = { "copy", { { "src", &arg_host_source, true }, { "dest", &arg_guest_path, true }, { "mode", &arg_mode, false } },
                                     NULL, run_copy };
const struct step_kind kind_write = { "write", { { "path", &arg_guest_path, true }, { "content", &arg_text, true }, { "mode", &arg_mode, false } }, NULL,
                                      run_write };
const struct step_kind kind_append_line = { "append-line", { { "path", &arg_guest_path, true }, { "line", &arg_text, true } }, NULL, run_append_line };
const struct step_kind kind_replace = { "replace",
                                        { { "path", &arg_guest_path, true }, { "pattern", &arg_text, true }, { "replacement", &arg_text, true } },
                                        NULL, run_replace };
const struct step_kind kind_delete = { "delete", { { "path", &arg_guest_path, true } }, NULL, run_delete };
const struct step_kind kind_chmod = { "chmod", { { "path", &arg_guest_path, true }, { "mode", &arg_mode, true } }, NULL, run_chmod };
const struct step_kind kind_link = { "link", { { "target", &arg_text, true }, { "path", &arg_guest_path, true } }, NULL, run_link };
const struct step_kind kind_touch = { "touch", { { "path", &arg_guest_path, true } }, NULL, run_touch };
const struct step_kind kind_move = { "move", { { "src", &arg_guest_path, true }, { "dest", &arg_guest_path, true } }, NULL, run_move };
