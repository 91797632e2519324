/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The library step: libcvm for the guest's own programs to link and load.
 * It installs the shared object this cvm-rewrite was built with
 * (BINDIR/../lib/libcvm.so), the public headers cvm.h includes
 * (BINDIR/../include/cvm) and a pkg-config file under /usr/local, then runs
 * ldconfig.  Unlike a bundle, the library runs on the guest's own libc and
 * libraries, so those are checked first, the way ld.so will find them: each
 * DT_NEEDED soname in the guest's /etc/ld.so.cache, and each symbol version
 * libcvm needs (GLIBC_2.34, NETTLE_8, ...) defined by that library; and the
 * OpenSSL 3 it dlopen()s (CVM_CRYPTO_SONAME), which ldd would not show.
 * install: yes (a missing one fails the step), auto (a warning, kept in the
 * manifest, and nothing is installed), no (the step does nothing).
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cvmbase/base.h"
#include "cvminitrd/bundle.h"
#include "cvm/cvm.h"
#include "guest_read.h"
#include "step_kind.h"

#define PREFIX "/usr/local"
#define MAX_HEADERS 64
#define MAX_LIBRARY (256u << 20)

static void elf_clearp(struct cvm_elf_info *i) {
        cvm_elf_info_clear(i);
}

static int parse_elf_file(const char *path, struct cvm_elf_info *info, cvm_error *err) {
        _cleanup_free_ uint8_t *buf = NULL;
        size_t len;
        int r;

        if ((r = read_file(path, MAX_LIBRARY, &buf, &len, err)) < 0)
                return r;
        if ((r = cvm_elf_parse(buf, len, info, err)) < 0)
                return cvm_error_prefix(err, "%s: ", path), r;
        return 0;
}

/* The guest's library for soname, parsed, or a problem said on f (a soname it lacks on missing). */
static int guest_library(struct session *ss, const uint8_t *cache, size_t clen, const char *soname, struct cvm_elf_info *info,
                         FILE *missing, FILE *f) {
        _cleanup_free_ char *real = NULL;
        char tmp[PATH_MAX + 32];
        const char *path;
        int r;

        if (!cache || cvm_ldcache_lookup(cache, clen, soname, &path, NULL) < 0) {
                fprintf(missing, " %s", soname);
                return -ENOENT;
        }
        /* Resolved inside the guest's root, so a symlink cannot lead the download out of it. */
        if (!(real = guestfs_realpath(ss->g, path))) {
                fprintf(f, "; the guest's %s (%s) cannot be resolved", path, soname);
                return -ENOENT;
        }
        snprintf(tmp, sizeof(tmp), "%s/needed.so", ss->tmpdir);
        if (guest_download(ss->g, real, tmp) < 0) {
                fprintf(f, "; the guest's %s cannot be read", real);
                return -EIO;
        }
        r = parse_elf_file(tmp, info, NULL);
        unlink(tmp);
        if (r < 0)
                fprintf(f, "; the guest's %s is not a readable ELF object", real);
        return r;
}

static bool defines(const struct cvm_elf_info *lib, const char *version) {
        for (size_t i = 0; i < lib->n_verdef; i++)
                if (strcmp(lib->verdef[i], version) == 0)
                        return true;
        return false;
}

/* Walk libcvm's needs against the guest: the sonames its ld.so.cache lacks on missing, the other problems on f. */
static void walk_needs(struct session *ss, const struct cvm_elf_info *cvm, FILE *missing, FILE *f) {
        _cleanup_free_ char *cache = NULL;
        size_t clen = 0;

        cache = guestfs_is_file(ss->g, "/etc/ld.so.cache") > 0 ? guest_read_file(ss->g, "/etc/ld.so.cache", &clen) : NULL;
        for (size_t i = 0; i < cvm->n_needed; i++) {
                _cleanup_(elf_clearp) struct cvm_elf_info lib = { 0 };
                if (guest_library(ss, (const uint8_t *) cache, clen, cvm->needed[i], &lib, missing, f) < 0)
                        continue;
                for (size_t j = 0; j < cvm->n_verneed; j++)
                        if (strcmp(cvm->verneed[j].file, cvm->needed[i]) == 0 && !defines(&lib, cvm->verneed[j].version))
                                fprintf(f, "; the guest's %s has no symbol version %s", cvm->needed[i], cvm->verneed[j].version);
        }
        /* The OpenSSL libcvm dlopen()s to hash files and check signatures: not in DT_NEEDED, as needed all the same. */
        {
                _cleanup_(elf_clearp) struct cvm_elf_info lib = { 0 };
                if (guest_library(ss, (const uint8_t *) cache, clen, CVM_CRYPTO_SONAME, &lib, missing, f) == 0 &&
                    !defines(&lib, "OPENSSL_3.0.0"))
                        fprintf(f, "; the guest's %s has no symbol version OPENSSL_3.0.0", CVM_CRYPTO_SONAME);
        }
}

/* What keeps libcvm from loading in the guest, in one line into *why (NULL when it loads). */
static int check_guest(struct session *ss, const struct cvm_elf_info *cvm, char **why) {
        _cleanup_free_ char *missing = NULL, *other = NULL;
        size_t mlen = 0, olen = 0;
        int r = 0;

        {
                /* Closed (their buffers final) at the end of this block, before the buffers are read. */
                _cleanup_(fclosep) FILE *m = open_memstream(&missing, &mlen);
                _cleanup_(fclosep) FILE *f = open_memstream(&other, &olen);
                if (!m || !f)
                        return -ENOMEM;
                walk_needs(ss, cvm, m, f);
                if (fflush(m) != 0 || fflush(f) != 0)
                        r = -ENOMEM;
        }
        *why = NULL;
        if (r == 0 && (mlen > 0 || olen > 0) &&
            asprintf(why, "%s%s%s%s", mlen ? "not in its /etc/ld.so.cache:" : "", mlen ? missing : "",
                     mlen && olen ? "; " : "", olen ? other + 2 : "") < 0) {
                *why = NULL;
                r = -ENOMEM;
        }
        return r;
}

static bool header_name_ok(const char *n, size_t len) {
        return len > 2 && len < 64 && strspn(n, "abcdefghijklmnopqrstuvwxyz0123456789_") == len - 2 && !memcmp(n + len - 2, ".h", 2);
}

/* cvm.h and every cvm/ header it includes, transitively, into names[] (each checked to be a plain name). */
static int collect_headers(struct session *ss, const struct step *s, const char *dir, char names[][64], size_t *n) {
        strcpy(names[0], "cvm.h");
        *n = 1;
        for (size_t i = 0; i < *n; i++) {
                _cleanup_(fclosep) FILE *h = NULL;
                char path[PATH_MAX + 64], line[512];

                snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
                if (!(h = fopen(path, "re")))
                        return step_fail(ss, s, "%s: %s", path, strerror(errno));
                while (fgets(line, sizeof(line), h)) {
                        const char *inc = strstr(line, "cvm/");
                        size_t len;
                        bool seen = false;

                        if (strncmp(line, "#include ", 9) != 0 || !inc)
                                continue;
                        inc += 4;
                        len = strcspn(inc, "\">");
                        if (!header_name_ok(inc, len))
                                return step_fail(ss, s, "%s: unexpected include '%.*s'", path, (int) len, inc);
                        for (size_t j = 0; j < *n && !seen; j++)
                                seen = strlen(names[j]) == len && !strncmp(names[j], inc, len);
                        if (seen)
                                continue;
                        if (*n == MAX_HEADERS)
                                return step_fail(ss, s, "%s: more than %d headers", dir, MAX_HEADERS);
                        snprintf(names[(*n)++], 64, "%.*s", (int) len, inc);
                }
        }
        return 0;
}

static int write_pc(struct session *ss, const struct step *s) {
        static const char pc[] = "prefix=" PREFIX "\nlibdir=${prefix}/lib\nincludedir=${prefix}/include\n\n"
                                 "Name: cvm\nDescription: Confidential-VM evidence: event logs, replay, registers and quotes (TDX, TPM 2.0)\n"
                                 "Version: " CVM_VERSION "\nLibs: -L${libdir} -lcvm\nCflags: -I${includedir}\n";
        if (guestfs_write(ss->g, PREFIX "/lib/pkgconfig/cvm.pc", pc, sizeof(pc) - 1) < 0 ||
            guestfs_chmod(ss->g, 0644, PREFIX "/lib/pkgconfig/cvm.pc") < 0)
                return step_gfail(ss, s, PREFIX "/lib/pkgconfig/cvm.pc");
        return 0;
}

static int install(struct session *ss, const struct step *s, const char *lib, const char *incdir) {
        char names[MAX_HEADERS][64], host[PATH_MAX + 64], guest[PATH_MAX];
        size_t n;
        int r;

        if ((r = collect_headers(ss, s, incdir, names, &n)) < 0)
                return r;
        if (guestfs_mkdir_p(ss->g, PREFIX "/lib/pkgconfig") < 0 || guestfs_mkdir_p(ss->g, PREFIX "/include/cvm") < 0)
                return step_gfail(ss, s, PREFIX);
        if (guestfs_upload(ss->g, lib, PREFIX "/lib/libcvm.so.0") < 0 || guestfs_chmod(ss->g, 0644, PREFIX "/lib/libcvm.so.0") < 0)
                return step_gfail(ss, s, PREFIX "/lib/libcvm.so.0");
        if (guestfs_rm_f(ss->g, PREFIX "/lib/libcvm.so") < 0 || guestfs_ln_s(ss->g, "libcvm.so.0", PREFIX "/lib/libcvm.so") < 0)
                return step_gfail(ss, s, PREFIX "/lib/libcvm.so");
        for (size_t i = 0; i < n; i++) {
                snprintf(host, sizeof(host), "%s/%s", incdir, names[i]);
                snprintf(guest, sizeof(guest), PREFIX "/include/cvm/%s", names[i]);
                if (guestfs_upload(ss->g, host, guest) < 0 || guestfs_chmod(ss->g, 0644, guest) < 0)
                        return step_gfail(ss, s, guest);
        }
        if ((r = write_pc(ss, s)) < 0)
                return r;
        _cleanup_free_ char *out = guestfs_sh(ss->g, "ldconfig");
        return out ? 0 : step_gfail(ss, s, "ldconfig");
}

/* Read back: the guest's new ld.so.cache maps libcvm.so.0 to the installed file. */
static int check_installed(struct session *ss, const struct step *s) {
        _cleanup_free_ char *cache = NULL;
        const char *path = NULL;
        size_t clen;

        cache = guest_read_file(ss->g, "/etc/ld.so.cache", &clen);
        if (!cache || cvm_ldcache_lookup((const uint8_t *) cache, clen, "libcvm.so.0", &path, NULL) < 0 ||
            strcmp(path, PREFIX "/lib/libcvm.so.0") != 0)
                return step_fail(ss, s, "after ldconfig, the guest's ld.so.cache maps libcvm.so.0 to %s, not " PREFIX "/lib/libcvm.so.0",
                                 path ? path : "nothing");
        return 0;
}

static int library_run(struct session *ss, const struct step *s) {
        const char *mode = step_arg(s, "install") ? step_arg(s, "install") : "yes";
        _cleanup_(elf_clearp) struct cvm_elf_info cvm = { 0 };
        _cleanup_free_ char *why = NULL;
        char dir[PATH_MAX], path[PATH_MAX + 32], lib[PATH_MAX], inc[PATH_MAX];
        int r;

        if (strcmp(mode, "no") == 0)
                return 0;
        if ((r = session_programs_dir(dir, sizeof(dir), ss->err)) < 0)
                return r;
        snprintf(path, sizeof(path), "%s/../lib/libcvm.so", dir);
        if (!realpath(path, lib))
                return step_fail(ss, s, "this cvm-rewrite has no libcvm beside it: %s: %s", path, strerror(errno));
        snprintf(path, sizeof(path), "%s/../include/cvm", dir);
        if (!realpath(path, inc))
                return step_fail(ss, s, "this cvm-rewrite has no libcvm headers beside it: %s: %s", path, strerror(errno));
        if ((r = parse_elf_file(lib, &cvm, ss->err)) < 0)
                return r;

        if (check_guest(ss, &cvm, &why) < 0)
                return step_fail(ss, s, "out of memory");
        if (why && strcmp(mode, "auto") == 0) {
                session_warn(ss, "%s: plugin %s: libcvm was not installed, it would not load in this guest: %s", s->where,
                             s->plugin->name, why);
                return 0;
        }
        if (why)
                return step_fail(ss, s, "libcvm would not load in this guest (install the guest's packages for these first, or use install: auto): %s",
                                 why);
        if ((r = install(ss, s, lib, inc)) < 0)
                return r;
        return check_installed(ss, s);
}

const struct step_kind kind_library = { "library", { { "install", &arg_install, false } }, NULL, library_run };
