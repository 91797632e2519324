/* SPDX-License-Identifier: Apache-2.0 */
/* The dynamic-linking facts of an ELF64 object, read from its program headers as ld.so does. */

#include <elf.h>
#include <errno.h>
#include <string.h>

#include "initrd_internal.h"
#include "cvm/bundle.h"

#define MAX_NEEDED 1024

struct image {
        const uint8_t *buf;
        size_t len;
        const Elf64_Phdr *ph;   /* not aligned in buf: read through memcpy */
        size_t phnum;
};

static void phdr(const struct image *im, size_t i, Elf64_Phdr *out) {
        memcpy(out, (const uint8_t *) im->ph + i * sizeof(Elf64_Phdr), sizeof(*out));
}

/* File offset of virtual address v, through the PT_LOAD that maps it from the file. */
static int vaddr_to_offset(const struct image *im, uint64_t v, uint64_t *ret) {
        for (size_t i = 0; i < im->phnum; i++) {
                Elf64_Phdr p;
                phdr(im, i, &p);
                if (p.p_type == PT_LOAD && v >= p.p_vaddr && v - p.p_vaddr < p.p_filesz) {
                        *ret = p.p_offset + (v - p.p_vaddr);
                        return 0;
                }
        }
        return -EBADMSG;
}

/* A NUL-terminated string at off within [base, base + size), itself within the file. */
static char *string_at(const struct image *im, uint64_t base, uint64_t size, uint64_t off) {
        const char *s;
        size_t n;

        if (base > im->len || size > im->len - base || off >= size)
                return NULL;
        s = (const char *) im->buf + base + off;
        n = strnlen(s, size - off);
        if (n == size - off)
                return NULL;
        return strndup(s, n);
}

static int bad(cvm_error *err, const char *what) {
        return cvm_error_set(err, EBADMSG, "malformed ELF: %s", what);
}

static int read_dynamic(const struct image *im, const Elf64_Phdr *dyn, struct cvm_elf_info *info, cvm_error *err) {
        uint64_t strtab = 0, strsz = 0, stroff, rpath = UINT64_MAX, runpath = UINT64_MAX, soname = UINT64_MAX;
        uint64_t needed[MAX_NEEDED];
        size_t n_needed = 0, n;
        bool have_strtab = false;

        if (dyn->p_offset > im->len || dyn->p_filesz > im->len - dyn->p_offset)
                return bad(err, "PT_DYNAMIC lies outside the file");
        n = dyn->p_filesz / sizeof(Elf64_Dyn);
        for (size_t i = 0; i < n; i++) {
                Elf64_Dyn d;
                memcpy(&d, im->buf + dyn->p_offset + i * sizeof(d), sizeof(d));
                if (d.d_tag == DT_NULL)
                        break;
                switch (d.d_tag) {
                case DT_NEEDED:
                        if (n_needed == MAX_NEEDED)
                                return bad(err, "more than 1024 DT_NEEDED entries");
                        needed[n_needed++] = d.d_un.d_val;
                        break;
                case DT_STRTAB:
                        strtab = d.d_un.d_ptr;
                        have_strtab = true;
                        break;
                case DT_STRSZ:
                        strsz = d.d_un.d_val;
                        break;
                case DT_RPATH:
                        rpath = d.d_un.d_val;
                        break;
                case DT_RUNPATH:
                        runpath = d.d_un.d_val;
                        break;
                case DT_SONAME:
                        soname = d.d_un.d_val;
                        break;
                default:
                        break;
                }
        }
        if (n_needed == 0 && rpath == UINT64_MAX && runpath == UINT64_MAX && soname == UINT64_MAX)
                return 0;
        if (!have_strtab || vaddr_to_offset(im, strtab, &stroff) < 0)
                return bad(err, "DT_STRTAB is missing or not mapped from the file");
        info->needed = calloc(n_needed ? n_needed : 1, sizeof(char *));
        if (!info->needed)
                return cvm_error_set(err, ENOMEM, "out of memory");
        for (size_t i = 0; i < n_needed; i++) {
                info->needed[i] = string_at(im, stroff, strsz, needed[i]);
                if (!info->needed[i])
                        return bad(err, "a DT_NEEDED name lies outside the string table");
                info->n_needed++;
        }
        if (rpath != UINT64_MAX && !(info->rpath = string_at(im, stroff, strsz, rpath)))
                return bad(err, "DT_RPATH lies outside the string table");
        if (runpath != UINT64_MAX && !(info->runpath = string_at(im, stroff, strsz, runpath)))
                return bad(err, "DT_RUNPATH lies outside the string table");
        if (soname != UINT64_MAX && !(info->soname = string_at(im, stroff, strsz, soname)))
                return bad(err, "DT_SONAME lies outside the string table");
        return 0;
}

int cvm_elf_parse(const uint8_t *buf, size_t len, struct cvm_elf_info *ret, cvm_error *err) {
        struct cvm_elf_info info = { 0 };
        struct image im = { .buf = buf, .len = len };
        bool have_dynamic = false;
        Elf64_Ehdr eh;
        int r = 0;

        if (len < sizeof(eh) || memcmp(buf, ELFMAG, SELFMAG) != 0)
                return cvm_error_set(err, ENOEXEC, "not an ELF file");
        memcpy(&eh, buf, sizeof(eh));
        if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB)
                return cvm_error_set(err, ENOEXEC, "only 64-bit little-endian ELF is supported");
        if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phoff > len ||
            (uint64_t) eh.e_phnum * sizeof(Elf64_Phdr) > len - eh.e_phoff)
                return bad(err, "program headers lie outside the file");
        im.ph = (const Elf64_Phdr *) (buf + eh.e_phoff);
        im.phnum = eh.e_phnum;
        info.machine = eh.e_machine;
        info.type = eh.e_type;
        for (size_t i = 0; i < im.phnum && r == 0; i++) {
                Elf64_Phdr p;
                phdr(&im, i, &p);
                if (p.p_type == PT_INTERP && !info.interp) {
                        info.interp = string_at(&im, p.p_offset, p.p_filesz, 0);
                        if (!info.interp)
                                r = bad(err, "PT_INTERP is not a string inside the file");
                } else if (p.p_type == PT_DYNAMIC && !have_dynamic) {
                        have_dynamic = true;
                        r = read_dynamic(&im, &p, &info, err);
                }
        }
        if (r < 0) {
                cvm_elf_info_clear(&info);
                return r;
        }
        *ret = info;
        return 0;
}

void cvm_elf_info_clear(struct cvm_elf_info *info) {
        for (size_t i = 0; i < info->n_needed; i++)
                free(info->needed[i]);
        free(info->needed);
        free(info->interp);
        free(info->soname);
        free(info->rpath);
        free(info->runpath);
        *info = (struct cvm_elf_info) { 0 };
}
