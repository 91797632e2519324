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
#include <sys/stat.h>
#include <unistd.h>

#include "cvmbase/base.h"
#include "cvminitrd/initrd.h"
#include "guest_read.h"
#include "step_kind.h"

/* Copy guest path p (file, folder or symlink) into the set, staged under the host folder stage. */
static int add_guest_path(struct session *ss, const struct step *s, cvm_initrd_fileset *fs, const char *stage,
                          size_t index, const char *p) {
        char host[PATH_MAX * 2], dir[PATH_MAX + 32];

        /* Each path in a folder of its own (copy-out keeps only the last component). */
        if ((size_t) snprintf(dir, sizeof(dir), "%s/%zu", stage, index) >= sizeof(dir) ||
            (size_t) snprintf(host, sizeof(host), "%s/%s", dir, strrchr(p, '/') + 1) >= sizeof(host))
                return cvm_error_set(ss->err, ENAMETOOLONG, "%s: path too long", stage);
        if (guestfs_is_symlink(ss->g, p) > 0) {
                _cleanup_free_ char *target = guestfs_readlink(ss->g, p);
                struct cvm_initrd_entry e = { .path = p + 1, .mode = S_IFLNK | 0777, .link = target };
                return target ? cvm_initrd_fileset_add_entry(fs, &e, ss->err) : step_gfail(ss, s, p);
        }
        if (guestfs_exists(ss->g, p) <= 0)
                return cvm_error_set(ss->err, ENOENT, "%s: step initrd-append (plugin %s): guest path %s does not exist",
                                     s->where, s->plugin->name, p);
        if (mkdir(dir, 0700) < 0)
                return cvm_error_set(ss->err, errno, "%s: %s", dir, strerror(errno));
        if (guestfs_copy_out(ss->g, p, dir) < 0)
                return step_gfail(ss, s, p);
        if (guestfs_is_dir(ss->g, p) > 0)
                return cvm_initrd_fileset_add_tree(fs, host, p, ss->err);
        return cvm_initrd_fileset_add_file(fs, host, p, 0, ss->err);
}

/* The host sources opened for the segment: the set reads them through these descriptors when it is written. */
struct fds {
        int fd[256];
        size_t n;
};

static void fds_close(struct fds *f) {
        for (size_t i = 0; i < f->n; i++)
                close(f->fd[i]);
}

/* One add (S_IFREG) or tree (S_IFDIR) entry "SOURCE:DEST[:MODE]": the source opened by the host-source rule, then given to the set by descriptor. */
static int add_host_spec(struct session *ss, const struct step *s, cvm_initrd_fileset *fs, struct fds *fds, const char *spec,
                         mode_t want) {
        size_t n = strcspn(spec, ":");
        char src[PATH_MAX], via[PATH_MAX + 64];
        int r;

        if (!spec[n] || n == 0 || n >= sizeof(src))
                return cvm_error_set(ss->err, EINVAL, "%s: step %s: '%s': expected SOURCE:DEST", s->where, s->kind, spec);
        if (fds->n == sizeof(fds->fd) / sizeof(fds->fd[0]))
                return cvm_error_set(ss->err, E2BIG, "%s: step %s: more than %zu host sources", s->where, s->kind, fds->n);
        memcpy(src, spec, n);
        src[n] = '\0';
        if ((r = host_source_open(s, src, want, &fds->fd[fds->n], ss->err)) < 0)
                return r;
        /* A trailing '/' makes the tree walk start in the directory itself, not at the descriptor's link. */
        snprintf(via, sizeof(via), "/proc/self/fd/%d%s%s", fds->fd[fds->n++], want == S_IFDIR ? "/" : "", spec + n);
        return want == S_IFDIR ? cvm_initrd_fileset_add_tree_spec(fs, via, NULL, ss->err)
                               : cvm_initrd_fileset_add_spec(fs, via, NULL, ss->err);
}

/* The segment's files: the plugin's (add, tree) and the guest's (guest), the same for every initramfs. */
static int build_fileset(struct session *ss, const struct step *s, cvm_initrd_fileset *fs, struct fds *fds) {
        const struct arg *add = step_arg_full(s, "add"), *tree = step_arg_full(s, "tree"), *guest = step_arg_full(s, "guest");
        char stage[PATH_MAX + 32], **words;
        size_t n;
        int r = 0;

        for (char **a = add ? add->list : NULL; a && *a; a++)
                if ((r = add_host_spec(ss, s, fs, fds, *a, S_IFREG)) < 0)
                        return r;
        for (char **t = tree ? tree->list : NULL; t && *t; t++)
                if ((r = add_host_spec(ss, s, fs, fds, *t, S_IFDIR)) < 0)
                        return r;
        if (!guest)
                return 0;
        /* Staged under the session's scratch folder, which the session removes whole. */
        snprintf(stage, sizeof(stage), "%s/initrd-guest.XXXXXX", ss->tmpdir);
        if (!mkdtemp(stage))
                return cvm_error_set(ss->err, errno, "%s: %s", stage, strerror(errno));
        /* An entry may hold several space-separated paths (a parameter substituted into one). */
        if (!(words = step_words(guest, &n)))
                return cvm_error_set(ss->err, ENOMEM, "out of memory");
        for (size_t i = 0; i < n && r == 0; i++) {
                const char *w = words[i];
                if (!step_guest_path_ok(w) || strcmp(w, "/") == 0)
                        r = cvm_error_set(ss->err, EINVAL, "%s: step initrd-append: guest path '%s' must be absolute, below /, without '.' or '..'",
                                          s->where, w);
                else
                        r = add_guest_path(ss, s, fs, stage, i, w);
        }
        strv_free(words, n);
        return r;
}

/* A modules.dep larger than this is not one (a whole distribution kernel's is about 1 MiB). */
#define MODULES_DEP_MAX (16u << 20)

/* The kernel version of an initramfs: /boot/initrd.img-VERSION or /boot/initramfs-VERSION.img; NULL for another name. */
static char *image_version(const char *path) {
        const char *b = strrchr(path, '/') + 1;
        size_t n = strlen(b);
        char *v = NULL;

        if (strncmp(b, "initrd.img-", 11) == 0 && n > 11)
                v = strdup(b + 11);
        else if (strncmp(b, "initramfs-", 10) == 0 && n > 14 && strcmp(b + n - 4, ".img") == 0)
                v = strndup(b + 10, n - 14);
        /* It becomes a guest path: a version's characters only, never "." or "..". */
        if (v && (strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._+~-") != strlen(v) ||
                  strcmp(v, ".") == 0 || strcmp(v, "..") == 0)) {
                free(v);
                v = NULL;
        }
        return v;
}

/* Whether modules.dep's path (up to len) is module name's file: its base name up to ".ko", '-' and '_' the same. */
static bool module_is(const char *path, size_t len, const char *name) {
        const char *b = path;
        size_t i;

        for (size_t k = 0; k < len; k++)
                if (path[k] == '/')
                        b = path + k + 1;
        for (i = 0; name[i] && b + i < path + len; i++)
                if (!(b[i] == name[i] || (b[i] == '-' && name[i] == '_') || (b[i] == '_' && name[i] == '-')))
                        return false;
        return !name[i] && b + i + 3 <= path + len && strncmp(b + i, ".ko", 3) == 0;
}

/*
 * Module name's file and its dependencies, from the kernel's modules.dep
 * (text, NUL-terminated): in *ret, the relative paths in load order
 * (dependencies first, which modules.dep lists last first).  0 with *n = 0
 * when modules.dep has no such module (built in, or not in this kernel).
 */
static int module_files(const char *dep, const char *name, char ***ret, size_t *n) {
        for (const char *l = dep; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
                size_t ll = strcspn(l, "\n"), kl = strcspn(l, ":\n");
                char **v, *save, *line;
                size_t k = 0;
                if (kl == ll || !module_is(l, kl, name))
                        continue;
                if (!(line = strndup(l + kl + 1, ll - kl - 1)) || !(v = calloc(ll / 2 + 2, sizeof(char *)))) {
                        free(line);
                        return -ENOMEM;
                }
                for (char *w = strtok_r(line, " \t", &save); w; w = strtok_r(NULL, " \t", &save))
                        v[k++] = strdup(w);
                /* Reverse: the last dependency loads first; the module itself last. */
                for (size_t i = 0; i < k / 2; i++) {
                        char *t = v[i];
                        v[i] = v[k - 1 - i];
                        v[k - 1 - i] = t;
                }
                v[k++] = strndup(l, kl);
                free(line);
                for (size_t i = 0; i < k; i++)
                        if (!v[i])
                                return strv_free(v, k), -ENOMEM;
                *ret = v;
                *n = k;
                return 0;
        }
        *n = 0;
        return 0;
}

/*
 * The step's modules for the kernel of image: each module's file and its
 * dependencies (per /lib/modules/VERSION/modules.dep) at their place in the
 * kernel's tree, and /lib/modules/VERSION/cvm-modules listing them in load
 * order.  The image's own modules.dep.bin, which modprobe reads, cannot be
 * extended by an appended segment (a later copy would replace the whole
 * index), so the measurer's initramfs script loads these by path.  A kernel
 * without the module (built in, or none) gets nothing.
 */
static int add_modules(struct session *ss, const struct step *s, cvm_initrd_fileset *fs, const char *image) {
        const struct arg *mods = step_arg_full(s, "modules");
        _cleanup_free_ char *version = image_version(image), *dep = NULL, *list = NULL;
        char path[PATH_MAX], stage[PATH_MAX + 32];
        size_t len = 0, idx = 0, listlen = 0;
        int64_t size;
        int r = 0;

        if (!mods || !version)
                return 0;
        snprintf(path, sizeof(path), "/lib/modules/%s/modules.dep", version);
        if (guestfs_is_file_opts(ss->g, path, GUESTFS_IS_FILE_OPTS_FOLLOWSYMLINKS, 1, -1) <= 0)
                return 0;
        if ((size = guestfs_filesize(ss->g, path)) < 0)
                return step_gfail(ss, s, path);
        if (size > MODULES_DEP_MAX)
                return step_fail(ss, s, "%s: %lld bytes, over the %u of a modules.dep", path, (long long) size, MODULES_DEP_MAX);
        if (!(dep = guest_read_file(ss->g, path, &len)))
                return step_gfail(ss, s, path);
        if (strlen(dep) != len)
                return step_fail(ss, s, "%s: a NUL byte at offset %zu: modules.dep is text", path, strlen(dep));
        snprintf(stage, sizeof(stage), "%s/initrd-modules.XXXXXX", ss->tmpdir);
        if (!mkdtemp(stage))
                return cvm_error_set(ss->err, errno, "%s: %s", stage, strerror(errno));
        for (char **m = mods->list; *m && r == 0; m++) {
                char **files = NULL;
                size_t n = 0;
                if (module_files(dep, *m, &files, &n) < 0)
                        return cvm_error_set(ss->err, ENOMEM, "out of memory");
                for (size_t i = 0; i < n && r == 0; i++) {
                        char guest[PATH_MAX], *next;
                        if ((size_t) snprintf(guest, sizeof(guest), "/lib/modules/%s/%s", version, files[i]) >= sizeof(guest) ||
                            files[i][0] == '/' || !step_guest_path_ok(guest) || strpbrk(files[i], "'\"\\$` "))
                                r = step_fail(ss, s, "%s: module path '%s' is not a relative path in the module tree", path, files[i]);
                        else if (cvm_initrd_fileset_contains(fs, guest + 1))
                                continue;
                        else if ((r = add_guest_path(ss, s, fs, stage, idx++, guest)) == 0) {
                                if (asprintf(&next, "%s%s\n", list ? list : "", files[i]) < 0)
                                        r = cvm_error_set(ss->err, ENOMEM, "out of memory");
                                else
                                        free(list), list = next, listlen = strlen(list);
                        }
                }
                strv_free(files, n);
        }
        if (r < 0 || !list)
                return r;
        snprintf(path, sizeof(path), "lib/modules/%s/cvm-modules", version);
        struct cvm_initrd_entry e = { .path = path, .mode = S_IFREG | 0644, .size = listlen, .data = (const uint8_t *) list };
        return cvm_initrd_fileset_add_entry(fs, &e, ss->err);
}

struct order_find {
        const char *path;
        char *text;
        size_t len;
        bool initramfs_tools;
};

/* Keep the last copy of one file (later segments override earlier ones), and whether this is initramfs-tools'. */
static int order_cb(const struct cvm_initrd_entry *e, void *userdata) {
        struct order_find *o = userdata;

        o->initramfs_tools |= strcmp(e->path, "scripts/functions") == 0;
        if (strcmp(e->path, o->path) != 0 || !S_ISREG(e->mode))
                return 0;
        free(o->text);
        o->len = (size_t) e->size;
        if (!(o->text = malloc(o->len + 1)))
                return -ENOMEM;
        memcpy(o->text, e->data, o->len);
        o->text[o->len] = '\0';
        return 0;
}

/*
 * initramfs-tools runs a phase's scripts only through scripts/PHASE/ORDER,
 * written by mkinitramfs; a script added later must be listed there too.
 * Idempotent: an ORDER that already runs the script is kept as is.
 */
static int add_to_order(struct session *ss, const struct step *s, const cvm_initrd *rd, cvm_initrd_fileset *fs,
                        const char *script, const char *image) {
        struct order_find o = { 0 };
        char order[PATH_MAX], line[PATH_MAX + 16], path[PATH_MAX];
        _cleanup_free_ char *text = NULL;
        int r;

        snprintf(path, sizeof(path), "scripts/%s", script);
        snprintf(order, sizeof(order), "scripts/%.*s/ORDER", (int) (strchr(script, '/') - script), script);
        if (!cvm_initrd_fileset_contains(fs, path))
                return cvm_error_set(ss->err, EINVAL, "%s: step initrd-append (plugin %s): initramfs-tools script /%s is not among the files this step adds",
                                     s->where, s->plugin->name, path);
        o.path = order;
        r = cvm_initrd_foreach(rd, SIZE_MAX, true, order_cb, &o, ss->err);
        text = o.text;
        if (r < 0)
                return r == -ENOMEM ? cvm_error_set(ss->err, ENOMEM, "out of memory") : r;
        if (!o.initramfs_tools) {
                session_warn(ss, "%s: %s is not an initramfs-tools image; /%s is added but nothing runs it", s->where, image, path);
                return 0;
        }
        snprintf(line, sizeof(line), "/%s \"$@\"\n", path);
        if (text && strstr(text, line))
                return 0;
        _cleanup_free_ char *next = NULL;
        if (asprintf(&next, "%s%s%s[ -e /conf/param.conf ] && . /conf/param.conf\n", text ? text : "",
                     text && o.len && text[o.len - 1] != '\n' ? "\n" : "", line) < 0)
                return cvm_error_set(ss->err, ENOMEM, "out of memory");
        struct cvm_initrd_entry e = { .path = order, .mode = S_IFREG | 0644, .size = strlen(next), .data = (const uint8_t *) next };
        return cvm_initrd_fileset_add_entry(fs, &e, ss->err);
}

/* The step's set under one new segment, appended to host copy in, written to out. */
static int append_one(struct session *ss, const struct step *s, cvm_initrd_fileset *fs, const char *in,
                      const char *out, const char *image) {
        _cleanup_(cvm_initrd_closep) cvm_initrd *rd = NULL;
        const struct arg *scripts = step_arg_full(s, "initramfs-tools");
        const char *comp = step_arg(s, "compress");
        enum cvm_initrd_compression c;
        int64_t epoch;
        size_t size;
        int r;

        /* Every segment is read: the new paths go where the image's symlinks lead (merged /usr). */
        if ((r = cvm_initrd_source_date_epoch(&epoch, ss->err)) < 0 || (r = cvm_initrd_open(in, &rd, ss->err)) < 0)
                return r;
        for (char **sc = scripts ? scripts->list : NULL; sc && *sc; sc++)
                if ((r = add_to_order(ss, s, rd, fs, *sc, image)) < 0)
                        return r;
        c = cvm_initrd_segment(rd, cvm_initrd_segment_count(rd) - 1)->compression;
        if (comp && cvm_initrd_compression_from_name(comp, &c) < 0)
                return cvm_error_set(ss->err, EINVAL, "compress '%s': expected none, gzip, zstd, xz, lzma or bzip2", comp);
        if (!cvm_initrd_can_compress(c))
                c = CVM_INITRD_NONE;
        cvm_initrd_data(rd, &size);
        if ((r = cvm_initrd_fileset_place(fs, rd, 0, ss->err)) < 0)
                return r;
        return cvm_initrd_write_image(rd, size, fs, c, epoch, out, ss->err);
}

/* Something to append, and a compression this build knows. */
static int initrd_append_validate(const struct step *s, cvm_error *err) {
        const char *comp = step_arg(s, "compress");
        enum cvm_initrd_compression c;

        if (!step_arg_full(s, "add") && !step_arg_full(s, "tree") && !step_arg_full(s, "guest"))
                return cvm_error_set(err, EINVAL, "%s: step initrd-append needs add, tree or guest", s->where);
        if (comp && cvm_initrd_compression_from_name(comp, &c) < 0)
                return cvm_error_set(err, EINVAL, "%s: step initrd-append: compress '%s': expected none, gzip, zstd, xz, lzma or bzip2",
                                     s->where, comp);
        return 0;
}

static int initrd_append_run(struct session *ss, const struct step *s) {
        static const char *const globs[] = { "/boot/initrd.img-*", "/boot/initramfs-*.img" };
        size_t done = 0;
        int r = 0;

        for (size_t gi = 0; gi < 2 && r == 0; gi++) {
                char **paths = guestfs_glob_expand(ss->g, globs[gi]);
                for (size_t i = 0; paths && paths[i] && r == 0; i++) {
                        _cleanup_(cvm_initrd_fileset_freep) cvm_initrd_fileset *fs = NULL;
                        _cleanup_(fds_close) struct fds fds = { .n = 0 };
                        char in[PATH_MAX + 32], out[PATH_MAX + 32];
                        snprintf(in, sizeof(in), "%s/initrd.in", ss->tmpdir);
                        snprintf(out, sizeof(out), "%s/initrd.out", ss->tmpdir);
                        if (guestfs_is_symlink(ss->g, paths[i]) > 0)
                                continue;
                        /* Each image its own set: the modules are its kernel's. */
                        if (cvm_initrd_fileset_new(&fs) < 0) {
                                r = cvm_error_set(ss->err, ENOMEM, "out of memory");
                                break;
                        }
                        if ((r = build_fileset(ss, s, fs, &fds)) < 0 || (r = add_modules(ss, s, fs, paths[i])) < 0) {
                                cvm_error_prefix(ss->err, "%s: step initrd-append (plugin %s): %s: ", s->where, s->plugin->name, paths[i]);
                                break;
                        }
                        if (guest_download(ss->g, paths[i], in) < 0) {
                                r = step_gfail(ss, s, paths[i]);
                                break;
                        }
                        r = append_one(ss, s, fs, in, out, paths[i]);
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

const struct step_kind kind_initrd_append = { "initrd-append",
                                             { { "add", &arg_host_file_specs, false },
                                               { "tree", &arg_host_tree_specs, false },
                                               { "guest", &arg_guest_paths, false },
                                               { "initramfs-tools", &arg_scripts, false },
                                               { "compress", &arg_text, false },
                                               { "modules", &arg_modules, false } },
                                             initrd_append_validate, initrd_append_run };
