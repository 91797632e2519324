/* SPDX-License-Identifier: Apache-2.0 */
/* The kernel versions a .deb or .rpm installs (kernel_pkg.h), by listing it with libarchive. */

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel_pkg.h"

#define VERSION_MAX 128

enum kernel_pkg_format kernel_pkg_format(const void *buf, size_t len) {
        static const uint8_t rpm_lead[4] = { 0xed, 0xab, 0xee, 0xdb };

        if (len >= 8 + 13 && memcmp(buf, "!<arch>\n", 8) == 0 && memcmp((const char *) buf + 8, "debian-binary", 13) == 0)
                return KERNEL_PKG_DEB;
        if (len >= 4 && memcmp(buf, rpm_lead, 4) == 0)
                return KERNEL_PKG_RPM;
        return KERNEL_PKG_UNKNOWN;
}

bool kernel_version_ok(const char *v, size_t len) {
        static const char allowed[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._+~-";
        for (size_t i = 0; i < len; i++)
                if (!v[i] || !strchr(allowed, v[i]))
                        return false;
        return len > 0 && len <= VERSION_MAX && v[0] != '.' && v[0] != '-';
}

/* The version in a kernel image's path (boot/vmlinuz-V, [usr/]lib/modules/V/vmlinuz): its length, 0 if none. */
static size_t version_in(const char *path, const char **v) {
        static const char *const modules[] = { "lib/modules/", "usr/lib/modules/" };

        while (path[0] == '.' && path[1] == '/')
                path += 2;
        path += strspn(path, "/");
        if (strncmp(path, "boot/vmlinuz-", 13) == 0 && !strchr(path + 13, '/')) {
                *v = path + 13;
                return strlen(*v) ? strlen(*v) : SIZE_MAX;
        }
        for (size_t i = 0; i < 2; i++) {
                size_t l = strlen(modules[i]);
                const char *slash;
                if (strncmp(path, modules[i], l) == 0 && (slash = strchr(path + l, '/')) && strcmp(slash, "/vmlinuz") == 0) {
                        *v = path + l;
                        return slash > *v ? (size_t) (slash - *v) : SIZE_MAX;
                }
        }
        return 0;
}

static int add_version(const char *v, size_t len, char ***versions, size_t *n) {
        char **bigger;

        for (size_t i = 0; i < *n; i++)
                if (strlen((*versions)[i]) == len && strncmp((*versions)[i], v, len) == 0)
                        return 0;
        if (!(bigger = realloc(*versions, (*n + 2) * sizeof(char *))))
                return -ENOMEM;
        *versions = bigger;
        if (!(bigger[*n] = strndup(v, len)))
                return -ENOMEM;
        bigger[++*n] = NULL;
        return 0;
}

/* Every entry of a: the kernel images' versions. */
static int scan(struct archive *a, const char *name, char ***versions, size_t *n, cvm_error *err) {
        struct archive_entry *e;
        int r;

        while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
                const char *path = archive_entry_pathname(e), *v;
                size_t len = path ? version_in(path, &v) : 0;
                if (len == 0 || archive_entry_filetype(e) == AE_IFDIR)
                        continue;
                if (len == SIZE_MAX || !kernel_version_ok(v, len))
                        return cvm_error_set(err, EINVAL, "%s: kernel image '%s': the version must be 1-%d characters of [A-Za-z0-9._+~-]",
                                             name, path, VERSION_MAX);
                if (add_version(v, len, versions, n) < 0)
                        return cvm_error_set(err, ENOMEM, "out of memory");
        }
        if (r != ARCHIVE_EOF)
                return cvm_error_set(err, EINVAL, "%s: unreadable package payload: %s", name,
                                     archive_error_string(a) ? archive_error_string(a) : "corrupt");
        return 0;
}

/* The compressed payload formats Debian and RPM use. */
static void payload_filters(struct archive *a) {
        archive_read_support_filter_gzip(a);
        archive_read_support_filter_xz(a);
        archive_read_support_filter_lzma(a);
        archive_read_support_filter_zstd(a);
        archive_read_support_filter_bzip2(a);
}

struct member {
        struct archive *outer;
        char buf[65536];
};

/* The inner archive reads the outer one's current member. */
static la_ssize_t member_read(struct archive *a, void *ud, const void **out) {
        struct member *m = ud;
        (void) a;
        *out = m->buf;
        return archive_read_data(m->outer, m->buf, sizeof(m->buf));
}

static int deb_versions(const void *buf, size_t len, const char *name, char ***versions, size_t *n, cvm_error *err) {
        struct archive *outer = archive_read_new(), *inner = NULL;
        struct archive_entry *e;
        struct member *m = NULL;
        bool data = false;
        int r = 0, k;

        if (!outer || !(m = malloc(sizeof(*m)))) {
                archive_read_free(outer);
                return cvm_error_set(err, ENOMEM, "out of memory");
        }
        archive_read_support_format_ar(outer);
        if (archive_read_open_memory(outer, buf, len) != ARCHIVE_OK)
                r = cvm_error_set(err, EINVAL, "%s: not an ar archive: %s", name, archive_error_string(outer));
        while (r == 0 && !data && ((k = archive_read_next_header(outer, &e)) == ARCHIVE_OK || k == ARCHIVE_WARN)) {
                const char *p = archive_entry_pathname(e);
                if (!p || strncmp(p, "data.tar", 8) != 0)
                        continue;
                data = true;
                m->outer = outer;
                if (!(inner = archive_read_new())) {
                        r = cvm_error_set(err, ENOMEM, "out of memory");
                        break;
                }
                payload_filters(inner);
                archive_read_support_format_tar(inner);
                if (archive_read_open(inner, m, NULL, member_read, NULL) != ARCHIVE_OK)
                        r = cvm_error_set(err, EINVAL, "%s: member %s: %s", name, p, archive_error_string(inner));
                else
                        r = scan(inner, name, versions, n, err);
        }
        if (r == 0 && !data)
                r = cvm_error_set(err, EINVAL, "%s: a .deb without a data.tar member", name);
        archive_read_free(inner);
        archive_read_free(outer);
        free(m);
        return r;
}

static int rpm_versions(const void *buf, size_t len, const char *name, char ***versions, size_t *n, cvm_error *err) {
        struct archive *a = archive_read_new();
        int r;

        if (!a)
                return cvm_error_set(err, ENOMEM, "out of memory");
        archive_read_support_filter_rpm(a);
        payload_filters(a);
        archive_read_support_format_cpio(a);
        if (archive_read_open_memory(a, buf, len) != ARCHIVE_OK)
                r = cvm_error_set(err, EINVAL, "%s: unreadable rpm: %s", name, archive_error_string(a));
        else
                r = scan(a, name, versions, n, err);
        archive_read_free(a);
        return r;
}

int kernel_pkg_versions(const void *buf, size_t len, const char *name, char ***versions, size_t *n, cvm_error *err) {
        switch (kernel_pkg_format(buf, len)) {
        case KERNEL_PKG_DEB:
                return deb_versions(buf, len, name, versions, n, err);
        case KERNEL_PKG_RPM:
                return rpm_versions(buf, len, name, versions, n, err);
        default:
                return cvm_error_set(err, EINVAL, "%s: neither a .deb (ar archive starting with debian-binary) nor an .rpm (lead 0xedabeedb)",
                                     name);
        }
}
