/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The validate step: before the output is written, check that what the
 * recipe's earlier steps asked for is what the image holds.  Every file or
 * folder a mkdir, copy or write step made is there with its mode (unless a
 * later step deleted or moved it, or set its mode again); the kernel command line the boot loader
 * passes has every argument kernel-cmdline steps added and none they
 * removed (last word wins); when the image has a measurer policy, every
 * initramfs holds cvm-measure, the same policy, and (initramfs-tools) runs
 * it from local-bottom/ORDER.  All problems are reported together; any
 * fails the rewrite, so no output is written.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cvmbase/base.h"
#include "cvminitrd/initrd.h"
#include "grub_boot.h"
#include "guest_read.h"
#include "step_kind.h"

#define PROBLEMS_MAX 8192

struct problems {
        char text[PROBLEMS_MAX];
        size_t len, n;
};

static void problem(struct problems *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void problem(struct problems *p, const char *fmt, ...) {
        va_list ap;
        int w;

        if (p->len + 4 >= sizeof(p->text))
                return;
        p->len += (size_t) snprintf(p->text + p->len, sizeof(p->text) - p->len, "%s", p->n ? "; " : "");
        va_start(ap, fmt);
        w = vsnprintf(p->text + p->len, sizeof(p->text) - p->len, fmt, ap);
        va_end(ap);
        p->len = w < 0 ? p->len : p->len + (size_t) w >= sizeof(p->text) ? sizeof(p->text) - 1 : p->len + (size_t) w;
        p->n++;
}

/* Steps in recipe order, up to (not including) stop. */
#define FOREACH_STEP_BEFORE(r, st, stop)                                                               \
        for (size_t pi_ = 0, done_ = 0; !done_ && pi_ < (r)->nplugins; pi_++)                          \
                for (size_t si_ = 0; !done_ && si_ < (r)->plugins[pi_].nsteps; si_++)                  \
                        if (((st) = &(r)->plugins[pi_].steps[si_]) == (stop) ? (done_ = 1, 0) : 1)

/* Whether a step after `from` (and before stop) deletes or moves path away (modes: or sets its mode again). */
static bool changed_later(const struct recipe *r, const struct step *from, const struct step *stop, const char *path,
                          bool modes) {
        const struct step *st;
        bool after = false;

        FOREACH_STEP_BEFORE(r, st, stop) {
                const char *p = strcmp(st->kind, "delete") == 0 ? step_arg(st, "path")
                                : strcmp(st->kind, "move") == 0 ? step_arg(st, "src") : NULL;
                if (!p && modes && (strcmp(st->kind, "chmod") == 0 || step_arg(st, "mode")))
                        p = step_arg(st, strcmp(st->kind, "copy") == 0 ? "dest" : "path");
                if (after && p && strcmp(p, path) == 0)
                        return true;
                after |= st == from;
        }
        return false;
}

static void check_files(struct session *ss, const struct step *self, struct problems *pb) {
        const struct step *st;

        FOREACH_STEP_BEFORE(ss->recipe, st, self) {
                const char *path = step_arg(st, strcmp(st->kind, "copy") == 0 ? "dest" : "path"), *mode = step_arg(st, "mode");
                struct guestfs_statns *sb;
                if ((strcmp(st->kind, "mkdir") != 0 && strcmp(st->kind, "copy") != 0 && strcmp(st->kind, "write") != 0) ||
                    !path || changed_later(ss->recipe, st, self, path, false))
                        continue;
                if (!(sb = guestfs_lstatns(ss->g, path))) {
                        problem(pb, "%s (plugin %s, %s) is missing", path, st->plugin->name, st->where);
                        continue;
                }
                if (mode && (sb->st_mode & 07777) != strtol(mode, NULL, 8) &&
                    !(strcmp(st->kind, "copy") == 0 && S_ISDIR(sb->st_mode)) && !changed_later(ss->recipe, st, self, path, true))
                        problem(pb, "%s has mode %04o, plugin %s (%s) set %s", path, (unsigned) (sb->st_mode & 07777),
                                st->plugin->name, st->where, mode);
                guestfs_free_statns(sb);
        }
}

/* word in a space-separated command line: exactly, or as KEY= of a KEY=VALUE word. */
static bool has_word(const char *line, const char *word) {
        size_t n = strlen(word);

        for (const char *p = line; (p = strstr(p, word)); p += n)
                if ((p == line || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
                        return true;
        return false;
}

/* Whether a kernel-cmdline step after `from` (and before stop) adds or removes word again. */
static bool mentioned_later(const struct recipe *r, const struct step *from, const struct step *stop, const char *word) {
        const struct step *t;
        bool after = false;

        FOREACH_STEP_BEFORE(r, t, stop) {
                const char *v;
                if (after && strcmp(t->kind, "kernel-cmdline") == 0 &&
                    (((v = step_arg(t, "add")) && has_word(v, word)) || ((v = step_arg(t, "remove")) && has_word(v, word))))
                        return true;
                after |= t == from;
        }
        return false;
}

static void check_cmdline(struct session *ss, const struct step *self, struct problems *pb) {
        struct grub_boot boot;
        _cleanup_free_ char *line = NULL;
        const struct step *st;
        bool any = false;

        FOREACH_STEP_BEFORE(ss->recipe, st, self)
                any |= strcmp(st->kind, "kernel-cmdline") == 0;
        if (!any)
                return;
        grub_boot_read(ss->g, &boot);
        free(boot.kernel);
        line = boot.cmdline;
        if (!line) {
                session_warn(ss, "%s: validate: the kernel command line is not in /boot/grub/grub.cfg; its arguments were not checked",
                             self->where);
                return;
        }
        /* Each word's last mention decides: added words must be there, removed ones gone. */
        FOREACH_STEP_BEFORE(ss->recipe, st, self) {
                if (strcmp(st->kind, "kernel-cmdline") != 0)
                        continue;
                for (int add = 0; add < 2; add++) {
                        const struct arg *a = step_arg_full(st, add ? "add" : "remove");
                        _cleanup_free_ char *copy = a && a->value ? strdup(a->value) : NULL;
                        char *save;
                        for (char *w = copy ? strtok_r(copy, " \t", &save) : NULL; w; w = strtok_r(NULL, " \t", &save)) {
                                bool later = mentioned_later(ss->recipe, st, self, w);
                                if (later)
                                        continue;
                                if (add && !has_word(line, w))
                                        problem(pb, "kernel argument '%s' (plugin %s, %s) is not on the boot loader's command line: %s",
                                                w, st->plugin->name, st->where, line);
                                else if (!add && !strchr(w, '=') && has_word(line, w))
                                        problem(pb, "kernel argument '%s' should have been removed (plugin %s, %s): %s", w,
                                                st->plugin->name, st->where, line);
                        }
                }
        }
}

struct initrd_scan {
        bool measure, policy_same, order_runs, initramfs_tools;
        const char *policy;
        size_t policy_len;
};

static int scan_cb(const struct cvm_initrd_entry *e, void *userdata) {
        struct initrd_scan *sc = userdata;

        if (strcmp(e->path, "usr/sbin/cvm-measure") == 0)
                sc->measure = true;
        else if (strcmp(e->path, "etc/cvm/policy.yaml") == 0 && S_ISREG(e->mode))
                sc->policy_same = e->size == sc->policy_len && memcmp(e->data, sc->policy, sc->policy_len) == 0;
        else if (strcmp(e->path, "scripts/local-bottom/ORDER") == 0 && S_ISREG(e->mode))
                sc->order_runs = memmem(e->data, (size_t) e->size, "/scripts/local-bottom/cvm-measure", 33) != NULL;
        else if (strcmp(e->path, "scripts/functions") == 0)
                sc->initramfs_tools = true;
        return 0;
}

static void check_initrd(struct session *ss, struct problems *pb) {
        _cleanup_free_ char *policy = NULL;
        char **images;
        size_t plen;

        if (guestfs_is_file(ss->g, "/etc/cvm/policy.yaml") <= 0)
                return;
        if (!(policy = guest_read_file(ss->g, "/etc/cvm/policy.yaml", &plen)) ||
            !(images = guestfs_glob_expand(ss->g, "/boot/initrd.img-*"))) {
                problem(pb, "cannot read /etc/cvm/policy.yaml or list /boot: %s", guestfs_last_error(ss->g));
                return;
        }
        if (!images[0])
                problem(pb, "/etc/cvm/policy.yaml is installed but /boot has no initrd.img-*: nothing would measure at boot");
        for (size_t i = 0; images[i]; i++) {
                struct initrd_scan sc = { .policy = policy, .policy_len = plen };
                cvm_initrd *rd = NULL;
                cvm_error err = { 0 };
                char host[PATH_MAX + 32];
                snprintf(host, sizeof(host), "%s/validate.img", ss->tmpdir);
                if (guestfs_is_symlink(ss->g, images[i]) > 0)
                        goto next;
                if (guest_download(ss->g, images[i], host) < 0 || cvm_initrd_open(host, &rd, &err) < 0 ||
                    cvm_initrd_foreach(rd, SIZE_MAX, true, scan_cb, &sc, &err) < 0) {
                        problem(pb, "%s: cannot be read (%s)", images[i], err.msg[0] ? err.msg : guestfs_last_error(ss->g));
                        goto next;
                }
                if (!sc.measure)
                        problem(pb, "%s has no usr/sbin/cvm-measure: this boot would not be measured", images[i]);
                if (!sc.policy_same)
                        problem(pb, "%s: its etc/cvm/policy.yaml is missing or differs from the image's /etc/cvm/policy.yaml", images[i]);
                if (sc.initramfs_tools && !sc.order_runs)
                        problem(pb, "%s: scripts/local-bottom/ORDER does not run cvm-measure", images[i]);
        next:
                cvm_initrd_close(rd);
                unlink(host);
                free(images[i]);
        }
        free(images);
}

static int validate_run(struct session *ss, const struct step *s) {
        struct problems pb = { .len = 0, .n = 0 };
        const struct step *st;

        check_files(ss, s, &pb);
        check_cmdline(ss, s, &pb);
        check_initrd(ss, &pb);
        if (!pb.n)
                return 0;
        cvm_error_set(ss->err, EINVAL, "%s: step validate (plugin %s): %zu problem%s: %s", s->where, s->plugin->name, pb.n,
                      pb.n == 1 ? "" : "s", pb.text);
        /* The problems quote other steps' paths and kernel arguments: none of their secrets. */
        FOREACH_STEP_BEFORE(ss->recipe, st, s)
                step_redact(st, ss->err);
        return -ss->err->code;
}

const struct step_kind kind_validate = { "validate", { { 0 } }, NULL, validate_run };
