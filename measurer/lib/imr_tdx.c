/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The tdx backend.  Registers come from the TSM measurement sysfs files
 * (kernel 6.16+: measurements/mrtd:sha384, rtmr0:sha384 .. rtmr3:sha384;
 * writing 48 bytes to an rtmr file extends it) or, on older kernels, from a
 * TDREPORT taken with the /dev/tdx_guest TDX_CMD_GET_REPORT0 ioctl (read only).
 * Every path is under a root prefix so tests run against a fake tree.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cvm/digest.h"
#include "cvm/quote.h"
#include "imr_internal.h"
#include "quote_internal.h"
#include "tdx_guest.h"

struct tdx {
        char root[PATH_MAX];
        bool sysfs;        /* false: TDREPORT ioctl only */
};

bool imr_tdx_present(const char *sysroot) {
        char p[PATH_MAX];
        const char *root = sysroot_prefix(sysroot);

        if (tdx_path(p, sizeof(p), root, TDX_MEASUREMENTS) && access(p, F_OK) == 0)
                return true;
        return tdx_path(p, sizeof(p), root, TDX_GUEST) && access(p, F_OK) == 0;
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

int tdx_get_tdreport(const char *root, const uint8_t reportdata[64], uint8_t tdreport[1024], cvm_error *err) {
        struct tdx_report_req req;
        char p[PATH_MAX];
        int fd, r;

        if (!tdx_path(p, sizeof(p), root, TDX_GUEST))
                return cvm_error_set(err, ENAMETOOLONG, "sysroot too long");
        fd = open(p, O_RDWR | O_CLOEXEC);
        if (fd < 0)
                return cvm_error_set(err, errno == ENOENT ? ENODEV : errno, "%s: cannot open: %s", p, strerror(errno));
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

static int tdx_extend(cvm_imr *imr, uint32_t index, const struct cvm_event_digest *digests, size_t n, cvm_error *err) {
        struct tdx *t = imr->priv;
        char p[PATH_MAX];
        ssize_t w;
        int fd;

        (void) n;
        if (!t->sysfs)
                return cvm_error_set(err, EOPNOTSUPP, "this kernel has no TSM measurement sysfs (6.16+): RTMR extend is not available");
        mr_file(t, index, p, sizeof(p));
        fd = open(p, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return cvm_error_set(err, errno, "%s: cannot open for extend: %s", p, strerror(errno));
        w = write(fd, digests[0].bytes, CVM_TDX_MR_SIZE);
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

static void tdx_close(cvm_imr *imr) {
        free(imr->priv);
}

const char *imr_tdx_root(const cvm_imr *imr) {
        return ((const struct tdx *) imr->priv)->root;
}

static const struct imr_ops tdx_ops = {
        .read = tdx_read,
        .extend = tdx_extend,
        .report = report_tdx,
        .close = tdx_close,
};

int imr_tdx_open(cvm_imr *imr, const char *sysroot, cvm_error *err) {
        const char *root = sysroot_prefix(sysroot);
        struct tdx *t = calloc(1, sizeof(*t));
        char p[PATH_MAX];

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
        }
        imr->priv = t;
        imr->ops = &tdx_ops;
        imr->backend = CVM_BACKEND_TDX;
        imr->space = CVM_SPACE_CCMR;
        imr->count = CVM_CCMR_MAX;
        imr->banks[0] = CVM_ALG_SHA384;
        imr->nbanks = 1;
        snprintf(imr->reason, sizeof(imr->reason), "TDX guest: %s%s", root,
                 t->sysfs ? TDX_MEASUREMENTS " (TSM measurement sysfs)" : TDX_GUEST " (TDREPORT, read only)");
        return 0;
}
