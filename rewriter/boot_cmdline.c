/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The kernel-cmdline step and the command line the guest will boot.  Debian
 * and Ubuntu keep it in GRUB_CMDLINE_LINUX_DEFAULT, which cloud images set in
 * /etc/default/grub.d/50-cloudimg-settings.cfg (sourced after
 * /etc/default/grub, so the last file that sets it wins); BLS systems keep it
 * in the `options` line of each /boot/loader/entries/NAME.conf.  Edits are idempotent:
 * an argument added twice is there once, KEY=VALUE replaces KEY=OTHER.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cvmbase/base.h"
#include "grub_boot.h"
#include "guest_read.h"
#include "step_kind.h"

#define CMDLINE_MAX 4096
#define VAR "GRUB_CMDLINE_LINUX_DEFAULT="

/* The key of an argument: up to '=' (the whole argument when there is none). */
static size_t key_len(const char *a) {
        return strcspn(a, "=");
}

static bool same_key(const char *a, const char *b) {
        size_t ka = strcspn(a, "= \t"), kb = key_len(b);
        return ka == kb && strncmp(a, b, ka) == 0;
}

/* Each word of list (a list argument, or one space-separated scalar) through fn. */
static void each_word(const struct arg *a, void (*fn)(char *line, const char *word), char *line) {
        if (!a)
                return;
        if (a->list) {
                for (char **w = a->list; *w; w++)
                        fn(line, *w);
                return;
        }
        if (a->value) {
                _cleanup_free_ char *copy = strdup(a->value);
                char *save;
                for (char *w = copy ? strtok_r(copy, " \t", &save) : NULL; w; w = strtok_r(NULL, " \t", &save))
                        fn(line, w);
        }
}

/* Drop every argument whose key is word's key (word "quiet" drops "quiet"; "console" drops "console=..."). */
static void drop(char *line, const char *word) {
        char out[CMDLINE_MAX] = "";
        char *save;

        for (char *a = strtok_r(line, " \t", &save); a; a = strtok_r(NULL, " \t", &save)) {
                if (same_key(a, word))
                        continue;
                if (*out)
                        strncat(out, " ", sizeof(out) - strlen(out) - 1);
                strncat(out, a, sizeof(out) - strlen(out) - 1);
        }
        strcpy(line, out);
}

static void add(char *line, const char *word) {
        drop(line, word);
        if (strlen(line) + strlen(word) + 2 > CMDLINE_MAX)
                return;
        if (*line)
                strcat(line, " ");
        strcat(line, word);
}

/* Apply the step's remove then add lists to args (a writable CMDLINE_MAX buffer). */
static void edit(const struct step *s, char *args) {
        each_word(step_arg_full(s, "remove"), drop, args);
        each_word(step_arg_full(s, "add"), add, args);
}

/* The GRUB variable in the last file that sets it: returns that file (free()). */
static char *grub_file(struct session *ss) {
        char *found = NULL;
        char **cfgs = guestfs_glob_expand(ss->g, "/etc/default/grub.d/*.cfg");
        const char *candidates[64];
        size_t n = 0;

        if (guestfs_is_file(ss->g, "/etc/default/grub") > 0)
                candidates[n++] = "/etc/default/grub";
        for (size_t i = 0; cfgs && cfgs[i] && n < 64; i++)
                candidates[n++] = cfgs[i];
        for (size_t i = 0; i < n; i++) {
                size_t len;
                _cleanup_free_ char *text = guest_read_file(ss->g, candidates[i], &len);
                if (text && (strstr(text, "\n" VAR) || strncmp(text, VAR, strlen(VAR)) == 0)) {
                        free(found);
                        found = strdup(candidates[i]);
                }
        }
        if (!found && guestfs_is_file(ss->g, "/etc/default/grub") > 0)
                found = strdup("/etc/default/grub");
        for (size_t i = 0; cfgs && cfgs[i]; i++)
                free(cfgs[i]);
        free(cfgs);
        return found;
}

/* Rewrite file's lines: those starting with prefix get their argument string edited. */
static int edit_lines(struct session *ss, const struct step *s, const char *file, const char *prefix, bool quoted) {
        _cleanup_free_ char *text = NULL, *out = NULL;
        size_t n, o = 0, pl = strlen(prefix);
        bool seen = false;
        char *save;

        if (!(text = guest_read_file(ss->g, file, &n)) || !(out = malloc(n + CMDLINE_MAX + 64)))
                return step_gfail(ss, s, file);
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char args[CMDLINE_MAX] = "";
                if (strncmp(line, prefix, pl) != 0) {
                        o += (size_t) sprintf(out + o, "%s\n", line);
                        continue;
                }
                snprintf(args, sizeof(args), "%s", line + pl);
                if (quoted && (args[0] == '"' || args[0] == '\'')) {
                        size_t l = strlen(args);
                        memmove(args, args + 1, l);
                        if (l >= 2 && (args[l - 2] == '"' || args[l - 2] == '\''))
                                args[l - 2] = '\0';
                }
                edit(s, args);
                o += (size_t) sprintf(out + o, quoted ? "%s\"%s\"\n" : "%s%s\n", prefix, args);
                seen = true;
        }
        if (!seen && quoted) {
                char args[CMDLINE_MAX] = "";
                edit(s, args);
                o += (size_t) sprintf(out + o, "%s\"%s\"\n", prefix, args);
        }
        return guestfs_write(ss->g, file, out, o) < 0 ? step_gfail(ss, s, file) : 0;
}

/*
 * The length of a grub.cfg line's kernel command, "linux " or "linuxefi "
 * (the EFI handover loader: the kernel's EFI stub runs, so it gets the TPM
 * event log), with its blank; 0 for other lines.
 */
static int linux_command(const char *p) {
        if (strncmp(p, "linux ", 6) == 0 || strncmp(p, "linux\t", 6) == 0)
                return 6;
        if (strncmp(p, "linuxefi ", 9) == 0 || strncmp(p, "linuxefi\t", 9) == 0)
                return 9;
        return 0;
}

/* Edit grub.cfg's linux lines directly: no generator in the guest, or it failed. */
static int edit_grub_cfg(struct session *ss, const struct step *s) {
        _cleanup_free_ char *text = NULL, *out = NULL;
        size_t n, o = 0;
        char *save;

        if (!(text = guest_read_file(ss->g, GRUB_CFG, &n)) || !(out = malloc(n * 2 + CMDLINE_MAX)))
                return step_gfail(ss, s, GRUB_CFG);
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char *p = line + strspn(line, " \t"), args[CMDLINE_MAX], kernel[1024];
                int indent = (int) (p - line), cmd = linux_command(p);
                if (!cmd || sscanf(p + cmd, "%1023s", kernel) != 1) {
                        o += (size_t) sprintf(out + o, "%s\n", line);
                        continue;
                }
                snprintf(args, sizeof(args), "%s", strstr(p + cmd, kernel) + strlen(kernel));
                edit(s, args);
                o += (size_t) sprintf(out + o, "%.*s%.*s%s %s\n", indent, line, cmd, p, kernel, args);
        }
        return guestfs_write(ss->g, GRUB_CFG, out, o) < 0 ? step_gfail(ss, s, GRUB_CFG) : 0;
}

static int kernel_cmdline_run(struct session *ss, const struct step *s) {
        _cleanup_free_ char *file = grub_file(ss);
        char **entries = guestfs_glob_expand(ss->g, "/boot/loader/entries/*.conf");
        bool bls = entries && entries[0];
        int r = 0;

        if (!file && !bls) {
                for (size_t i = 0; entries && entries[i]; i++)
                        free(entries[i]);
                free(entries);
                /* GRUB without its generator (a minimal image): grub.cfg is the configuration. */
                if (guestfs_is_file(ss->g, GRUB_CFG) > 0)
                        return edit_grub_cfg(ss, s);
                return cvm_error_set(ss->err, ENOENT, "%s: step kernel-cmdline (plugin %s): neither /etc/default/grub, "
                                     GRUB_CFG " nor BLS entries in /boot/loader/entries: no boot loader configuration this step knows",
                                     s->where, s->plugin->name);
        }
        if (file)
                r = edit_lines(ss, s, file, VAR, true);
        for (size_t i = 0; r == 0 && entries && entries[i]; i++)
                r = edit_lines(ss, s, entries[i], "options ", false);
        for (size_t i = 0; entries && entries[i]; i++)
                free(entries[i]);
        free(entries);
        if (r < 0 || !file)
                return r;
        /* Regenerate the guest's way when it can; else edit grub.cfg's linux lines the same way. */
        if (guestfs_is_file(ss->g, "/usr/sbin/update-grub") > 0 && guestfs_is_dir(ss->g, "/boot/grub") > 0) {
                _cleanup_free_ char *o = guestfs_sh(ss->g, "update-grub 2>&1");
                if (o)
                        return 0;
                session_warn(ss, "%s: update-grub failed in the appliance (%s); editing /boot/grub/grub.cfg directly",
                             s->where, guestfs_last_error(ss->g));
        }
        if (guestfs_is_file(ss->g, GRUB_CFG) > 0)
                return edit_grub_cfg(ss, s);
        session_warn(ss, "%s: no update-grub and no " GRUB_CFG ": only %s was changed", s->where, file);
        return 0;
}

const struct step_kind kind_kernel_cmdline = { "kernel-cmdline", { { "add", &arg_words, false }, { "remove", &arg_words, false } }, NULL,
                                              kernel_cmdline_run };
