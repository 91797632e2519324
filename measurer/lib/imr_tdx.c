/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The tdx backend, on whatever interface the guest kernel offers, chosen at
 * open (Intel's DCAP library takes them in the same order):
 *  - reads: the TSM measurement sysfs files (6.16+: measurements/mrtd:sha384,
 *    rtmr0:sha384 .. rtmr3:sha384), else a TDREPORT from the /dev/tdx_guest
 *    TDX_CMD_GET_REPORT0 ioctl (6.2+);
 *  - extends: writing 48 bytes to an rtmr sysfs file, else the out-of-tree
 *    TDX_CMD_EXTEND_RTMR ioctl (distro and Intel TDX kernels), else none: the
 *    backend opens, reads and quotes, and every extend fails with -EOPNOTSUPP
 *    saying which kernels can.
 * Every path is under a root prefix so tests run against a fake tree.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "cvm/digest.h"
#include "cvm/quote.h"
#include "imr_internal.h"
#include "quote_internal.h"
#include "tdx_guest.h"

struct tdx {
        char root[PATH_MAX];
        bool sysfs;                /* reads and extends through the TSM measurement sysfs */
        unsigned long extend_cmd;  /* else: the TDX_CMD_EXTEND_RTMR number the driver knows; 0 = it has none */
};

bool imr_tdx_present(const char *sysroot) {
        char p[PATH_MAX];
        const char *root = sysroot_prefix(sysroot);

        if (tdx_path(p, sizeof(p), root, TDX_MEASUREMENTS) && access(p, F_OK) == 0)
                return true;
        return tdx_path(p, sizeof(p), root, TDX_GUEST) && access(p, F_OK) == 0;
}

/* True if the flags line holds word as a whole word. */
static bool has_flag(char *line, const char *word) {
        for (char *save = NULL, *w = strtok_r(line, " \t", &save); w; w = strtok_r(NULL, " \t", &save))
                if (strcmp(w, word) == 0)
                        return true;
        return false;
}

bool cvm_tdx_guest_cpu(const char *sysroot) {
        char p[PATH_MAX], buf[64 * 1024];
        size_t len = 0;
        ssize_t n;
        int fd;

        if (!tdx_path(p, sizeof(p), sysroot_prefix(sysroot), "/proc/cpuinfo") || (fd = open_input(p, SIZE_MAX, NULL)) < 0)
                return false;
        /* Every CPU has the same flags, and the first CPU's block is a few KiB: the first 64 KiB decide. */
        while (len < sizeof(buf) - 1 && (n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
                len += (size_t) n;
        close(fd);
        buf[len] = '\0';
        for (char *save = NULL, *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
                if (strncmp(line, "flags", 5) == 0)
                        return has_flag(line, "tdx_guest");
        return false;
}

int cvm_tdx_wait_interface(const char *sysroot, unsigned timeout_ms) {
        static const struct timespec step = { 0, 50 * 1000 * 1000 };

        for (unsigned waited = 0;; waited += 50) {
                if (imr_tdx_present(sysroot))
                        return 0;
                if (waited >= timeout_ms)
                        return -ETIMEDOUT;
                nanosleep(&step, NULL);
        }
}

/* The sysfs file of CC MR index; the root was checked to leave room for it at open. */
static void mr_file(const struct tdx *t, uint32_t index, char *buf, size_t size) {
        char rel[64];
        if (index == 0)
                snprintf(rel, sizeof(rel), TDX_MEASUREMENTS "/mrtd:sha384");
        else
                snprintf(rel, sizeof(rel), TDX_MEASUREMENTS "/rtmr%u:sha384", (index - 1) & 3);
        if (!tdx_path(buf, size, t->root, rel))
                buf[0] = '\0';
}

static int read_sysfs(const struct tdx *t, uint32_t index, uint8_t *out, cvm_error *err) {
        char p[PATH_MAX];
        ssize_t n;
        int fd;

        mr_file(t, index, p, sizeof(p));
        fd = open(p, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return cvm_error_set(err, errno == ENOENT ? ENODEV : errno, "%s: cannot open: %s", p, strerror(errno));
        n = read(fd, out, CVM_TDX_MR_SIZE);
        if (n < 0) {
                int e = errno;
                close(fd);
                return cvm_error_set(err, e, "%s: read failed: %s", p, strerror(e));
        }
        close(fd);
        if (n != CVM_TDX_MR_SIZE)
                return cvm_error_set(err, EIO, "%s: short read: %zd bytes, expected %d", p, n, CVM_TDX_MR_SIZE);
        return 0;
}

/* root's /dev/tdx_guest, read-write (every ioctl of the driver needs it); its path in p. */
static int open_device(const char *root, char p[PATH_MAX], cvm_error *err) {
        int fd;

        if (!tdx_path(p, PATH_MAX, root, TDX_GUEST))
                return cvm_error_set(err, ENAMETOOLONG, "sysroot too long");
        fd = open(p, O_RDWR | O_CLOEXEC);
        if (fd < 0)
                return cvm_error_set(err, errno == ENOENT ? ENODEV : errno, "%s: cannot open: %s", p, strerror(errno));
        return fd;
}

int tdx_get_tdreport(const char *root, const uint8_t reportdata[64], uint8_t tdreport[1024], cvm_error *err) {
        struct tdx_report_req req;
        char p[PATH_MAX];
        int fd, r;

        fd = open_device(root, p, err);
        if (fd < 0)
                return fd;
        memcpy(req.reportdata, reportdata, sizeof(req.reportdata));
        r = ioctl(fd, TDX_CMD_GET_REPORT0, &req);
        if (r < 0) {
                int e = errno;
                close(fd);
                return cvm_error_set(err, e, "%s: TDX_CMD_GET_REPORT0 failed: %s", p, strerror(e));
        }
        close(fd);
        memcpy(tdreport, req.tdreport, sizeof(req.tdreport));
        return 0;
}

static int read_tdreport(const struct tdx *t, uint32_t index, uint8_t *out, cvm_error *err) {
        static const uint8_t zero[64];
        uint8_t raw[CVM_TDREPORT_SIZE];
        struct cvm_tdreport rep;
        int r;

        r = tdx_get_tdreport(t->root, zero, raw, err);
        if (r < 0)
                return r;
        r = tdreport_parse(&rep, raw, sizeof(raw), err);
        if (r < 0)
                return cvm_error_prefix(err, "%s" TDX_GUEST ": TDREPORT: ", t->root);
        memcpy(out, index == 0 ? rep.td.mrtd : rep.td.rtmr[index - 1], CVM_TDX_MR_SIZE);
        return 0;
}

static int tdx_read(cvm_imr *imr, uint32_t index, uint16_t alg, uint8_t *out, cvm_error *err) {
        struct tdx *t = imr->priv;
        (void) alg;
        return t->sysfs ? read_sysfs(t, index, out, err) : read_tdreport(t, index, out, err);
}

static int extend_sysfs(const struct tdx *t, uint32_t index, const uint8_t *digest, cvm_error *err) {
        char p[PATH_MAX];
        ssize_t w;
        int fd;

        mr_file(t, index, p, sizeof(p));
        fd = open(p, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return cvm_error_set(err, errno, "%s: cannot open for extend: %s", p, strerror(errno));
        w = write(fd, digest, CVM_TDX_MR_SIZE);
        if (w < 0) {
                int e = errno;
                close(fd);
                return cvm_error_set(err, e, "%s: extend failed: %s", p, strerror(e));
        }
        if (close(fd) < 0)
                return cvm_error_set(err, errno, "%s: extend failed: %s", p, strerror(errno));
        if (w != CVM_TDX_MR_SIZE)
                return cvm_error_set(err, EIO, "%s: short write of %zd bytes", p, w);
        return 0;
}

static int extend_ioctl(const struct tdx *t, uint32_t index, const uint8_t *digest, cvm_error *err) {
        struct tdx_extend_rtmr_req req = { .index = (uint8_t) (index - 1) };
        char p[PATH_MAX];
        int fd, r, e;

        memcpy(req.data, digest, sizeof(req.data));
        fd = open_device(t->root, p, err);
        if (fd < 0)
                return fd;
        r = ioctl(fd, t->extend_cmd, &req);
        e = errno;
        close(fd);
        if (r == 0)
                return 0;
        if (e == EPERM && req.index < 2)
                return cvm_error_set(err, EPERM, "%s: TDX_CMD_EXTEND_RTMR refuses RTMR%u: this driver keeps RTMR0 and RTMR1 "
                                     "for the firmware and the kernel; measure into RTMR2 or RTMR3", p, req.index);
        return cvm_error_set(err, e, "%s: TDX_CMD_EXTEND_RTMR (0x%08lx) of RTMR%u failed: %s", p, t->extend_cmd, req.index,
                             strerror(e));
}

static int tdx_can_extend(const cvm_imr *imr, cvm_error *err) {
        const struct tdx *t = imr->priv;
        struct utsname u;

        if (t->sysfs || t->extend_cmd)
                return 0;
        if (uname(&u) < 0)
                snprintf(u.release, sizeof(u.release), "(unknown)");
        return cvm_error_set(err, EOPNOTSUPP, "this kernel (%s) cannot extend RTMRs: it has %s%s (reads only) but neither the "
                             "TSM measurement sysfs (%s%s) nor the TDX_CMD_EXTEND_RTMR ioctl; kernels that can: "
                             CVM_TDX_EXTEND_KERNELS, u.release, t->root, TDX_GUEST, t->root, TDX_MEASUREMENTS);
}

static int tdx_extend(cvm_imr *imr, uint32_t index, const struct cvm_event_digest *digests, size_t n, cvm_error *err) {
        const struct tdx *t = imr->priv;
        int r;

        (void) n;
        if ((r = tdx_can_extend(imr, err)) < 0)
                return r;
        return t->sysfs ? extend_sysfs(t, index, digests[0].bytes, err) : extend_ioctl(t, index, digests[0].bytes, err);
}

static void tdx_close(cvm_imr *imr) {
        free(imr->priv);
}

const char *imr_tdx_root(const cvm_imr *imr) {
        return ((const struct tdx *) imr->priv)->root;
}

static const struct imr_ops tdx_ops = {
        .read = tdx_read,
        .extend = tdx_extend,
        .can_extend = tdx_can_extend,
        .report = report_tdx,
        .close = tdx_close,
};

/*
 * Which TDX_CMD_EXTEND_RTMR number the driver knows (0: neither), asked
 * without extending anything: the request pointer is NULL, so a driver that
 * knows the command fails to copy it in (EFAULT) and one that does not
 * answers ENOTTY.
 */
static int probe_extend_ioctl(struct tdx *t, cvm_error *err) {
        static const unsigned long cmds[] = { TDX_CMD_EXTEND_RTMR_IOR, TDX_CMD_EXTEND_RTMR_IOW };
        char p[PATH_MAX];
        int fd = open_device(t->root, p, err);

        if (fd < 0)
                return fd;
        for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]) && !t->extend_cmd; i++)
                if (ioctl(fd, cmds[i], NULL) == 0 || errno != ENOTTY)
                        t->extend_cmd = cmds[i];
        close(fd);
        return 0;
}

/* The test double of tests/softtdx serves the kernel's own interfaces, so only its module tells it from a
 * TD: found, the device is simulated and every output says so (cvm_imr_simulated). */
static bool soft_device(const char *root) {
        static const char *const modules[] = { "/sys/module/soft_tdx_guest", "/sys/module/soft_tdx_guest_legacy" };
        char p[PATH_MAX];

        for (size_t i = 0; i < sizeof(modules) / sizeof(modules[0]); i++)
                if (tdx_path(p, sizeof(p), root, modules[i]) && access(p, F_OK) == 0)
                        return true;
        return false;
}

static void set_interfaces(cvm_imr *imr, const struct tdx *t) {
        imr->read_via = t->sysfs ? "sysfs" : "tdreport";
        imr->extend_via = t->sysfs ? "sysfs" : t->extend_cmd ? "ioctl" : "none";
        if (t->sysfs)
                snprintf(imr->reason, sizeof(imr->reason), "TDX guest: %s%s (TSM measurement sysfs: reads and extends)",
                         t->root, TDX_MEASUREMENTS);
        else if (t->extend_cmd)
                snprintf(imr->reason, sizeof(imr->reason), "TDX guest: %s%s (TDREPORT reads; extends through "
                         "TDX_CMD_EXTEND_RTMR 0x%08lx)", t->root, TDX_GUEST, t->extend_cmd);
        else
                snprintf(imr->reason, sizeof(imr->reason), "TDX guest: %s%s (TDREPORT, read only: this kernel cannot "
                         "extend RTMRs)", t->root, TDX_GUEST);
        if (imr->simulated) {
                size_t len = strlen(imr->reason);
                snprintf(imr->reason + len, sizeof(imr->reason) - len,
                         "; SIMULATED: the software TDX device for tests (soft_tdx_guest), not a TD");
        }
}

int imr_tdx_open(cvm_imr *imr, const char *sysroot, cvm_error *err) {
        const char *root = sysroot_prefix(sysroot);
        struct tdx *t = calloc(1, sizeof(*t));
        char p[PATH_MAX];
        int r;

        if (!t)
                return cvm_error_set(err, ENOMEM, "out of memory");
        if (strlen(root) > PATH_MAX - 128) {
                free(t);
                return cvm_error_set(err, ENAMETOOLONG, "sysroot of %zu bytes is too long", strlen(root));
        }
        memcpy(t->root, root, strlen(root) + 1);
        t->sysfs = tdx_path(p, sizeof(p), root, TDX_MEASUREMENTS) && access(p, F_OK) == 0;
        if (!t->sysfs) {
                if (!tdx_path(p, sizeof(p), root, TDX_GUEST) || access(p, F_OK) != 0) {
                        free(t);
                        return cvm_error_set(err, ENODEV, "no TDX guest interface: neither %s%s nor %s exists",
                                             root, TDX_MEASUREMENTS, p);
                }
                if ((r = probe_extend_ioctl(t, err)) < 0) {
                        free(t);
                        return r;
                }
        }
        imr->priv = t;
        imr->ops = &tdx_ops;
        imr->backend = CVM_BACKEND_TDX;
        imr->space = CVM_SPACE_CCMR;
        imr->count = CVM_CCMR_MAX;
        imr->banks[0] = CVM_ALG_SHA384;
        imr->nbanks = 1;
        imr->simulated = soft_device(root);
        set_interfaces(imr, t);
        return 0;
}
