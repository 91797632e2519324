/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The initrd-append step: each initramfs the guest boots is fetched to the
 * host, extended with one segment by the initrd library (no regeneration in
 * the guest, no guest boot), and put back.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../measurer/lib/internal.h"
#include "cvm/initrd.h"
#include "session.h"

static void fileset_freep(cvm_initrd_fileset **fs) {
        cvm_initrd_fileset_free(*fs);
}

static void initrd_closep(cvm_initrd **rd) {
        cvm_initrd_close(*rd);
}

/* The plugin's files under one new segment, appended to host copy in, written to out. */
static int append_one(const struct step *s, const char *in, const char *out, cvm_error *err) {
        _cleanup_(fileset_freep) cvm_initrd_fileset *fs = NULL;
        _cleanup_(initrd_closep) cvm_initrd *rd = NULL;
        const struct arg *add = step_arg_full(s, "add"), *tree = step_arg_full(s, "tree");
        const char *comp = step_arg(s, "compress");
        enum cvm_initrd_compression c;
        char base[PATH_MAX];
        int64_t epoch;
        size_t size;
        int r;

        snprintf(base, sizeof(base), "%s/files", s->plugin->dir);
        if (cvm_initrd_fileset_new(&fs) < 0)
                return cvm_error_set(err, ENOMEM, "out of memory");
        for (char **a = add ? add->list : NULL; a && *a; a++)
                if ((r = cvm_initrd_fileset_add_spec(fs, *a, base, err)) < 0)
                        return r;
        for (char **t = tree ? tree->list : NULL; t && *t; t++)
                if ((r = cvm_initrd_fileset_add_tree_spec(fs, *t, base, err)) < 0)
                        return r;
        if ((r = cvm_initrd_source_date_epoch(&epoch, err)) < 0 || (r = cvm_initrd_open_prefix(in, &rd, err)) < 0)
                return r;
        c = cvm_initrd_segment(rd, cvm_initrd_segment_count(rd) - 1)->compression;
        if (comp && cvm_initrd_compression_from_name(comp, &c) < 0)
                return cvm_error_set(err, EINVAL, "compress '%s': expected none, gzip, zstd, xz, lzma or bzip2", comp);
        if (!cvm_initrd_can_compress(c))
                c = CVM_INITRD_NONE;
        cvm_initrd_data(rd, &size);
        if ((r = cvm_initrd_fileset_add_parents(fs, err)) < 0)
                return r;
        return cvm_initrd_write_image(rd, size, fs, c, epoch, out, err);
}

int initrd_append_run(struct session *ss, const struct step *s) {
        static const char *const globs[] = { "/boot/initrd.img-*", "/boot/initramfs-*.img" };
        size_t done = 0;
        int r = 0;

        if (!step_arg_full(s, "add") && !step_arg_full(s, "tree"))
                return cvm_error_set(ss->err, EINVAL, "%s: step initrd-append needs add or tree", s->where);
        for (size_t gi = 0; gi < 2 && r == 0; gi++) {
                char **paths = guestfs_glob_expand(ss->g, globs[gi]);
                for (size_t i = 0; paths && paths[i] && r == 0; i++) {
                        char in[PATH_MAX + 32], out[PATH_MAX + 32];
                        snprintf(in, sizeof(in), "%s/initrd.in", ss->tmpdir);
                        snprintf(out, sizeof(out), "%s/initrd.out", ss->tmpdir);
                        if (guestfs_is_symlink(ss->g, paths[i]) > 0)
                                continue;
                        if (guestfs_download(ss->g, paths[i], in) < 0) {
                                r = step_gfail(ss, s, paths[i]);
                                break;
                        }
                        r = append_one(s, in, out, ss->err);
                        if (r < 0)
                                cvm_error_prefix(ss->err, "%s: step initrd-append (plugin %s): %s: ", s->where,
                                                 s->plugin->name, paths[i]);
                        else if (guestfs_upload(ss->g, out, paths[i]) < 0)
                                r = step_gfail(ss, s, paths[i]);
                        else
                                done++;
                        unlink(in);
                        unlink(out);
                }
                for (size_t i = 0; paths && paths[i]; i++)
                        free(paths[i]);
                free(paths);
        }
        if (r == 0 && done == 0)
                return cvm_error_set(ss->err, ENOENT, "%s: step initrd-append: the guest has no /boot/initrd.img-* or /boot/initramfs-*.img",
                                     s->where);
        return r;
}
