/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The ima-label step: write each regular file's security.ima xattr from the
 * host, offline, as the kernel's ima_appraise=fix would on first access
 * (ima_fix_xattr): for SHA-1 the legacy IMA_XATTR_DIGEST form (type 0x01,
 * then the digest); for other hashes IMA_XATTR_DIGEST_NG (type 0x04, the
 * kernel's enum hash_algo id, then the digest).  The anchor boots the guest
 * with ima_appraise=fix to get the same labels.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cvmbase/base.h"
#include "cvminitrd/initrd.h"
#include "session.h"

#define SCRIPT "/tmp/cvm-ima-label.sh"
#define IMA_XATTR_DIGEST 0x01
#define IMA_XATTR_DIGEST_NG 0x04

/* coreutils' NAMEsum tools and the kernel's enum hash_algo (include/uapi/linux/hash_info.h). */
static const struct {
        const char *name;
        uint8_t kernel_id;
        size_t size;
} hashes[] = {
        { "sha1", 2, 20 },
        { "sha256", 4, 32 },
        { "sha384", 5, 48 },
        { "sha512", 6, 64 },
};

/*
 * Label every regular file under the paths (relative to the guest root) in
 * one shell pipeline in the appliance, where the guest is mounted at
 * /sysroot: its coreutils hash, its setfattr writes the hex value.  Not
 * guestfs_lsetxattr: the protocol carries that value as a C string, so a
 * digest with a zero byte (one file in eight for SHA-256) would be cut.
 * Prints the number of files labelled, or fails.
 */
static int label_paths(struct session *ss, const struct step *s, size_t h, const char *paths, size_t *done) {
        _cleanup_free_ char *cmd = NULL, *out = NULL;
        char prefix[8];
        const char *count;

        if (hashes[h].kernel_id == 2)
                snprintf(prefix, sizeof(prefix), "%02x", IMA_XATTR_DIGEST);
        else
                snprintf(prefix, sizeof(prefix), "%02x%02x", IMA_XATTR_DIGEST_NG, hashes[h].kernel_id);
        /* bash (the appliance's sh is dash): NUL-separated names survive any file name. */
        if (asprintf(&cmd,
                     "set -o pipefail\ncd /sysroot\nfor p in %s; do [ -e \"$p\" ] || [ -L \"$p\" ] || { echo \"missing: /${p#./}\"; exit 1; }; done\n"
                     "find %s -xdev -type f -print0 | xargs -0 -r %ssum -z > /tmp/cvm-ima.sums || exit 1\n"
                     "n=0\nwhile IFS= read -r -d '' l; do f=\"${l#* }\"; f=\"${f# }\"\n"
                     "  setfattr -h -n security.ima -v 0x%s\"${l%%%% *}\" \"$f\" || exit 1; n=$((n + 1))\n"
                     "done < /tmp/cvm-ima.sums\necho \"labelled: $n\"\n",
                     paths, paths, hashes[h].name, prefix) < 0)
                return cvm_error_set(ss->err, ENOMEM, "out of memory");
        /* The script goes through the guest's /tmp (the appliance sees it under /sysroot) and is removed. */
        if (guestfs_write(ss->g, SCRIPT, cmd, strlen(cmd)) < 0)
                return step_gfail(ss, s, SCRIPT);
        {
                char *argv[] = { (char *) "bash /sysroot" SCRIPT " 2>&1", NULL };
                out = guestfs_debug(ss->g, "sh", argv);
        }
        if (guestfs_rm_f(ss->g, SCRIPT) < 0 || !out)
                return step_gfail(ss, s, "labelling in the appliance");
        if (!(count = strstr(out, "labelled: ")))
                return cvm_error_set(ss->err, EIO, "%s: step ima-label (plugin %s): %s", s->where, s->plugin->name,
                                     strstr(out, "missing: ") ? strstr(out, "missing: ") : out);
        *done += strtoul(count + 10, NULL, 10);
        return 0;
}

/* The guest paths of an ima-label step, each checked: absolute, below /, no '.', '..' or quote. */
static int ima_label_paths(const struct step *s, char ***ret, size_t *n, cvm_error *err) {
        char **words = step_words(step_arg_full(s, "paths"), n);

        if (!words)
                return cvm_error_set(err, ENOMEM, "out of memory");
        for (size_t i = 0; i < *n; i++)
                if (!step_guest_path_ok(words[i]) || strcmp(words[i], "/") == 0 || strchr(words[i], '\'')) {
                        int r = cvm_error_set(err, EINVAL, "%s: step ima-label: '%s' must be an absolute guest path below /, without '.', '..' or quotes",
                                              s->where, words[i]);
                        strv_free(words, *n);
                        return r;
                }
        if (*n == 0) {
                strv_free(words, *n);
                return cvm_error_set(err, EINVAL, "%s: step ima-label: no paths", s->where);
        }
        *ret = words;
        return 0;
}

/* The hash's index in hashes[], or -1. */
static int hash_index(const char *name) {
        for (size_t i = 0; i < sizeof(hashes) / sizeof(hashes[0]); i++)
                if (strcmp(hashes[i].name, name) == 0)
                        return (int) i;
        return -1;
}

int ima_label_validate(const struct step *s, cvm_error *err) {
        const char *hash = step_arg(s, "hash");
        char **words;
        size_t n;
        int r;

        if (hash && hash_index(hash) < 0)
                return cvm_error_set(err, EINVAL, "%s: step ima-label: hash '%s': expected sha1, sha256, sha384 or sha512",
                                     s->where, hash);
        if ((r = ima_label_paths(s, &words, &n, err)) < 0)
                return r;
        strv_free(words, n);
        return 0;
}

int ima_label_run(struct session *ss, const struct step *s) {
        const char *hash = step_arg(s, "hash") ? step_arg(s, "hash") : "sha256";
        size_t done = 0, n, o = 0, cap = 8;
        _cleanup_free_ char *rel = NULL;
        char **words;
        int r = 0, h;

        if ((r = ima_label_validate(s, ss->err)) < 0 || (r = ima_label_paths(s, &words, &n, ss->err)) < 0)
                return r;
        h = hash_index(hash);
        for (size_t i = 0; i < n; i++)
                cap += strlen(words[i]) + 5;
        if (!(rel = calloc(1, cap)))
                r = cvm_error_set(ss->err, ENOMEM, "out of memory");
        for (size_t i = 0; i < n && r == 0; i++) {
                char norm[PATH_MAX];
                if (cvm_initrd_path_normalise(words[i], norm, sizeof(norm)) < 0)
                        r = cvm_error_set(ss->err, EINVAL, "%s: step ima-label: '%s': path too long", s->where, words[i]);
                else
                        /* "./" first: a guest path is never an option to find ("/-delete" is a file, not an action). */
                        o += (size_t) sprintf(rel + o, "%s'./%s'", o ? " " : "", norm);
        }
        strv_free(words, n);
        if (r == 0)
                r = label_paths(ss, s, (size_t) h, rel, &done);
        if (r == 0 && done == 0)
                session_warn(ss, "%s: step ima-label labelled no file (no regular file under the paths given)", s->where);
        return r;
}
