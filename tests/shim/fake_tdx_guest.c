/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A fake /dev/tdx_guest for tests/bats/tdx.bats, preloaded into the tools
 * (LD_PRELOAD).  The tests' TDX tree is a plain directory under --sysroot,
 * and a regular file cannot answer ioctls; this machine has no CUSE
 * (/dev/cuse) to make a real character device in user space, and a kernel
 * module is out of reach.  So this library interposes ioctl(2): a call on a
 * regular file named tdx_guest in a dev/ directory is answered the way the
 * kernel drivers answer it; every other call goes on to libc.
 *
 * The file holds the registers, MRTD then RTMR0-3 (5 x 48 bytes; bytes past
 * its end read as zero), so a test sets and reads them with xxd.
 * CVM_FAKE_TDX picks the kernel:
 *   ior   TDX_CMD_EXTEND_RTMR is _IOR('T', 3, 49 bytes): DCAP's default build, Anolis
 *   iow   it is _IOW('T', 3, ...) and RTMR0/1 are refused with EPERM: intel/tdx
 *   none  GET_REPORT0 only, EXTEND_RTMR is ENOTTY: upstream 6.2 to 6.15
 * TDX_CMD_GET_REPORT0 returns a TDREPORT (type 0x81) carrying the report
 * data and the file's MRTD and RTMRs; an extend makes
 * RTMR = SHA-384(RTMR || data), as the TDX module does.
 */
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "tdx_guest.h"

#define MR 48

int ioctl(int fd, unsigned long request, ...);

/* A regular file at .../dev/tdx_guest: the fake device. */
static bool is_fake(int fd) {
        char link[64], path[PATH_MAX];
        struct stat st;
        ssize_t n;

        snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
        n = readlink(link, path, sizeof(path) - 1);
        if (n < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
                return false;
        path[n] = '\0';
        return n >= 14 && strcmp(path + n - 14, "/dev/tdx_guest") == 0;
}

/* MRTD (0) or RTMR0-3 (1-4) of the file; zeros past its end. */
static int get_mr(int fd, int i, uint8_t out[MR]) {
        ssize_t n = pread(fd, out, MR, (off_t) i * MR);
        if (n < 0)
                return -1;
        memset(out + n, 0, MR - (size_t) n);
        return 0;
}

static int get_report(int fd, struct tdx_report_req *req) {
        uint8_t *r = req->tdreport;

        memset(r, 0, sizeof(req->tdreport));
        r[0] = 0x81;
        memcpy(r + 128, req->reportdata, sizeof(req->reportdata));
        if (get_mr(fd, 0, r + 528) < 0)
                return -1;
        for (int i = 0; i < 4; i++)
                if (get_mr(fd, 1 + i, r + 720 + MR * i) < 0)
                        return -1;
        return 0;
}

static int extend(int fd, const struct tdx_extend_rtmr_req *req, bool refuse_low) {
        uint8_t old[MR], new[MR];
        unsigned int len = MR;
        EVP_MD_CTX *ctx;
        int ok;

        if (!req) {
                errno = EFAULT;
                return -1;
        }
        if (req->index > 3 || (refuse_low && req->index < 2)) {
                errno = req->index > 3 ? EINVAL : EPERM;
                return -1;
        }
        if (get_mr(fd, 1 + req->index, old) < 0)
                return -1;
        ctx = EVP_MD_CTX_new();
        ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha384(), NULL) && EVP_DigestUpdate(ctx, old, MR) &&
             EVP_DigestUpdate(ctx, req->data, MR) && EVP_DigestFinal_ex(ctx, new, &len);
        EVP_MD_CTX_free(ctx);
        if (!ok) {
                errno = EIO;
                return -1;
        }
        /* Short files grow with zero registers in between. */
        for (int i = 0; i <= req->index; i++) {
                uint8_t mr[MR];
                if (get_mr(fd, i, mr) < 0 || pwrite(fd, mr, MR, (off_t) i * MR) != MR)
                        return -1;
        }
        return pwrite(fd, new, MR, (off_t) (1 + req->index) * MR) == MR ? 0 : -1;
}

static int fake(int fd, unsigned long request, void *arg) {
        const char *kernel = getenv("CVM_FAKE_TDX");
        unsigned long ext = 0;

        if (!kernel || strcmp(kernel, "ior") == 0)
                ext = TDX_CMD_EXTEND_RTMR_IOR;
        else if (strcmp(kernel, "iow") == 0)
                ext = TDX_CMD_EXTEND_RTMR_IOW;
        if (request == TDX_CMD_GET_REPORT0) {
                if (!arg) {
                        errno = EFAULT;
                        return -1;
                }
                return get_report(fd, arg);
        }
        if (ext && request == ext)
                return extend(fd, arg, ext == TDX_CMD_EXTEND_RTMR_IOW);
        errno = ENOTTY;
        return -1;
}

int ioctl(int fd, unsigned long request, ...) {
        static int (*real)(int, unsigned long, ...);
        void *arg;
        va_list ap;

        va_start(ap, request);
        arg = va_arg(ap, void *);
        va_end(ap);
        if (is_fake(fd))
                return fake(fd, request, arg);
        if (!real)
                *(void **) &real = dlsym(RTLD_NEXT, "ioctl");
        return real(fd, request, arg);
}
