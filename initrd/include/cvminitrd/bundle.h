/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * Self-contained bundles of dynamically linked binaries, for initramfs
 * images whose distro has other library versions (Debian has no static
 * libtss2).  A bundle is a directory meant to live at one prefix:
 *
 *   PREFIX/bin/NAME      a static launcher: runs the bundled loader on the binary
 *   PREFIX/libexec/NAME  the binary itself, unchanged
 *   PREFIX/lib/SONAME    every library of the closure, and the loader
 *
 * The launcher execs PREFIX/lib/<loader> --inhibit-cache --library-path
 * PREFIX/lib --argv0 ARGV0 PREFIX/libexec/NAME ARGS..., so the binary and
 * whatever it dlopen()s load only from the bundle.  Libraries are resolved
 * the way ld.so does on this host: DT_RPATH (without DT_RUNPATH), the
 * object's DT_RUNPATH, /etc/ld.so.cache, the system directories.
 * LD_LIBRARY_PATH is ignored on purpose: the build host's environment must
 * not decide what the guest runs.
 */

#include <stddef.h>
#include <stdint.h>

#include "cvm/error.h"

/* One symbol version an object needs from a library (DT_VERNEED). */
struct cvm_elf_verneed {
        char *file;             /* the library's soname, as in DT_NEEDED */
        char *version;          /* e.g. GLIBC_2.34 */
};

/* What the loader needs to know about one ELF object. */
struct cvm_elf_info {
        uint16_t machine;       /* e_machine */
        uint16_t type;          /* e_type: ET_EXEC or ET_DYN */
        char *interp;           /* PT_INTERP, or NULL */
        char *soname;           /* DT_SONAME, or NULL */
        char *rpath;            /* DT_RPATH, or NULL */
        char *runpath;          /* DT_RUNPATH, or NULL */
        char **needed;          /* DT_NEEDED, in order */
        size_t n_needed;
        struct cvm_elf_verneed *verneed;        /* the symbol versions it needs, by library */
        size_t n_verneed;
        char **verdef;          /* the symbol versions it defines (not the base entry, its own name) */
        size_t n_verdef;
};

/* Parse a 64-bit little-endian ELF image (bounds-checked: any input is safe). */
int cvm_elf_parse(const uint8_t *buf, size_t len, struct cvm_elf_info *ret, cvm_error *err);

/* Free what cvm_elf_parse filled in. */
void cvm_elf_info_clear(struct cvm_elf_info *info);

/* The path /etc/ld.so.cache (new format, glibc 2.32+) maps soname to, for x86-64 libc6 objects. */
int cvm_ldcache_lookup(const uint8_t *cache, size_t len, const char *soname, const char **ret, cvm_error *err);

typedef struct cvm_bundle cvm_bundle;

/* A new, empty bundle that will be installed at prefix (an absolute path). */
int cvm_bundle_new(const char *prefix, cvm_bundle **ret, cvm_error *err);

/* Free; NULL is fine. */
void cvm_bundle_free(cvm_bundle *b);

/* Add an executable and its whole DT_NEEDED closure; its PT_INTERP becomes the bundle's loader. */
int cvm_bundle_add_binary(cvm_bundle *b, const char *path, cvm_error *err);

/* Add a library the binaries dlopen() (e.g. a TPM TCTI) by soname, with its closure. */
int cvm_bundle_add_library(cvm_bundle *b, const char *soname, cvm_error *err);

/* Number of files the bundle holds, and file i: where it goes (relative to the prefix) and where from. */
size_t cvm_bundle_count(const cvm_bundle *b);
int cvm_bundle_file(const cvm_bundle *b, size_t i, const char **dest, const char **src);

/*
 * Write the bundle into the new directory out (it must not exist) through
 * a temporary directory beside it, renamed at the end.  launcher is the
 * static launcher image; each copy is configured for its binary.
 */
int cvm_bundle_write(const cvm_bundle *b, const char *out, const uint8_t *launcher, size_t launcher_len,
                     cvm_error *err);

/* The marker a launcher image holds where its configuration is written. */
#define CVM_LAUNCH_SLOT_MARKER "@CVM-LAUNCH-SLOT@"
#define CVM_LAUNCH_SLOT_SIZE 4096
