/* SPDX-License-Identifier: Apache-2.0 */
/*
 * TDX quotes.  configfs-tsm first (Documentation/ABI/testing/configfs-tsm):
 * make an entry, check its provider, write inblob, read outblob.  The kernel
 * bumps `generation` on every write to the entry, so the same value before
 * and after reading outblob proves no other writer replaced our inblob.
 * Without configfs-tsm, the legacy TDX_CMD_GET_QUOTE ioctl: a TDREPORT sent
 * to the quoting service in a QGS message (Intel DCAP's framing).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cvmbase/base.h"
#include "imr_internal.h"
#include "tdx_guest.h"

#define QGS_REQ_SIZE (QGS_HEADER_SIZE + 8 + CVM_TDREPORT_SIZE)
#define GET_QUOTE_BUF_SIZE (16 * 1024)

static int read_small(const char *path, char *buf, size_t size, cvm_error *err) {
        ssize_t n;
        int fd;

        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return cvm_error_set(err, errno, "%s: cannot open: %s", path, strerror(errno));
        n = read(fd, buf, size - 1);
        if (n < 0) {
                int e = errno;
                close(fd);
                return cvm_error_set(err, e, "%s: read failed: %s", path, strerror(e));
        }
        close(fd);
        buf[n] = '\0';
        buf[strcspn(buf, "\n")] = '\0';
        return 0;
}

static int read_generation(const char *entry, uint64_t *ret, cvm_error *err) {
        char p[PATH_MAX], buf[32], *end;
        int r;

        if (!tdx_path(p, sizeof(p), entry, "/generation"))
                return cvm_error_set(err, ENAMETOOLONG, "configfs-tsm entry path too long");
        r = read_small(p, buf, sizeof(buf), err);
        if (r < 0)
                return r;
        errno = 0;
        *ret = strtoull(buf, &end, 10);
        if (errno || end == buf || *end)
                return cvm_error_set(err, EIO, "%s: expected a decimal generation, found '%s'", p, buf);
        return 0;
}

static int write_inblob(const char *entry, const uint8_t *data, size_t len, cvm_error *err) {
        char p[PATH_MAX];
        ssize_t w;
        int fd;

        if (!tdx_path(p, sizeof(p), entry, "/inblob"))
                return cvm_error_set(err, ENAMETOOLONG, "configfs-tsm entry path too long");
        fd = open(p, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return cvm_error_set(err, errno, "%s: cannot open: %s", p, strerror(errno));
        w = write(fd, data, len);
        if (w < 0) {
                int e = errno;
                close(fd);
                return cvm_error_set(err, e, "%s: write failed: %s", p, strerror(e));
        }
        if (close(fd) < 0)
                return cvm_error_set(err, errno, "%s: write failed: %s", p, strerror(errno));
        if ((size_t) w != len)
                return cvm_error_set(err, EIO, "%s: short write of %zd bytes, expected %zu", p, w, len);
        return 0;
}

/* The steps on one entry; the caller makes and removes it. */
static int tsm_quote(const char *entry, const uint8_t *data, struct cvm_report *rep, cvm_error *err) {
        char p[PATH_MAX], provider[64];
        uint64_t before, after;
        int r;

        if (!tdx_path(p, sizeof(p), entry, "/provider"))
                return cvm_error_set(err, ENAMETOOLONG, "configfs-tsm entry path too long");
        r = read_small(p, provider, sizeof(provider), err);
        if (r < 0)
                return r;
        if (strcmp(provider, "tdx_guest") != 0)
                return cvm_error_set(err, EOPNOTSUPP, "%s: provider '%s', not tdx_guest", p, provider);
        r = write_inblob(entry, data, CVM_REPORT_DATA_SIZE, err);
        if (r < 0)
                return r;
        r = read_generation(entry, &before, err);
        if (r < 0)
                return r;
        if (!tdx_path(p, sizeof(p), entry, "/outblob"))
                return cvm_error_set(err, ENAMETOOLONG, "configfs-tsm entry path too long");
        r = read_file(p, CVM_QUOTE_MAX, &rep->quote, &rep->quote_len, err);
        if (r < 0)
                return r;
        r = read_generation(entry, &after, err);
        if (r < 0)
                return r;
        if (after != before)
                return cvm_error_set(err, EBUSY, "%s: another writer used this report entry while the quote was made "
                                     "(generation %" PRIu64 " became %" PRIu64 "); retry", entry, before, after);
        if (rep->quote_len == 0)
                return cvm_error_set(err, EIO, "%s: empty quote", p);
        snprintf(rep->source, sizeof(rep->source), "configfs-tsm entry %.64s, provider tdx_guest, generation %" PRIu64,
                 strrchr(entry, '/') + 1, after);
        return 0;
}

/* 0 with a quote; 1 when this kernel has no configfs-tsm (so the caller falls back). */
static int tsm_report(const char *root, const char *name, const uint8_t *data, struct cvm_report *rep, cvm_error *err) {
        char dir[PATH_MAX], entry[PATH_MAX], own[32];
        bool created;
        int r;

        if (!tdx_path(dir, sizeof(dir), root, TSM_REPORT) || access(dir, F_OK) < 0)
                return 1;
        if (!name) {
                snprintf(own, sizeof(own), "cvm-%ld", (long) getpid());
                name = own;
        }
        if (!*name || strchr(name, '/') || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
                return cvm_error_set(err, EINVAL, "configfs-tsm entry name '%s' must be one path component", name);
        if (snprintf(entry, sizeof(entry), "%s/%s", dir, name) >= (int) sizeof(entry))
                return cvm_error_set(err, ENAMETOOLONG, "configfs-tsm entry path too long");
        created = mkdir(entry, 0700) == 0;
        if (!created && errno != EEXIST)
                return cvm_error_set(err, errno, "%s: cannot create the report entry: %s%s", entry, strerror(errno),
                                     errno == EACCES || errno == EPERM ? " (quotes need root or CAP_SYS_ADMIN)" : "");
        r = tsm_quote(entry, data, rep, err);
        if (created && rmdir(entry) < 0 && r >= 0)
                r = cvm_error_set(err, errno, "%s: cannot remove the report entry: %s", entry, strerror(errno));
        return r;
}

static const char *get_quote_status(uint64_t status) {
        switch (status) {
        case TDX_QUOTE_IN_FLIGHT:
                return "still in flight";
        case TDX_QUOTE_ERROR:
                return "error";
        case TDX_QUOTE_UNAVAILABLE:
                return "quoting service unavailable";
        }
        return "unknown status";
}

int tdx_qgs_response(const uint8_t *msg, uint32_t msg_len, const uint8_t **quote, uint32_t *quote_len, cvm_error *err) {
        uint32_t selected, qlen;

        if (msg_len < QGS_HEADER_SIZE + 8)
                return cvm_error_set(err, EIO, "GET_QUOTE: QGS response of %u bytes is too short", msg_len);
        if (le16(msg) != 1 || le32(msg + 4) != QGS_GET_QUOTE_RESP || le32(msg + 8) != msg_len)
                return cvm_error_set(err, EIO, "GET_QUOTE: not a QGS v1 GET_QUOTE_RESP of %u bytes (version %u, type %u, size %u)",
                                     msg_len, le16(msg), le32(msg + 4), le32(msg + 8));
        if (le32(msg + 12) != 0)
                return cvm_error_set(err, EIO, "GET_QUOTE: the quoting service returned error 0x%x", le32(msg + 12));
        selected = le32(msg + 16);
        qlen = le32(msg + 20);
        if (selected > msg_len - QGS_HEADER_SIZE - 8 || qlen > msg_len - QGS_HEADER_SIZE - 8 - selected || qlen == 0)
                return cvm_error_set(err, EIO, "GET_QUOTE: quote of %u bytes (after an id of %u) does not fit the %u-byte response",
                                     qlen, selected, msg_len);
        *quote = msg + QGS_HEADER_SIZE + 8 + selected;
        *quote_len = qlen;
        return 0;
}

static int ioctl_report(const char *root, const uint8_t *data, struct cvm_report *rep, cvm_error *err) {
        struct tdx_quote_hdr *hdr;
        struct tdx_quote_req req;
        _cleanup_free_ uint8_t *buf = NULL;
        const uint8_t *quote;
        uint8_t *msg;
        char p[PATH_MAX];
        uint32_t msg_len, quote_len;
        int fd, r;

        if (posix_memalign((void **) &buf, 4096, GET_QUOTE_BUF_SIZE) != 0)
                return cvm_error_set(err, ENOMEM, "out of memory");
        memset(buf, 0, GET_QUOTE_BUF_SIZE);
        hdr = (struct tdx_quote_hdr *) buf;
        msg = buf + sizeof(*hdr) + 4;
        r = tdx_get_tdreport(root, data, msg + QGS_HEADER_SIZE + 8, err);
        if (r < 0)
                return r;
        hdr->version = 1;
        hdr->in_len = 4 + QGS_REQ_SIZE;
        put_be32(buf + sizeof(*hdr), QGS_REQ_SIZE);
        put_le16(msg, 1);
        put_le32(msg + 4, QGS_GET_QUOTE_REQ);
        put_le32(msg + 8, QGS_REQ_SIZE);
        put_le32(msg + 16, CVM_TDREPORT_SIZE);
        req.buf = (uint64_t) (uintptr_t) buf;
        req.len = GET_QUOTE_BUF_SIZE;

        if (!tdx_path(p, sizeof(p), root, TDX_GUEST))
                return cvm_error_set(err, ENAMETOOLONG, "sysroot too long");
        fd = open(p, O_RDWR | O_CLOEXEC);
        if (fd < 0)
                return cvm_error_set(err, errno, "%s: cannot open: %s", p, strerror(errno));
        r = ioctl(fd, TDX_CMD_GET_QUOTE, &req);
        if (r < 0) {
                int e = errno;
                close(fd);
                return cvm_error_set(err, e == ENOTTY ? EOPNOTSUPP : e, "%s: TDX_CMD_GET_QUOTE failed: %s%s", p, strerror(e),
                                     e == ENOTTY ? " (this kernel has neither configfs-tsm nor the legacy quote ioctl)" : "");
        }
        close(fd);
        if (hdr->status != TDX_QUOTE_SUCCESS)
                return cvm_error_set(err, EIO, "%s: GET_QUOTE status 0x%" PRIx64 " (%s)", p, hdr->status, get_quote_status(hdr->status));
        if (hdr->out_len < 4 || hdr->out_len > GET_QUOTE_BUF_SIZE - sizeof(*hdr))
                return cvm_error_set(err, EIO, "%s: GET_QUOTE returned %u bytes in a %d-byte buffer", p, hdr->out_len, GET_QUOTE_BUF_SIZE);
        msg_len = be32(buf + sizeof(*hdr));
        if (msg_len > hdr->out_len - 4)
                return cvm_error_set(err, EIO, "%s: GET_QUOTE message of %u bytes in %u bytes of output", p, msg_len, hdr->out_len);
        r = tdx_qgs_response(msg, msg_len, &quote, &quote_len, err);
        if (r < 0)
                return cvm_error_prefix(err, "%s: ", p);
        rep->quote = malloc(quote_len);
        if (!rep->quote)
                return cvm_error_set(err, ENOMEM, "out of memory");
        memcpy(rep->quote, quote, quote_len);
        rep->quote_len = quote_len;
        snprintf(rep->source, sizeof(rep->source), TDX_GUEST " TDX_CMD_GET_QUOTE (legacy ioctl)");
        return 0;
}

int report_tdx(cvm_imr *imr, const struct cvm_report_request *req, const uint8_t *data, size_t len,
               struct cvm_report *rep, cvm_error *err) {
        const char *root = imr_tdx_root(imr);
        int r;

        (void) len;
        r = tsm_report(root, req->tsm_name, data, rep, err);
        if (r <= 0)
                return r;
        if (req->tsm_name)
                return cvm_error_set(err, ENOENT, "%s" TSM_REPORT ": no configfs-tsm on this kernel, so no entry '%s'",
                                     root, req->tsm_name);
        return ioctl_report(root, data, rep, err);
}
