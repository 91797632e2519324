/* SPDX-License-Identifier: Apache-2.0 */
/* What every step executor gets from the session (see session.h): warnings, the guest's mounts, its boot kernel. */

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cvmbase/base.h"
#include "grub_boot.h"
#include "guest_digest.h"
#include "session.h"


int session_programs_dir(char *dir, size_t size, cvm_error *err) {
        char exe[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

        if (n < 0)
                return cvm_error_set(err, errno, "/proc/self/exe: %s", strerror(errno));
        exe[n] = '\0';
        if ((size_t) snprintf(dir, size, "%s", dirname(exe)) >= size)
                return cvm_error_set(err, ENAMETOOLONG, "%s: path too long", exe);
        return 0;
}

void session_warn(struct session *ss, const char *fmt, ...) {
        char *msg = NULL, **w;
        va_list ap;

        va_start(ap, fmt);
        if (vasprintf(&msg, fmt, ap) < 0)
                msg = NULL;
        va_end(ap);
        if (!msg)
                return;
        log_warning("%s", msg);
        w = realloc(ss->warnings, (ss->nwarnings + 1) * sizeof(char *));
        if (!w) {
                free(msg);
                return;
        }
        ss->warnings = w;
        ss->warnings[ss->nwarnings++] = msg;
}

bool plugin_supports(const struct plugin *p, const struct session *ss) {
        if (!p->families)
                return true;
        for (char **f = p->families; *f; f++)
                if ((ss->os.distro && strcmp(*f, ss->os.distro) == 0) || (ss->os.type && strcmp(*f, ss->os.type) == 0))
                        return true;
        return false;
}

int session_mount(struct session *ss) {
        char **mps = ss->os.mounts;
        int failed = 0;

        /* Pairs of mountpoint, device. */
        for (size_t len = 1; len < PATH_MAX; len++)
                for (size_t i = 0; mps[i]; i += 2)
                        if (strlen(mps[i]) == len && guestfs_mount(ss->g, mps[i + 1], mps[i]) < 0) {
                                session_warn(ss, "cannot mount %s on %s: %s", mps[i + 1], mps[i], guestfs_last_error(ss->g));
                                failed++;
                        }
        return failed;
}

char *session_boot_kernel(struct session *ss) {
        struct grub_boot boot;

        grub_boot_read(ss->g, &boot);
        free(boot.cmdline);
        return boot.kernel;
}

void session_clear(struct session *ss) {
        guest_os_clear(&ss->os);
        guest_digests_clear(ss);
        free(ss->cmdline);
        boot_kernel_clear(&ss->kernel);
        for (size_t i = 0; i < ss->nwarnings; i++)
                free(ss->warnings[i]);
        free(ss->warnings);
}
