/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The bundle step: install this project's own programs into the guest as a
 * self-contained bundle (cvminitrd/bundle.h): each program with its library
 * closure and loader, taken from this host, so the guest needs none of its
 * libraries (Debian's libtss2 is not in a minimal image, and never static).
 * Programs come only from the folder cvm-rewrite itself runs from, by name.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cvmbase/base.h"
#include "cvminitrd/bundle.h"
#include "session.h"

extern const uint8_t cvm_launcher_start[], cvm_launcher_end[];

static void bundle_freep(cvm_bundle **b) {
        cvm_bundle_free(*b);
}

/* Everything the bundle wrote (directories and files) to root:root in the guest. */
static int chown_all(struct session *ss, const struct step *s, const cvm_bundle *b, const char *prefix) {
        static const char *const dirs[] = { "", "/bin", "/libexec", "/lib" };
        char p[PATH_MAX];

        for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
                snprintf(p, sizeof(p), "%s%s", prefix, dirs[i]);
                if (guestfs_lchown(ss->g, 0, 0, p) < 0)
                        return step_gfail(ss, s, p);
        }
        for (size_t i = 0; i < cvm_bundle_count(b); i++) {
                const char *dest, *src;
                cvm_bundle_file(b, i, &dest, &src);
                snprintf(p, sizeof(p), "%s/%s", prefix, dest);
                if (guestfs_lchown(ss->g, 0, 0, p) < 0)
                        return step_gfail(ss, s, p);
        }
        return 0;
}

int bundle_run(struct session *ss, const struct step *s) {
        _cleanup_(bundle_freep) cvm_bundle *b = NULL;
        const struct arg *programs = step_arg_full(s, "programs"), *libs = step_arg_full(s, "libs");
        const char *prefix = step_arg(s, "prefix") ? step_arg(s, "prefix") : "/usr/lib/cvm/bundle";
        char dir[PATH_MAX], bin[PATH_MAX + 256], work[PATH_MAX + 16], out[PATH_MAX + 300], parent[PATH_MAX];
        int r;

        if ((r = session_programs_dir(dir, sizeof(dir), ss->err)) < 0 || (r = cvm_bundle_new(prefix, &b, ss->err)) < 0)
                goto fail;
        for (char **p = programs->list; *p; p++) {
                snprintf(bin, sizeof(bin), "%s/%s", dir, *p);
                if ((r = cvm_bundle_add_binary(b, bin, ss->err)) < 0)
                        goto fail;
        }
        for (char **l = libs ? libs->list : NULL; l && *l; l++)
                if ((r = cvm_bundle_add_library(b, *l, ss->err)) < 0)
                        goto fail;
        /* Written under the session's scratch folder, which the session removes whole. */
        snprintf(work, sizeof(work), "%s/bundle.XXXXXX", ss->tmpdir);
        if (!mkdtemp(work)) {
                r = cvm_error_set(ss->err, errno, "%s: %s", work, strerror(errno));
                goto fail;
        }
        snprintf(out, sizeof(out), "%s/%s", work, strrchr(prefix, '/') + 1);
        if ((r = cvm_bundle_write(b, out, cvm_launcher_start, (size_t) (cvm_launcher_end - cvm_launcher_start), ss->err)) < 0)
                goto fail;

        /* A second run replaces the bundle whole: nothing of an older one is left beside it. */
        snprintf(parent, sizeof(parent), "%.*s", (int) (strrchr(prefix, '/') - prefix), prefix);
        if (guestfs_rm_rf(ss->g, prefix) < 0 || guestfs_mkdir_p(ss->g, *parent ? parent : "/") < 0 ||
            guestfs_copy_in(ss->g, out, *parent ? parent : "/") < 0)
                return step_gfail(ss, s, prefix);
        return chown_all(ss, s, b, prefix);
fail:
        return cvm_error_prefix(ss->err, "%s: step bundle (plugin %s): ", s->where, s->plugin->name), r;
}
