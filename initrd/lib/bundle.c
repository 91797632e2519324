/* SPDX-License-Identifier: Apache-2.0 */
/* A binary's shared-library closure, resolved as ld.so would on this host, written as one private prefix. */

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "initrd_internal.h"
#include "cvminitrd/bundle.h"

#define LDCACHE "/etc/ld.so.cache"
#define MAX_OBJECT ((size_t) 512 << 20)

/* Debian's multiarch glibc: $LIB, and the directories ld.so tries last. */
static const char *const system_dirs[] = {
        "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64", "/lib", "/usr/lib",
};
#define LIB_TOKEN "lib/x86_64-linux-gnu"
#define PLATFORM_TOKEN "x86_64"

struct object {
        char *name;     /* file name in the bundle: the DT_NEEDED name, or the binary's base name */
        char *src;      /* resolved host path */
        char *origin;   /* $ORIGIN: the directory of the real file */
        struct cvm_elf_info elf;
        bool binary;
};

struct cvm_bundle {
        char *prefix;
        char *interp;           /* the binaries' PT_INTERP */
        uint16_t machine;
        struct object *obj;     /* binaries and libraries; the closure is walked in this order */
        size_t n, cap;
        uint8_t *cache;         /* /etc/ld.so.cache, or NULL when absent */
        size_t cache_len;
        size_t exe;             /* the binary whose rpath applies while its closure is walked */
};

int cvm_bundle_new(const char *prefix, cvm_bundle **ret, cvm_error *err) {
        cvm_bundle *b;
        char norm[PATH_MAX];

        if (prefix[0] != '/' || cvm_initrd_path_normalise(prefix, norm, sizeof(norm)) < 0 ||
            strlen(prefix) > CVM_LAUNCH_SLOT_SIZE / 2)
                return cvm_error_set(err, EINVAL, "prefix '%s': expected an absolute path without '..'", prefix);
        b = calloc(1, sizeof(*b));
        if (!b || asprintf(&b->prefix, "/%s", strcmp(norm, ".") == 0 ? "" : norm) < 0) {
                free(b);
                return cvm_error_set(err, ENOMEM, "out of memory");
        }
        if (read_file(LDCACHE, MAX_OBJECT, &b->cache, &b->cache_len, NULL) < 0)
                b->cache = NULL;
        *ret = b;
        return 0;
}

void cvm_bundle_free(cvm_bundle *b) {
        if (!b)
                return;
        for (size_t i = 0; i < b->n; i++) {
                free(b->obj[i].name);
                free(b->obj[i].src);
                free(b->obj[i].origin);
                cvm_elf_info_clear(&b->obj[i].elf);
        }
        free(b->obj);
        free(b->cache);
        free(b->interp);
        free(b->prefix);
        free(b);
}

static struct object *find(const cvm_bundle *b, const char *name, bool binary) {
        for (size_t i = 0; i < b->n; i++)
                if (b->obj[i].binary == binary && strcmp(b->obj[i].name, name) == 0)
                        return &b->obj[i];
        return NULL;
}

/* Parse path as an object of this bundle's machine; 1 if it is not one (ld.so skips such candidates). */
static int load(const cvm_bundle *b, const char *path, struct cvm_elf_info *info, cvm_error *err) {
        _cleanup_free_ uint8_t *buf = NULL;
        size_t len;
        int r;

        r = read_file(path, MAX_OBJECT, &buf, &len, err);
        if (r < 0)
                return r;
        r = cvm_elf_parse(buf, len, info, err);
        if (r < 0)
                return cvm_error_prefix(err, "%s: ", path);
        if (b->machine && info->machine != b->machine) {
                cvm_elf_info_clear(info);
                return 1;
        }
        return 0;
}

static int push(cvm_bundle *b, const char *name, const char *src, bool binary, struct cvm_elf_info *elf,
                cvm_error *err) {
        char real[PATH_MAX];
        struct object *o;

        if (!realpath(src, real))
                return cvm_error_set(err, errno, "%s: %s", src, strerror(errno));
        if (b->n == b->cap) {
                size_t nc = b->cap ? b->cap * 2 : 16;
                struct object *p = realloc(b->obj, nc * sizeof(*p));
                if (!p)
                        return cvm_error_set(err, ENOMEM, "out of memory");
                b->obj = p;
                b->cap = nc;
        }
        o = &b->obj[b->n];
        *o = (struct object) { .binary = binary, .elf = *elf };
        *elf = (struct cvm_elf_info) { 0 };
        o->name = strdup(name);
        o->src = strdup(real);
        o->origin = strdup(dirname(real));
        b->n++;
        if (!o->name || !o->src || !o->origin)
                return cvm_error_set(err, ENOMEM, "out of memory");
        return 0;
}

/* One element of a search path with $ORIGIN, $LIB and $PLATFORM substituted. */
static int expand(const char *elem, size_t n, const char *origin, char *out, size_t size) {
        static const struct {
                const char *a, *b;
        } tokens[] = { { "$ORIGIN", NULL }, { "${ORIGIN}", NULL }, { "$LIB", LIB_TOKEN },
                       { "${LIB}", LIB_TOKEN }, { "$PLATFORM", PLATFORM_TOKEN }, { "${PLATFORM}", PLATFORM_TOKEN } };
        size_t o = 0;

        for (size_t i = 0; i < n;) {
                const char *rep = NULL;
                size_t skip = 1;
                for (size_t t = 0; t < sizeof(tokens) / sizeof(tokens[0]); t++) {
                        size_t tl = strlen(tokens[t].a);
                        if (tl <= n - i && strncmp(elem + i, tokens[t].a, tl) == 0) {
                                rep = tokens[t].b ? tokens[t].b : origin;
                                skip = tl;
                                break;
                        }
                }
                if (rep) {
                        size_t rl = strlen(rep);
                        if (o + rl >= size)
                                return -ENAMETOOLONG;
                        memcpy(out + o, rep, rl);
                        o += rl;
                } else {
                        if (o + 1 >= size)
                                return -ENAMETOOLONG;
                        out[o++] = elem[i];
                }
                i += skip;
        }
        out[o] = '\0';
        return 0;
}

/* First directory of the ':'-list holding an object named name of our machine. */
static int search_list(const cvm_bundle *b, const char *list, const char *origin, const char *name, char *ret,
                       size_t size, struct cvm_elf_info *info, cvm_error *err) {
        for (const char *p = list; p && *p;) {
                size_t n = strcspn(p, ":");
                char dir[PATH_MAX];
                if (n > 0 && expand(p, n, origin, dir, sizeof(dir)) == 0 &&
                    (size_t) snprintf(ret, size, "%s/%s", dir, name) < size && access(ret, F_OK) == 0) {
                        int r = load(b, ret, info, err);
                        if (r <= 0)
                                return r < 0 ? r : 1;
                }
                p += n + (p[n] == ':');
        }
        return 0;
}

/* ld.so's order for a DT_NEEDED name of object `from`. */
static int resolve(const cvm_bundle *b, const struct object *from, const char *name, char *ret, size_t size,
                   struct cvm_elf_info *info, cvm_error *err) {
        const struct object *exe = &b->obj[b->exe];
        const char *hit = NULL;
        int r;

        if (strchr(name, '/')) {
                snprintf(ret, size, "%s", name);
                r = load(b, ret, info, err);
                return r < 0 ? r : r == 0;
        }
        if (!from->elf.runpath) {
                r = search_list(b, from->elf.rpath, from->origin, name, ret, size, info, err);
                if (r == 0 && from != exe && !exe->elf.runpath)
                        r = search_list(b, exe->elf.rpath, exe->origin, name, ret, size, info, err);
                if (r != 0)
                        return r;
        }
        r = search_list(b, from->elf.runpath, from->origin, name, ret, size, info, err);
        if (r != 0)
                return r;
        if (b->cache && cvm_ldcache_lookup(b->cache, b->cache_len, name, &hit, NULL) == 0) {
                snprintf(ret, size, "%s", hit);
                r = load(b, ret, info, err);
                if (r <= 0)
                        return r < 0 ? r : 1;
        }
        for (size_t i = 0; i < sizeof(system_dirs) / sizeof(system_dirs[0]); i++) {
                r = search_list(b, system_dirs[i], "", name, ret, size, info, err);
                if (r != 0)
                        return r;
        }
        return 0;
}

/* Resolve every DT_NEEDED of the objects from index `start` on, appending what is new. */
static int close_over(cvm_bundle *b, size_t start, cvm_error *err) {
        for (size_t i = start; i < b->n; i++)
                for (size_t k = 0; k < b->obj[i].elf.n_needed; k++) {
                        const char *need = b->obj[i].elf.needed[k];
                        const char *base = strrchr(need, '/') ? strrchr(need, '/') + 1 : need;
                        struct cvm_elf_info info = { 0 };
                        char path[PATH_MAX];
                        int r;

                        if (find(b, base, false))
                                continue;
                        r = resolve(b, &b->obj[i], need, path, sizeof(path), &info, err);
                        if (r < 0)
                                return r;
                        if (r == 0)
                                return cvm_error_set(err, ENOENT, "%s: needs %s, which ld.so would not find here",
                                                     b->obj[i].src, need);
                        r = push(b, base, path, false, &info, err);
                        cvm_elf_info_clear(&info);
                        if (r < 0)
                                return r;
                }
        return 0;
}

int cvm_bundle_add_binary(cvm_bundle *b, const char *path, cvm_error *err) {
        _cleanup_free_ char *copy = strdup(path);
        struct cvm_elf_info info = { 0 };
        const char *name;
        size_t start = b->n;
        int r;

        if (!copy)
                return cvm_error_set(err, ENOMEM, "out of memory");
        name = basename(copy);
        r = load(b, path, &info, err);
        if (r != 0)
                return r < 0 ? r : cvm_error_set(err, ENOEXEC, "%s: built for another machine", path);
        if (!info.interp) {
                cvm_elf_info_clear(&info);
                return cvm_error_set(err, ENOEXEC, "%s: not dynamically linked (no PT_INTERP): it needs no bundle", path);
        }
        if (b->interp && strcmp(b->interp, info.interp) != 0) {
                r = cvm_error_set(err, EINVAL, "%s: loader %s differs from the bundle's %s", path, info.interp, b->interp);
                cvm_elf_info_clear(&info);
                return r;
        }
        if (find(b, name, true)) {
                cvm_elf_info_clear(&info);
                return cvm_error_set(err, EEXIST, "%s: a binary named %s is already in the bundle", path, name);
        }
        if (!b->interp) {
                struct cvm_elf_info ld = { 0 };
                const char *ldname = strrchr(info.interp, '/') ? strrchr(info.interp, '/') + 1 : info.interp;
                b->machine = info.machine;
                b->interp = strdup(info.interp);
                if (!b->interp)
                        return cvm_error_set(err, ENOMEM, "out of memory");
                r = load(b, b->interp, &ld, err);
                if (r == 0 && !find(b, ldname, false))
                        r = push(b, ldname, b->interp, false, &ld, err);
                cvm_elf_info_clear(&ld);
                if (r < 0) {
                        cvm_elf_info_clear(&info);
                        return r;
                }
                start = b->n;
        }
        r = push(b, name, path, true, &info, err);
        cvm_elf_info_clear(&info);
        if (r < 0)
                return r;
        b->exe = b->n - 1;
        return close_over(b, start, err);
}

int cvm_bundle_add_library(cvm_bundle *b, const char *soname, cvm_error *err) {
        struct cvm_elf_info info = { 0 };
        char path[PATH_MAX];
        size_t start = b->n;
        int r;

        if (!b->interp)
                return cvm_error_set(err, EINVAL, "--lib %s: add a binary first (its loader and machine apply)", soname);
        if (strchr(soname, '/'))
                return cvm_error_set(err, EINVAL, "--lib %s: expected a soname, not a path", soname);
        if (find(b, soname, false))
                return 0;
        r = resolve(b, &b->obj[b->exe], soname, path, sizeof(path), &info, err);
        if (r < 0)
                return r;
        if (r == 0)
                return cvm_error_set(err, ENOENT, "--lib %s: ld.so would not find it here", soname);
        r = push(b, soname, path, false, &info, err);
        cvm_elf_info_clear(&info);
        return r < 0 ? r : close_over(b, start, err);
}

/* Bundle files: each binary twice (launcher, real), then each library. */
size_t cvm_bundle_count(const cvm_bundle *b) {
        size_t n = 0;
        for (size_t i = 0; i < b->n; i++)
                n += b->obj[i].binary ? 2 : 1;
        return n;
}

int cvm_bundle_file(const cvm_bundle *b, size_t i, const char **dest, const char **src) {
        static __thread char buf[PATH_MAX];
        for (size_t k = 0; k < b->n; k++) {
                const struct object *o = &b->obj[k];
                size_t n = o->binary ? 2 : 1;
                if (i >= n) {
                        i -= n;
                        continue;
                }
                snprintf(buf, sizeof(buf), "%s/%s", !o->binary ? "lib" : i == 0 ? "bin" : "libexec", o->name);
                *dest = buf;
                *src = o->binary && i == 0 ? "(launcher)" : o->src;
                return 0;
        }
        return -ENOENT;
}

static int copy_file(const char *src, int dirfd, const char *name, mode_t mode, cvm_error *err) {
        _cleanup_free_ uint8_t *buf = NULL;
        size_t len;
        int fd, r;

        r = read_file(src, MAX_OBJECT, &buf, &len, err);
        if (r < 0)
                return r;
        fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
        if (fd < 0)
                return cvm_error_set(err, errno, "%s: %s", name, strerror(errno));
        r = write_all(fd, buf, len, NULL, err);
        if (r == 0 && fchmod(fd, mode) < 0)
                r = cvm_error_set(err, errno, "%s: %s", name, strerror(errno));
        close(fd);
        return r;
}

/* A launcher image with its slot holding "PREFIX\0NAME\0LOADER\0". */
static int write_launcher(const cvm_bundle *b, int dirfd, const char *name, const uint8_t *img, size_t len,
                          cvm_error *err) {
        const char *ldname = strrchr(b->interp, '/') + 1;
        size_t mlen = strlen(CVM_LAUNCH_SLOT_MARKER), pl = strlen(b->prefix), nl = strlen(name), ll = strlen(ldname);
        _cleanup_free_ uint8_t *copy = NULL;
        uint8_t *slot;
        int fd, r;

        slot = memmem(img, len, CVM_LAUNCH_SLOT_MARKER, mlen);
        if (!slot || (size_t) (slot - img) + CVM_LAUNCH_SLOT_SIZE > len ||
            memmem(slot + 1, len - (size_t) (slot + 1 - img), CVM_LAUNCH_SLOT_MARKER, mlen))
                return cvm_error_set(err, EINVAL, "the launcher image has no single configuration slot");
        if (pl + nl + ll + 3 > CVM_LAUNCH_SLOT_SIZE)
                return cvm_error_set(err, ENAMETOOLONG, "%s: prefix and names too long for the launcher", name);
        copy = malloc(len);
        if (!copy)
                return cvm_error_set(err, ENOMEM, "out of memory");
        memcpy(copy, img, len);
        slot = copy + (slot - img);
        memset(slot, 0, CVM_LAUNCH_SLOT_SIZE);
        memcpy(slot, b->prefix, pl);
        memcpy(slot + pl + 1, name, nl);
        memcpy(slot + pl + nl + 2, ldname, ll);
        fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0755);
        if (fd < 0)
                return cvm_error_set(err, errno, "bin/%s: %s", name, strerror(errno));
        r = write_all(fd, copy, len, NULL, err);
        if (r == 0 && fchmod(fd, 0755) < 0)
                r = cvm_error_set(err, errno, "bin/%s: %s", name, strerror(errno));
        close(fd);
        return r;
}

static int write_into(const cvm_bundle *b, const char *dir, const uint8_t *launcher, size_t launcher_len,
                      cvm_error *err) {
        static const char *const subdirs[] = { "bin", "lib", "libexec" };
        int fds[3], r = 0;

        for (int i = 0; i < 3; i++) {
                char p[PATH_MAX];
                if ((size_t) snprintf(p, sizeof(p), "%s/%s", dir, subdirs[i]) >= sizeof(p))
                        errno = ENAMETOOLONG;
                else if (mkdir(p, 0755) == 0 && (fds[i] = open(p, O_PATH | O_DIRECTORY | O_CLOEXEC)) >= 0)
                        continue;
                r = cvm_error_set(err, errno, "%s/%s: %s", dir, subdirs[i], strerror(errno));
                while (i-- > 0)
                        close(fds[i]);
                return r;
        }
        for (size_t i = 0; i < b->n && r == 0; i++) {
                const struct object *o = &b->obj[i];
                if ((r = initrd_check_interrupted(err)) < 0)
                        break;
                if (o->binary) {
                        r = write_launcher(b, fds[0], o->name, launcher, launcher_len, err);
                        if (r == 0)
                                r = copy_file(o->src, fds[2], o->name, 0755, err);
                } else {
                        r = copy_file(o->src, fds[1], o->name, 0755, err);
                }
        }
        for (int i = 0; i < 3; i++)
                close(fds[i]);
        return r;
}

int cvm_bundle_write(const cvm_bundle *b, const char *out, const uint8_t *launcher, size_t launcher_len,
                     cvm_error *err) {
        char tmp[PATH_MAX];
        int r;

        if (!b->interp)
                return cvm_error_set(err, EINVAL, "the bundle has no binary");
        if (access(out, F_OK) == 0)
                return cvm_error_set(err, EEXIST, "%s: already exists; the bundle is written to a new directory", out);
        r = initrd_temp_dir(out, tmp, sizeof(tmp), err);
        if (r < 0)
                return r;
        r = chmod(tmp, 0755) < 0 ? cvm_error_set(err, errno, "%s: %s", tmp, strerror(errno)) : 0;
        if (r == 0)
                r = write_into(b, tmp, launcher, launcher_len, err);
        if (r == 0)
                r = rename_durable(tmp, out, err);
        if (r < 0)
                remove_tree(tmp);
        initrd_temp_done();
        return r;
}
