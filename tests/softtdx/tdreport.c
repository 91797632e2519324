// SPDX-License-Identifier: Apache-2.0
/*
 * softtdx-tdreport REPORTDATA_HEX: the TDREPORT of /dev/tdx_guest's
 * TDX_CMD_GET_REPORT0 (include/uapi/linux/tdx-guest.h) on stdout, for the
 * soft device's in-guest tests (tests/softtdx/guest-test.sh), which check its
 * layout on the host with cvm-evidence parse-quote.  Built static so the
 * test initramfs needs no libraries for it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

struct tdx_report_req {
        uint8_t reportdata[64];
        uint8_t tdreport[1024];
};
#define TDX_CMD_GET_REPORT0 _IOWR('T', 1, struct tdx_report_req)

int main(int argc, char **argv) {
        struct tdx_report_req req = { 0 };
        int fd;

        if (argc != 2 || strlen(argv[1]) != 128) {
                fprintf(stderr, "usage: softtdx-tdreport REPORTDATA (128 hex digits)\n");
                return 1;
        }
        for (int i = 0; i < 64; i++)
                if (sscanf(argv[1] + 2 * i, "%2hhx", &req.reportdata[i]) != 1) {
                        fprintf(stderr, "softtdx-tdreport: REPORTDATA: not hex at digit %d\n", 2 * i);
                        return 1;
                }
        fd = open("/dev/tdx_guest", O_RDWR | O_CLOEXEC);
        if (fd < 0 || ioctl(fd, TDX_CMD_GET_REPORT0, &req) < 0) {
                fprintf(stderr, "softtdx-tdreport: /dev/tdx_guest: %s\n", strerror(errno));
                return 2;
        }
        close(fd);
        return fwrite(req.tdreport, 1, sizeof(req.tdreport), stdout) == sizeof(req.tdreport) ? 0 : 2;
}
