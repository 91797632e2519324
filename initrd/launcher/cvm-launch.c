/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The launcher of a cvm bundle (see cvminitrd/bundle.h), linked statically so it
 * runs in a root that holds nothing but the bundle.  `cvm-initrd bundle`
 * writes "PREFIX\0NAME\0LOADER\0" into the slot of each copy; the launcher
 * runs PREFIX/lib/LOADER on PREFIX/libexec/NAME with the bundle's lib/ as
 * the only library path, and the ld.so cache of the host root ignored.
 */

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cvminitrd/bundle.h"

/* volatile: the compiler must read the slot at run time, not fold the marker in. */
static volatile const char slot[CVM_LAUNCH_SLOT_SIZE] = CVM_LAUNCH_SLOT_MARKER;

int main(int argc, char **argv) {
        char cfg[CVM_LAUNCH_SLOT_SIZE], loader[PATH_MAX], libdir[PATH_MAX], real[PATH_MAX];
        const char *prefix, *name, *ld;
        char **args;
        int n = 0;

        for (size_t i = 0; i < sizeof(cfg); i++)
                cfg[i] = slot[i];
        cfg[sizeof(cfg) - 1] = '\0';
        if (cfg[0] != '/') {
                fprintf(stderr, "cvm-launch: this launcher was not configured by cvm-initrd bundle\n");
                return 127;
        }
        prefix = cfg;
        name = prefix + strlen(prefix) + 1;
        ld = name + strlen(name) + 1;
        if ((size_t) (ld - cfg) >= sizeof(cfg) || !*name || !*ld ||
            snprintf(loader, sizeof(loader), "%s/lib/%s", prefix, ld) >= (int) sizeof(loader) ||
            snprintf(libdir, sizeof(libdir), "%s/lib", prefix) >= (int) sizeof(libdir) ||
            snprintf(real, sizeof(real), "%s/libexec/%s", prefix, name) >= (int) sizeof(real)) {
                fprintf(stderr, "cvm-launch: malformed configuration\n");
                return 127;
        }
        args = calloc((size_t) argc + 8, sizeof(char *));
        if (!args)
                return 127;
        args[n++] = loader;
        args[n++] = "--inhibit-cache";
        args[n++] = "--library-path";
        args[n++] = libdir;
        args[n++] = "--argv0";
        args[n++] = argv[0] ? argv[0] : (char *) name;
        args[n++] = real;
        for (int i = 1; i < argc; i++)
                args[n++] = argv[i];
        execv(loader, args);
        fprintf(stderr, "cvm-launch: %s: %s\n", loader, strerror(errno));
        return 127;
}
