/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Parsers of a Linux guest's identifying files, for the lean inspection.
 * Hand-written: os-release and fstab are line formats with no packaged C
 * reader (libguestfs parses them inside its appliance, with augeas, which is
 * what makes its inspection slow under TCG); the ELF check reads two fields.
 */

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "guest_id.h"

/* The value of a KEY=VALUE line, quotes removed (a new string), or NULL on ENOMEM. */
static char *unquote(const char *v, size_t len) {
        if (len >= 2 && (v[0] == '"' || v[0] == '\'') && v[len - 1] == v[0]) {
                v++;
                len -= 2;
        }
        return strndup(v, len);
}

int guest_os_release(const char *text, char **id, char **version_id) {
        *id = *version_id = NULL;
        for (const char *line = text; line && *line;) {
                const char *end = strchr(line, '\n');
                size_t len = end ? (size_t) (end - line) : strlen(line);
                char **slot = NULL;
                size_t k = 0;

                if (len > 3 && strncmp(line, "ID=", 3) == 0)
                        slot = id, k = 3;
                else if (len > 11 && strncmp(line, "VERSION_ID=", 11) == 0)
                        slot = version_id, k = 11;
                if (slot) {
                        free(*slot);
                        if (!(*slot = unquote(line + k, len - k))) {
                                free(*id);
                                free(*version_id);
                                *id = *version_id = NULL;
                                return -ENOMEM;
                        }
                }
                line = end ? end + 1 : NULL;
        }
        return 0;
}

const char *guest_distro(const char *id) {
        static const char *const known[] = { "debian", "ubuntu" };

        for (size_t i = 0; id && i < sizeof(known) / sizeof(known[0]); i++)
                if (strcmp(id, known[i]) == 0)
                        return known[i];
        return NULL;
}

/* Up to 6 digits at *s into *v, moving *s on; -EINVAL when there are none. */
static int number(const char **s, int *v) {
        int n = 0, x = 0;

        while (isdigit((unsigned char) **s) && n < 6) {
                x = x * 10 + (**s - '0');
                (*s)++;
                n++;
        }
        if (n == 0 || isdigit((unsigned char) **s))
                return -EINVAL;
        *v = x;
        return 0;
}

int guest_version(const char *s, int *major, int *minor) {
        int ma, mi = 0;

        if (!s || number(&s, &ma) < 0)
                return -EINVAL;
        if (*s == '.' && (s++, number(&s, &mi) < 0))
                return -EINVAL;
        if (*s != '\0' && *s != '\n' && *s != '.')
                return -EINVAL;
        *major = ma;
        *minor = mi;
        return 0;
}

const char *guest_elf_arch(const uint8_t *b, size_t len) {
        unsigned machine;
        bool le;

        if (len < 20 || memcmp(b, "\177ELF", 4) != 0 || (b[5] != 1 && b[5] != 2))
                return NULL;
        le = b[5] == 1;
        machine = le ? (unsigned) b[18] | (unsigned) b[19] << 8 : (unsigned) b[19] | (unsigned) b[18] << 8;
        switch (machine) {
        case 62: return b[4] == 2 ? "x86_64" : NULL;
        case 3: return b[4] == 1 ? "i386" : NULL;
        case 183: return b[4] == 2 ? "aarch64" : NULL;
        case 243: return b[4] == 2 ? "riscv64" : NULL;
        case 21: return b[4] == 2 ? (le ? "ppc64le" : "ppc64") : NULL;
        case 22: return b[4] == 2 ? "s390x" : NULL;
        default: return NULL;
        }
}

/* An fstab field with its octal escapes (\040 space, \011 tab, \134 backslash) decoded: a new string or NULL. */
static char *field(const char *f, size_t len) {
        char *out = malloc(len + 1), *o = out;

        if (!out)
                return NULL;
        for (size_t i = 0; i < len; i++) {
                if (f[i] == '\\' && len - i > 3 && f[i + 1] >= '0' && f[i + 1] <= '3' && f[i + 2] >= '0' &&
                    f[i + 2] <= '7' && f[i + 3] >= '0' && f[i + 3] <= '7') {
                        *o++ = (char) ((f[i + 1] - '0') << 6 | (f[i + 2] - '0') << 3 | (f[i + 3] - '0'));
                        i += 3;
                } else {
                        *o++ = f[i];
                }
        }
        *o = '\0';
        return out;
}

void guest_fstab_free(struct fstab_entry *e, size_t n) {
        for (size_t i = 0; e && i < n; i++) {
                free(e[i].spec);
                free(e[i].mountpoint);
                free(e[i].type);
        }
        free(e);
}

/* Whether the options field (comma-separated) holds bind or rbind. */
static bool has_bind(const char *o, size_t len) {
        for (size_t i = 0; i < len;) {
                size_t j = i;
                while (j < len && o[j] != ',')
                        j++;
                if ((j - i == 4 && memcmp(o + i, "bind", 4) == 0) || (j - i == 5 && memcmp(o + i, "rbind", 5) == 0))
                        return true;
                i = j + 1;
        }
        return false;
}

/* Split one line into at most 4 whitespace-separated fields: their count. */
static int split(const char *line, size_t len, const char *f[4], size_t fl[4]) {
        int n = 0;

        for (size_t i = 0; i < len && n < 4;) {
                while (i < len && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r'))
                        i++;
                if (i == len || line[i] == '#')
                        break;
                f[n] = line + i;
                while (i < len && line[i] != ' ' && line[i] != '\t' && line[i] != '\r')
                        i++;
                fl[n] = (size_t) (line + i - f[n]);
                n++;
        }
        return n;
}

int guest_fstab(const char *text, struct fstab_entry **ret, size_t *n_ret) {
        struct fstab_entry *v = NULL;
        size_t n = 0;

        for (const char *line = text; line && *line;) {
                const char *end = strchr(line, '\n'), *f[4];
                size_t len = end ? (size_t) (end - line) : strlen(line), fl[4];
                int nf = split(line, len, f, fl);

                line = end ? end + 1 : NULL;
                if (nf < 3)
                        continue;
                struct fstab_entry *nv = realloc(v, (n + 1) * sizeof(*v));
                if (!nv)
                        goto oom;
                v = nv;
                v[n] = (struct fstab_entry) { .spec = field(f[0], fl[0]), .mountpoint = field(f[1], fl[1]),
                                              .type = field(f[2], fl[2]), .bind = nf == 4 && has_bind(f[3], fl[3]) };
                n++;
                if (!v[n - 1].spec || !v[n - 1].mountpoint || !v[n - 1].type)
                        goto oom;
        }
        *ret = v;
        *n_ret = n;
        return 0;
oom:
        guest_fstab_free(v, n);
        return -ENOMEM;
}

bool guest_fstab_local(const struct fstab_entry *e) {
        static const char *const remote_or_virtual[] = {
                "swap",   "none",  "tmpfs", "proc",   "sysfs",   "devpts", "devtmpfs", "nfs",    "nfs4",   "cifs",
                "smb3",   "smbfs", "autofs", "ramfs", "cgroup",  "cgroup2", "securityfs", "debugfs", "efivarfs",
                "bpf",    "hugetlbfs", "overlay", "mqueue", "configfs", "fusectl", "binfmt_misc", "9p", "virtiofs",
        };

        if (e->bind || e->mountpoint[0] != '/' || strstr(e->mountpoint, "/..") || strchr(e->spec, ':') ||
            strncmp(e->spec, "//", 2) == 0 || strncmp(e->type, "fuse", 4) == 0)
                return false;
        for (size_t i = 0; i < sizeof(remote_or_virtual) / sizeof(remote_or_virtual[0]); i++)
                if (strcmp(e->type, remote_or_virtual[i]) == 0)
                        return false;
        return true;
}

const char *guest_spec_key(const char *spec, const char **value) {
        static const struct {
                const char *prefix, *key;
        } forms[] = {
                { "UUID=", "UUID" },
                { "LABEL=", "LABEL" },
                { "PARTUUID=", "PART_ENTRY_UUID" },
                { "PARTLABEL=", "PART_ENTRY_NAME" },
                { "/dev/disk/by-uuid/", "UUID" },
                { "/dev/disk/by-label/", "LABEL" },
                { "/dev/disk/by-partuuid/", "PART_ENTRY_UUID" },
                { "/dev/disk/by-partlabel/", "PART_ENTRY_NAME" },
        };

        for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
                size_t n = strlen(forms[i].prefix);
                if (strncmp(spec, forms[i].prefix, n) == 0 && spec[n]) {
                        *value = spec + n;
                        return forms[i].key;
                }
        }
        return NULL;
}

int guest_spec_first_disk_partition(const char *spec) {
        static const char *const first[] = { "/dev/sda", "/dev/vda", "/dev/hda", "/dev/xvda", "/dev/nvme0n1p" };
        const char *p = NULL;
        int part;

        for (size_t i = 0; !p && i < sizeof(first) / sizeof(first[0]); i++)
                if (strncmp(spec, first[i], strlen(first[i])) == 0)
                        p = spec + strlen(first[i]);
        if (!p || number(&p, &part) < 0 || *p || part == 0)
                return -1;
        return part;
}
