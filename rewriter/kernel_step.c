/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The kernel step: install a kernel from the user's .deb or .rpm files with
 * the guest's own dpkg or rpm, non-interactively (the packages' maintainer
 * scripts build its initramfs as on a running system), then make it what the
 * boot loader starts by default:
 *  - GRUB with its generator (Debian and Ubuntu cloud images): update-grub,
 *    then the new entry's path through its submenu as GRUB_DEFAULT in
 *    /etc/default/grub.d/99-cvm-guest-kernel.cfg, read after
 *    50-cloudimg-settings.cfg, so it holds across later update-grub runs;
 *  - BLS entries with grubby (Fedora, RHEL): grubby --set-default;
 *  - GRUB without a generator (a hand-written grub.cfg): a copy of the
 *    default entry for the new kernel, first and named by `set default`.
 * The version is read from the packages on the host before the guest is
 * touched (kernel_pkg.c), and the result is checked: the boot loader's
 * default entry must load that kernel.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cvmbase/base.h"
#include "grub_boot.h"
#include "grub_cfg.h"
#include "guest_read.h"
#include "kernel_pkg.h"
#include "step_kind.h"

#define CACHE "/var/cache/cvm-kernel"
#define GRUB_DROPIN "/etc/default/grub.d/99-cvm-guest-kernel.cfg"

/* The package's format and the kernel versions it installs, added to *v. */
static int read_package(const struct step *s, const char *path, enum kernel_pkg_format *fmt, char ***v, size_t *n,
                        cvm_error *err) {
        struct stat st;
        void *map;
        int fd, r;

        /* The host-source rule (a file the user gave a host-files parameter), as at --plan. */
        if ((r = host_source_open(s, path, S_IFREG, &fd, err)) < 0)
                return r;
        if (fstat(fd, &st) < 0 || st.st_size == 0) {
                r = cvm_error_set(err, EINVAL, "%s: %s", path, "empty");
                close(fd);
                return r;
        }
        map = mmap(NULL, (size_t) st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        close(fd);
        if (map == MAP_FAILED)
                return cvm_error_set(err, errno, "%s: %s", path, strerror(errno));
        *fmt = kernel_pkg_format(map, (size_t) st.st_size);
        r = kernel_pkg_versions(map, (size_t) st.st_size, path, v, n, err);
        munmap(map, (size_t) st.st_size);
        return r;
}

/* Run cmd in the guest; its stderr becomes the step's error. */
static int guest_sh(struct session *ss, const struct step *s, const char *cmd) {
        _cleanup_free_ char *out = guestfs_sh(ss->g, cmd);
        return out ? 0 : step_gfail(ss, s, cmd);
}

/* A package already installed at the same version is skipped, so a second run of the recipe changes nothing. */
static int upload_and_install(struct session *ss, const struct step *s, char **files, size_t n, enum kernel_pkg_format fmt) {
        const char *ext = fmt == KERNEL_PKG_DEB ? "deb" : "rpm";
        char guest[64], cmd[512];
        int r = 0;

        if (guestfs_mkdir_p(ss->g, CACHE) < 0)
                return step_gfail(ss, s, CACHE);
        for (size_t i = 0; i < n && r == 0; i++) {
                char host[64];
                int fd;
                if ((r = host_source_open(s, files[i], S_IFREG, &fd, ss->err)) < 0)
                        break;
                /* Read through the descriptor just checked, not by name again. */
                snprintf(host, sizeof(host), "/proc/self/fd/%d", fd);
                snprintf(guest, sizeof(guest), CACHE "/%03zu.%s", i, ext);
                if (guestfs_upload(ss->g, host, guest) < 0)
                        r = step_gfail(ss, s, files[i]);
                close(fd);
        }
        if (fmt == KERNEL_PKG_DEB)
                snprintf(cmd, sizeof(cmd), "DEBIAN_FRONTEND=noninteractive dpkg -i --skip-same-version --force-confdef --force-confold " CACHE "/*.deb >/dev/null");
        else
                snprintf(cmd, sizeof(cmd), "set --; for f in " CACHE "/*.rpm; do rpm -q \"$(rpm -qp \"$f\")\" >/dev/null 2>&1 || "
                                           "set -- \"$@\" \"$f\"; done; [ $# -eq 0 ] || rpm -i \"$@\" >/dev/null");
        if (r == 0)
                r = guest_sh(ss, s, cmd);
        if (guestfs_rm_rf(ss->g, CACHE) < 0 && r == 0)
                r = step_gfail(ss, s, CACHE);
        return r;
}

/* The kernel and its initramfs in /boot; the initramfs is built the guest's way when the packages did not. */
static int check_boot_files(struct session *ss, const struct step *s, const char *ver, enum kernel_pkg_format fmt,
                            char *initrd, size_t size) {
        char kernel[256], path[512], cmd[1024];

        snprintf(kernel, sizeof(kernel), "/boot/vmlinuz-%s", ver);
        if (guestfs_is_file(ss->g, kernel) <= 0)
                return step_fail(ss, s, "the packages did not install %s", kernel);
        snprintf(initrd, size, fmt == KERNEL_PKG_DEB ? "initrd.img-%s" : "initramfs-%s.img", ver);
        snprintf(path, sizeof(path), "/boot/%s", initrd);
        if (guestfs_is_file(ss->g, path) > 0)
                return 0;
        if (fmt == KERNEL_PKG_DEB && guestfs_is_file(ss->g, "/usr/sbin/update-initramfs") > 0)
                snprintf(cmd, sizeof(cmd), "update-initramfs -c -k '%s' >/dev/null", ver);
        else if (fmt == KERNEL_PKG_RPM && guestfs_is_file(ss->g, "/usr/bin/dracut") > 0)
                snprintf(cmd, sizeof(cmd), "dracut -f '%s' '%s' >/dev/null", path, ver);
        else
                return step_fail(ss, s, "%s is missing and the guest has no %s to build it", path,
                            fmt == KERNEL_PKG_DEB ? "update-initramfs" : "dracut");
        if (guest_sh(ss, s, cmd) < 0)
                return -EIO;
        return guestfs_is_file(ss->g, path) > 0 ? 0 : step_fail(ss, s, "%s did not make %s", cmd, path);
}

/* GRUB_DEFAULT's value in double quotes for the shell that sources /etc/default/grub. */
static int write_dropin(struct session *ss, const struct step *s, const char *ver, const char *entry) {
        _cleanup_free_ char *text = NULL;
        char quoted[2048];
        size_t o = 0;

        for (const char *c = entry; *c && o + 3 < sizeof(quoted); c++) {
                if (strchr("\"\\$`", *c))
                        quoted[o++] = '\\';
                quoted[o++] = *c;
        }
        quoted[o] = '\0';
        if (asprintf(&text, "# cvm-rewrite (plugin %s): boot Linux %s by default.\nGRUB_DEFAULT=\"%s\"\n", s->plugin->name,
                     ver, quoted) < 0)
                return step_fail(ss, s, "out of memory");
        if (guestfs_mkdir_p(ss->g, "/etc/default/grub.d") < 0 || guestfs_write(ss->g, GRUB_DROPIN, text, strlen(text)) < 0)
                return step_gfail(ss, s, GRUB_DROPIN);
        return 0;
}

/* update-grub, the new entry's path as GRUB_DEFAULT, update-grub again. */
static int default_generated(struct session *ss, const struct step *s, const char *ver, const char *kernel) {
        _cleanup_free_ char *cfg = NULL, *entry = NULL;
        int r;

        if (guest_sh(ss, s, "update-grub 2>/dev/null >/dev/null || update-grub >/dev/null") < 0)
                return -EIO;
        if (!(cfg = guest_read_text(ss->g, GRUB_CFG)))
                return step_gfail(ss, s, GRUB_CFG);
        if ((r = grub_cfg_entry_path(cfg, kernel, &entry)) < 0)
                return step_fail(ss, s, "update-grub made no entry for %s in " GRUB_CFG, kernel);
        if ((r = write_dropin(ss, s, ver, entry)) < 0)
                return r;
        return guest_sh(ss, s, "update-grub 2>/dev/null >/dev/null || update-grub >/dev/null");
}

static int default_grubby(struct session *ss, const struct step *s, const char *kernel) {
        char cmd[512];
        snprintf(cmd, sizeof(cmd), "grubby --set-default '/boot/%s' >/dev/null", kernel);
        return guest_sh(ss, s, cmd);
}

static int default_handwritten(struct session *ss, const struct step *s, const char *ver, const char *kernel,
                               const char *initrd) {
        _cleanup_free_ char *cfg = guest_read_text(ss->g, GRUB_CFG), *out = NULL;
        int r;

        if (!cfg)
                return step_gfail(ss, s, GRUB_CFG);
        if ((r = grub_cfg_add_default(cfg, ver, kernel, initrd, &out)) < 0)
                return step_fail(ss, s, GRUB_CFG ": %s", r == -ENOENT ? "no default entry with a linux line to copy" : strerror(-r));
        if (guestfs_write(ss->g, GRUB_CFG, out, strlen(out)) < 0)
                return step_gfail(ss, s, GRUB_CFG);
        return 0;
}

/* The boot loader's default entry must load kernel now. */
static int check_default(struct session *ss, const struct step *s, const char *kernel, bool bls) {
        _cleanup_free_ char *got = NULL;
        struct grub_boot boot;

        if (bls) {
                char want[PATH_MAX];
                snprintf(want, sizeof(want), "/boot/%s", kernel);
                got = guestfs_sh(ss->g, "grubby --default-kernel");
                if (got)
                        got[strcspn(got, "\n")] = '\0';
                return got && !strcmp(got, want) ? 0 : step_fail(ss, s, "grubby's default kernel is %s, not %s", got ? got : "unknown", want);
        }
        /* The same reading of grub.cfg (and grubenv) that predicts the manifest's command line. */
        grub_boot_read(ss->g, &boot);
        free(boot.kernel);
        if ((got = boot.cmdline))
                got[strcspn(got, " ")] = '\0';
        const char *path = got ? got + strlen("BOOT_IMAGE=") : NULL, *base = path ? strrchr(path, '/') ? strrchr(path, '/') + 1 : path : NULL;
        return base && !strcmp(base, kernel) ? 0
                                             : step_fail(ss, s, GRUB_CFG "'s default entry loads %s, not %s", path ? path : "nothing", kernel);
}

static int make_default(struct session *ss, const struct step *s, const char *ver, const char *initrd) {
        char kernel[256];
        char **entries = guestfs_glob_expand(ss->g, "/boot/loader/entries/*.conf");
        bool bls = entries && entries[0] && guestfs_is_file(ss->g, "/usr/sbin/grubby") > 0;
        int r;

        for (size_t i = 0; entries && entries[i]; i++)
                free(entries[i]);
        free(entries);
        snprintf(kernel, sizeof(kernel), "vmlinuz-%s", ver);
        if (bls)
                r = default_grubby(ss, s, kernel);
        else if (guestfs_is_file(ss->g, "/etc/default/grub") > 0 && guestfs_is_file(ss->g, "/usr/sbin/update-grub") > 0)
                r = default_generated(ss, s, ver, kernel);
        else if (guestfs_is_file(ss->g, GRUB_CFG) > 0)
                r = default_handwritten(ss, s, ver, kernel, initrd);
        else
                return step_fail(ss, s, "no boot loader configuration this step knows: GRUB with /etc/default/grub and update-grub, "
                            "BLS entries with grubby, or " GRUB_CFG "");
        return r < 0 ? r : check_default(ss, s, kernel, bls);
}

static int kernel_run(struct session *ss, const struct step *s) {
        const char *dflt = step_arg(s, "default");
        enum kernel_pkg_format fmt = KERNEL_PKG_UNKNOWN;
        char **files, **versions = NULL, initrd[256];
        size_t nfiles, nv = 0;
        int r = 0;

        if (!(files = step_words(step_arg_full(s, "packages"), &nfiles)))
                return step_fail(ss, s, "out of memory");
        for (size_t i = 0; i < nfiles && r == 0; i++) {
                enum kernel_pkg_format f = KERNEL_PKG_UNKNOWN;
                if ((r = read_package(s, files[i], &f, &versions, &nv, ss->err)) == 0 && fmt && f != fmt)
                        r = step_fail(ss, s, "%s: .deb and .rpm packages mixed", files[i]);
                fmt = f;
        }
        if (r == 0 && nv != 1)
                r = nv == 0 ? step_fail(ss, s, "the packages install no kernel image (boot/vmlinuz-VERSION or lib/modules/VERSION/vmlinuz)")
                            : step_fail(ss, s, "the packages install several kernels (%s, %s, ...): give one kernel's packages", versions[0], versions[1]);
        if (r == 0 && guestfs_is_file(ss->g, fmt == KERNEL_PKG_DEB ? "/usr/bin/dpkg" : "/usr/bin/rpm") <= 0)
                r = step_fail(ss, s, "%s packages, and the guest has no %s", fmt == KERNEL_PKG_DEB ? ".deb" : ".rpm",
                         fmt == KERNEL_PKG_DEB ? "/usr/bin/dpkg" : "/usr/bin/rpm");
        if (r == 0)
                r = upload_and_install(ss, s, files, nfiles, fmt);
        if (r == 0)
                r = check_boot_files(ss, s, versions[0], fmt, initrd, sizeof(initrd));
        if (r == 0 && (!dflt || !strcmp(dflt, "true")))
                r = make_default(ss, s, versions[0], initrd);
        strv_free(files, nfiles);
        strv_free(versions, nv);
        return r;
}

const struct step_kind kind_kernel = { "kernel", { { "packages", &arg_packages, true }, { "default", &arg_bool, false } }, NULL, kernel_run };
