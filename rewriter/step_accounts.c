/* SPDX-License-Identifier: Apache-2.0 */
/* The account step kinds: chown, ssh-inject, password (the guest's passwd, group and shadow read through accounts.h). */

#include <assert.h>
#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cvmbase/base.h"
#include "accounts.h"
#include "guest_read.h"
#include "step_kind.h"

static int guest_id(struct session *ss, const char *file, const char *name, uint32_t *id, uint32_t *gid, char **home) {
        _cleanup_free_ char *text = NULL;
        struct account a;
        size_t n;
        int r;

        if (strspn(name, "0123456789") == strlen(name) && *name && strlen(name) < 10) {
                *id = (uint32_t) strtoul(name, NULL, 10);
                return 0;
        }
        if (!(text = guest_read_file(ss->g, file, &n)))
                return cvm_error_set(ss->err, ENOENT, "the guest's %s: %s", file, guestfs_last_error(ss->g));
        if ((r = accounts_find(text, n, file, name, home != NULL, &a, ss->err)) < 0)
                return r;
        *id = a.id;
        if (gid)
                *gid = a.gid;
        if (home)
                *home = a.home;
        return 0;
}

static int run_chown(struct session *ss, const struct step *s) {
        const char *p = step_arg(s, "path"), *owner = step_arg(s, "owner"), *group = step_arg(s, "group");
        _cleanup_free_ char *home = NULL;
        uint32_t uid, gid = UINT32_MAX, primary = UINT32_MAX;

        if (guest_id(ss, "/etc/passwd", owner, &uid, &primary, &home) < 0)
                return step_fail(ss, s, "owner: %s", ss->err->msg);
        if (group && guest_id(ss, "/etc/group", group, &gid, NULL, NULL) < 0)
                return step_fail(ss, s, "group: %s", ss->err->msg);
        if (guestfs_chown(ss->g, (int) uid, (int) (gid != UINT32_MAX ? gid : primary != UINT32_MAX ? primary : uid), p) < 0)
                return step_gfail(ss, s, p);
        return 0;
}

static int run_ssh_inject(struct session *ss, const struct step *s) {
        const char *user = step_arg(s, "user"), *key = step_arg(s, "key");
        _cleanup_free_ char *home = NULL, *old = NULL, *text = NULL;
        char dir[PATH_MAX], keys[PATH_MAX];
        uint32_t uid, gid = UINT32_MAX;
        size_t n = 0;

        if (guest_id(ss, "/etc/passwd", user, &uid, &gid, &home) < 0)
                return step_fail(ss, s, "user: %s", ss->err->msg);
        if (!home || !step_guest_path_ok(home))
                return step_fail(ss, s, "user '%s' has no absolute home directory in the guest's /etc/passwd", user);
        if ((size_t) snprintf(dir, sizeof(dir), "%s/.ssh", home) >= sizeof(dir) ||
            (size_t) snprintf(keys, sizeof(keys), "%s/authorized_keys", dir) >= sizeof(keys))
                return step_fail(ss, s, "home directory '%s' is too long", home);
        if (guestfs_mkdir_p(ss->g, dir) < 0 || guestfs_chmod(ss->g, 0700, dir) < 0 ||
            guestfs_chown(ss->g, (int) uid, (int) gid, dir) < 0)
                return step_gfail(ss, s, dir);
        if (guestfs_exists(ss->g, keys) > 0 && !(old = guest_read_file(ss->g, keys, &n)))
                return step_gfail(ss, s, keys);
        if (old && strstr(old, key))
                return 0;
        if (asprintf(&text, "%s%s%s\n", old ? old : "", n && old[n - 1] != '\n' ? "\n" : "", key) < 0)
                return step_fail(ss, s, "out of memory");
        if (guestfs_write(ss->g, keys, text, strlen(text)) < 0 || guestfs_chmod(ss->g, 0600, keys) < 0 ||
            guestfs_chown(ss->g, (int) uid, (int) gid, keys) < 0)
                return step_gfail(ss, s, keys);
        return 0;
}

/* Exactly one of password and hash, and a password that is not empty. */
static int validate_password(const struct step *s, cvm_error *err) {
        const char *pw = step_arg(s, "password");

        if (!pw == !step_arg(s, "hash"))
                return cvm_error_set(err, EINVAL, "%s: step password needs exactly one of password and hash", s->where);
        if (pw && !*pw)
                return cvm_error_set(err, EINVAL, "%s: step password (plugin %s): an empty password is refused; give password or hash",
                                     s->where, s->plugin->name);
        return 0;
}

/* pw's SHA-512 crypt with 16 random salt characters, in cd. */
static int hash_password(struct session *ss, const struct step *s, const char *pw, struct crypt_data *cd, const char **hash) {
        static const char abc[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789./";
        char salt[3 + 16 + 1] = "$6$";
        uint8_t rnd[16];
        int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

        if (fd < 0 || read(fd, rnd, sizeof(rnd)) != (ssize_t) sizeof(rnd)) {
                if (fd >= 0)
                        close(fd);
                return step_fail(ss, s, "no randomness for the salt");
        }
        close(fd);
        for (int i = 0; i < 16; i++)
                salt[3 + i] = abc[rnd[i] % 64];
        *hash = crypt_r(pw, salt, cd);
        if (!*hash || (*hash)[0] != '$')
                return step_fail(ss, s, "crypt failed");
        return 0;
}

/* The user's shadow line gets the hash: the one given (checked by its type), or the password's. */
static int run_password(struct session *ss, const struct step *s) {
        const char *user = step_arg(s, "user"), *pw = step_arg(s, "password"), *hash = step_arg(s, "hash");
        _cleanup_free_ char *shadow = NULL, *out = NULL;
        struct crypt_data cd = { 0 };
        size_t n, o = 0;
        int r;

        assert(!pw != !hash);
        if (!hash && (r = hash_password(ss, s, pw, &cd, &hash)) < 0)
                return r;
        if (!(shadow = guest_read_file(ss->g, "/etc/shadow", &n)))
                return step_gfail(ss, s, "/etc/shadow");
        if (accounts_shadow_set(shadow, n, "the guest's /etc/shadow", user, hash, &out, &o, ss->err) < 0)
                return step_fail(ss, s, "%s", ss->err->msg);
        if (guestfs_write(ss->g, "/etc/shadow", out, o) < 0)
                return step_gfail(ss, s, "/etc/shadow");
        return 0;
}

const struct step_kind kind_chown = { "chown", { { "path", &arg_guest_path, true }, { "owner", &arg_user, true }, { "group", &arg_user, false } }, NULL,
                                      run_chown };
const struct step_kind kind_ssh_inject = { "ssh-inject", { { "user", &arg_user, true }, { "key", &arg_text, true } }, NULL,
                                           run_ssh_inject };
const struct step_kind kind_password = { "password",
                                         { { "user", &arg_user, true }, { "password", &arg_secret, false }, { "hash", &arg_crypt_hash, false } },
                                         validate_password, run_password };
