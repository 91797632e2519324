/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Finding the guest's OS: the lean inspection, and libguestfs's where the
 * lean one does not know the layout.  The lean one asks the appliance only
 * for what it must (the partitions and their blkid tags, one mount per
 * candidate root, os-release, the ELF header of /bin/sh, fstab) and parses
 * those files on the host (guest_id.c), so every file read is untrusted
 * text handed to a fuzzed parser.
 */

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cvmbase/base.h"
#include "guest_id.h"
#include "guest_read.h"
#include "inspect.h"

/* Largest guest text read here (os-release, debian_version, fstab). */
#define TEXT_MAX (1u << 20)

/* A partition with the blkid tags the lean inspection uses. */
struct part {
        char *dev;
        char **tags;            /* blkid's key, value pairs */
};

static const char *tag(const struct part *p, const char *key) {
        for (size_t i = 0; p->tags && p->tags[i] && p->tags[i + 1]; i += 2)
                if (strcmp(p->tags[i], key) == 0)
                        return p->tags[i + 1];
        return NULL;
}

static void strv_freep(char ***v) {
        for (size_t i = 0; *v && (*v)[i]; i++)
                free((*v)[i]);
        free(*v);
}

static void parts_free(struct part *p, size_t n) {
        for (size_t i = 0; p && i < n; i++) {
                free(p[i].dev);
                strv_freep(&p[i].tags);
        }
        free(p);
}

void guest_os_clear(struct guest_os *os) {
        free(os->root);
        free(os->type);
        free(os->distro);
        free(os->arch);
        strv_freep(&os->mounts);
        *os = (struct guest_os) { 0 };
}

/* A guest text file of at most TEXT_MAX bytes, or NULL. */
static char *read_text(guestfs_h *g, const char *path) {
        int64_t size = guestfs_filesize(g, path);

        return size >= 0 && size <= TEXT_MAX ? guest_read_text(g, path) : NULL;
}

/* The partitions and their tags: 1; 0 when the lean inspection does not know the layout; -ENOMEM. */
static int list_parts(guestfs_h *g, struct part **ret, size_t *n_ret) {
        static const char *const unknown[] = { "LVM2_member", "linux_raid_member", "crypto_LUKS", "zfs_member", "btrfs",
                                               "bcache", "ddf_raid_member", "isw_raid_member" };
        _cleanup_(strv_freep) char **devs = guestfs_list_partitions(g);
        struct part *p;
        size_t n = 0;

        if (!devs || !devs[0])
                return 0;
        while (devs[n])
                n++;
        if (!(p = calloc(n, sizeof(*p))))
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                const char *type;
                p[i].dev = TAKE_PTR(devs[i]);
                /* A partition without a file system (BIOS boot) has no TYPE; blkid may fail on it. */
                p[i].tags = guestfs_blkid(g, p[i].dev);
                type = tag(&p[i], "TYPE");
                for (size_t k = 0; type && k < sizeof(unknown) / sizeof(unknown[0]); k++)
                        if (strcmp(type, unknown[k]) == 0) {
                                parts_free(p, n);
                                return 0;
                        }
        }
        *ret = p;
        *n_ret = n;
        return 1;
}

static bool root_type(const char *type) {
        return type && (strcmp(type, "ext4") == 0 || strcmp(type, "ext3") == 0 || strcmp(type, "ext2") == 0 ||
                        strcmp(type, "xfs") == 0);
}

/*
 * The one partition holding os-release (its text into *osr): its index, -1
 * when none or several.  The only candidate stays mounted read-only at /
 * (*mounted): a second mount and unmount cost 0.25 s under TCG.
 */
static int find_root(guestfs_h *g, const struct part *p, size_t n, char **osr, bool *mounted) {
        size_t candidates = 0;
        int found = -1;

        *osr = NULL;
        *mounted = false;
        for (size_t i = 0; i < n; i++)
                candidates += root_type(tag(&p[i], "TYPE"));
        for (size_t i = 0; i < n; i++) {
                char *t = NULL;
                if (!root_type(tag(&p[i], "TYPE")) || guestfs_mount_ro(g, p[i].dev, "/") < 0)
                        continue;
                if (!(t = read_text(g, "/etc/os-release")))
                        t = read_text(g, "/usr/lib/os-release");
                if (t && candidates == 1)
                        *mounted = true;
                else
                        guestfs_umount_all(g);
                if (!t)
                        continue;
                if (found >= 0) {
                        free(t);
                        free(*osr);
                        *osr = NULL;
                        return -1;
                }
                found = (int) i;
                *osr = t;
        }
        return found;
}

/* Distribution and version as libguestfs gives them (Debian's minor from /etc/debian_version): 1, or 0. */
static int identify(guestfs_h *g, const char *osr, struct guest_os *os) {
        _cleanup_free_ char *id = NULL, *ver = NULL, *deb = NULL;
        const char *distro;

        if (guest_os_release(osr, &id, &ver) < 0)
                return -ENOMEM;
        if (!(distro = guest_distro(id)) || guest_version(ver, &os->major, &os->minor) < 0)
                return 0;
        /* libguestfs too: Debian's os-release says only the major version. */
        if (strcmp(distro, "debian") == 0 && os->minor == 0 &&
            (!(deb = read_text(g, "/etc/debian_version")) || guest_version(deb, &os->major, &os->minor) < 0))
                return 0;
        if (!(os->distro = strdup(distro)) || !(os->type = strdup("linux")))
                return -ENOMEM;
        return 1;
}

static int arch(guestfs_h *g, struct guest_os *os) {
        size_t len = 0;
        _cleanup_free_ char *hdr = guestfs_pread(g, "/bin/sh", 64, 0, &len);
        const char *a = hdr ? guest_elf_arch((const uint8_t *) hdr, len) : NULL;

        if (!a)
                return 0;
        return (os->arch = strdup(a)) ? 1 : -ENOMEM;
}

/* The partition an fstab spec names: its device; NULL when absent (skipped, as libguestfs does); *unknown when not understood. */
static const char *resolve(const char *spec, const struct part *p, size_t n, const char *root, bool *unknown) {
        const char *value, *key = guest_spec_key(spec, &value);
        int num;

        if (key) {
                for (size_t i = 0; i < n; i++) {
                        const char *t = tag(&p[i], key);
                        if (t && (strcmp(key, "UUID") == 0 || strcmp(key, "PART_ENTRY_UUID") == 0 ? strcasecmp(t, value) == 0
                                                                                                   : strcmp(t, value) == 0))
                                return p[i].dev;
                }
                return NULL;
        }
        if (strcmp(spec, "/dev/root") == 0)
                return root;
        if ((num = guest_spec_first_disk_partition(spec)) > 0) {
                char dev[32];
                snprintf(dev, sizeof(dev), "/dev/sda%d", num);
                for (size_t i = 0; i < n; i++)
                        if (strcmp(p[i].dev, dev) == 0)
                                return p[i].dev;
                return NULL;
        }
        *unknown = true;
        return NULL;
}

/* The mountpoints from fstab (root's always "/"): 1, 0 when an entry is not understood, -ENOMEM. */
static int mounts(guestfs_h *g, const struct part *p, size_t n, struct guest_os *os) {
        _cleanup_free_ char *text = read_text(g, "/etc/fstab");
        struct fstab_entry *e = NULL;
        size_t ne = 0, nm = 0;
        char **m;
        int r = 1;

        if (text && guest_fstab(text, &e, &ne) < 0)
                return -ENOMEM;
        if (!(m = calloc(2 * ne + 3, sizeof(char *))) || !(m[0] = strdup("/")) || !(m[1] = strdup(os->root))) {
                strv_freep(&m);
                guest_fstab_free(e, ne);
                return -ENOMEM;
        }
        nm = 2;
        for (size_t i = 0; i < ne && r == 1; i++) {
                bool unknown = false, dup = false;
                const char *dev;
                if (!guest_fstab_local(&e[i]))
                        continue;
                dev = resolve(e[i].spec, p, n, os->root, &unknown);
                for (size_t k = 0; k < nm; k += 2)
                        dup |= strcmp(m[k], e[i].mountpoint) == 0;
                /* "/" on another device, the same mountpoint twice, a spec not understood: libguestfs's to decide. */
                if (unknown || (dev && strcmp(e[i].mountpoint, "/") == 0 && strcmp(dev, os->root) != 0) ||
                    (dev && dup && strcmp(e[i].mountpoint, "/") != 0))
                        r = 0;
                else if (dev && !dup && (!(m[nm++] = strdup(e[i].mountpoint)) || !(m[nm++] = strdup(dev))))
                        r = -ENOMEM;
        }
        guest_fstab_free(e, ne);
        if (r == 1)
                os->mounts = m;
        else
                strv_freep(&m);
        return r;
}

/* 1 with os filled; 0 when libguestfs's inspection must decide; -ENOMEM. Nothing is left mounted. */
static int lean(guestfs_h *g, struct guest_os *os) {
        _cleanup_free_ char *osr = NULL;
        struct part *p = NULL;
        bool mounted;
        size_t n = 0;
        int r, root;

        if ((r = list_parts(g, &p, &n)) <= 0)
                return r;
        if ((root = find_root(g, p, n, &osr, &mounted)) < 0 || !(os->root = strdup(p[root].dev))) {
                if (mounted)
                        guestfs_umount_all(g);
                parts_free(p, n);
                return root < 0 ? 0 : -ENOMEM;
        }
        if (!mounted && guestfs_mount_ro(g, os->root, "/") < 0)
                r = 0;
        else if ((r = identify(g, osr, os)) > 0 && (r = arch(g, os)) > 0)
                r = mounts(g, p, n, os);
        guestfs_umount_all(g);
        parts_free(p, n);
        if (r <= 0)
                guest_os_clear(os);
        return r;
}

static int by_libguestfs(guestfs_h *g, struct guest_os *os, cvm_error *err) {
        _cleanup_(strv_freep) char **roots = guestfs_inspect_os(g);
        size_t n = 0;

        if (!roots)
                return cvm_error_set(err, EIO, "inspection: %s", guestfs_last_error(g));
        while (roots[n])
                n++;
        if (n != 1)
                return cvm_error_set(err, n ? EOPNOTSUPP : ENOENT, "the image holds %zu operating systems; cvm-rewrite needs exactly one", n);
        os->root = TAKE_PTR(roots[0]);
        os->type = guestfs_inspect_get_type(g, os->root);
        os->distro = guestfs_inspect_get_distro(g, os->root);
        os->arch = guestfs_inspect_get_arch(g, os->root);
        os->major = guestfs_inspect_get_major_version(g, os->root);
        os->minor = guestfs_inspect_get_minor_version(g, os->root);
        os->mounts = guestfs_inspect_get_mountpoints(g, os->root);
        if (!os->type || !os->distro || !os->arch || !os->mounts) {
                guest_os_clear(os);
                return cvm_error_set(err, EIO, "inspection: %s", guestfs_last_error(g));
        }
        os->by = "libguestfs";
        return 0;
}

int inspect_guest(guestfs_h *g, struct guest_os *os, cvm_error *err) {
        const char *how = getenv("CVM_REWRITE_INSPECT");
        int r;

        *os = (struct guest_os) { 0 };
        if (how && strcmp(how, "libguestfs") != 0 && strcmp(how, "lean") != 0)
                return cvm_error_set(err, EINVAL, "CVM_REWRITE_INSPECT=%s: expected lean or libguestfs", how);
        if (!how || strcmp(how, "lean") == 0) {
                if ((r = lean(g, os)) < 0)
                        return cvm_error_set(err, -r, "inspection: %s", strerror(-r));
                if (r > 0) {
                        os->by = "lean";
                        return 0;
                }
        }
        return by_libguestfs(g, os, err);
}
