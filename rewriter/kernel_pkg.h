/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * What a kernel package installs, read on the host with libarchive before
 * anything reaches the guest.  A .deb is an ar archive whose data.tar[.gz,
 * .xz, .zst, .bz2, .lzma] member holds ./boot/vmlinuz-VERSION (Debian,
 * Ubuntu); an .rpm is a lead, headers and a compressed cpio payload holding
 * /lib/modules/VERSION/vmlinuz (Fedora, RHEL 8+: kernel-install copies it to
 * /boot) or /boot/vmlinuz-VERSION.  The bytes are the user's: bounds and
 * sizes are libarchive's to check, and fuzz_kernel_pkg feeds it garbage.
 */

#include <stddef.h>

#include <stdbool.h>
#include <stddef.h>

#include "cvm/error.h"

enum kernel_pkg_format { KERNEL_PKG_UNKNOWN, KERNEL_PKG_DEB, KERNEL_PKG_RPM };

/* The format by magic: "!<arch>\n" then a debian-binary member, or the rpm lead 0xedabeedb. */
enum kernel_pkg_format kernel_pkg_format(const void *buf, size_t len);

/*
 * Add the kernel versions package buf installs to *versions (a NULL-terminated
 * list of *n, each once); name is the file for errors.  A version is 1-128
 * characters of [A-Za-z0-9._+~-] (it becomes a file name and a shell word in
 * the guest): anything else is refused.  -EINVAL for an unreadable package.
 */
/* A kernel version as a path component may hold it: 1-128 of [A-Za-z0-9._+~-], not starting with '.' or '-'. */
bool kernel_version_ok(const char *v, size_t len);

int kernel_pkg_versions(const void *buf, size_t len, const char *name, char ***versions, size_t *n, cvm_error *err);
