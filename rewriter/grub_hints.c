/* SPDX-License-Identifier: Apache-2.0 */
/* grub-mkconfig's search hints rebased from the appliance's disk name onto the booted VM's first disk. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cvmbase/base.h"
#include "grub_hints.h"

int grub_hints_disk_index(const char *mountinfo) {
        for (const char *line = mountinfo; line && *line;) {
                const char *end = strchr(line, '\n'), *sep;
                size_t len = end ? (size_t) (end - line) : strlen(line);
                char copy[4096], mnt[4096], dev[4096];

                /* Fields: id parent major:minor root mount-point options... " - " fstype source super-options. */
                if (len < sizeof(copy)) {
                        memcpy(copy, line, len);
                        copy[len] = '\0';
                        sep = strstr(copy, " - ");
                        if (sep && sscanf(copy, "%*s %*s %*s %*s %4095s", mnt) == 1 && strcmp(mnt, "/") == 0)
                                return sscanf(sep + 3, "%*s %4095s", dev) == 1 && strncmp(dev, "/dev/sd", 7) == 0 &&
                                       dev[7] >= 'a' && dev[7] <= 'z' && !(dev[8] >= 'a' && dev[8] <= 'z')
                                       ? dev[7] - 'a' : -1;
                }
                line = end ? end + 1 : NULL;
        }
        return -1;
}

/* The hint at p (after "--hint-X="), naming disk prefix+index then a comma, a blank, a quote or the end: its length, else 0. */
static size_t hint_disk(const char *p, const char *prefix, const char *num) {
        size_t pl = strlen(prefix), nl = strlen(num);

        if (strncmp(p, prefix, pl) || strncmp(p + pl, num, nl))
                return 0;
        return strchr(", \t\n'\"", p[pl + nl]) ? pl + nl : 0;  /* the NUL too */
}

char *grub_hints_rebase(const char *cfg, int index) {
        /* "set root='hdN,...'" is grub-probe's compatibility hint, guessed the same way (prepare_grub_to_access_device). */
        static const struct { const char *opt, *prefix; } hints[] = {
                { "--hint-bios=", "hd" }, { "--hint-efi=", "hd" }, { "--hint-baremetal=", "ahci" }, { "set root='", "hd" },
        };
        char num[12];
        size_t n = strlen(cfg), o = 0;
        char *out = malloc(n + 1);

        if (!out)
                return NULL;
        snprintf(num, sizeof(num), "%d", index);
        for (size_t i = 0; i < n;) {
                size_t k, skip = 0;
                for (k = 0; k < sizeof(hints) / sizeof(hints[0]); k++) {
                        size_t ol = strlen(hints[k].opt);
                        if (strncmp(cfg + i, hints[k].opt, ol) == 0 && (skip = hint_disk(cfg + i + ol, hints[k].prefix, num))) {
                                o += (size_t) sprintf(out + o, "%s%s0", hints[k].opt, hints[k].prefix);
                                i += ol + skip;
                                break;
                        }
                }
                if (k == sizeof(hints) / sizeof(hints[0]))
                        out[o++] = cfg[i++];
        }
        out[o] = '\0';
        return out;
}

bool grub_hints_any(const char *cfg) {
        /* The disks grub_hints_disk_index can name: sdb to sdz. */
        for (int index = 1; index < 26; index++) {
                _cleanup_free_ char *out = grub_hints_rebase(cfg, index);
                if (!out || strcmp(out, cfg) != 0)
                        return true;
        }
        return false;
}
