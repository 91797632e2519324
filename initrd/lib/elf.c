/* SPDX-License-Identifier: Apache-2.0 */
/* The dynamic-linking facts of an ELF64 object, read from its program headers as ld.so does. */

#include <elf.h>
#include <errno.h>
#include <string.h>

#include "initrd_internal.h"
#include "cvminitrd/bundle.h"

#define MAX_NEEDED 1024
#define MAX_VERSIONS 4096

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

/* Where a version table's entry at off (of size bytes) lies, if it lies inside the file. */
static bool entry_inside(const struct image *im, uint64_t off, size_t size) {
        return off <= im->len && size <= im->len - off;
}

static int add_verneed(struct cvm_elf_info *info, const char *file, char *version, cvm_error *err) {
        struct cvm_elf_verneed *v;
        char *f = strdup(file);

        if (!f || !(v = realloc(info->verneed, (info->n_verneed + 1) * sizeof(*v)))) {
                free(f);
                free(version);
                return cvm_error_set(err, ENOMEM, "out of memory");
        }
        info->verneed = v;
        v[info->n_verneed++] = (struct cvm_elf_verneed) { .file = f, .version = version };
        return 0;
}

/* DT_VERNEED: num Elf64_Verneed records chained by vn_next, each with vn_cnt Elf64_Vernaux chained by vna_next. */
static int read_verneed(const struct image *im, uint64_t off, uint64_t num, uint64_t stroff, uint64_t strsz,
                        struct cvm_elf_info *info, cvm_error *err) {
        int r;

        if (num > MAX_NEEDED)
                return bad(err, "more than 1024 DT_VERNEED entries");
        for (uint64_t i = 0; i < num; i++) {
                _cleanup_free_ char *file = NULL;
                Elf64_Verneed vn;
                uint64_t aux;

                if (!entry_inside(im, off, sizeof(vn)))
                        return bad(err, "a version-needed entry lies outside the file");
                memcpy(&vn, im->buf + off, sizeof(vn));
                if (vn.vn_version != VER_NEED_CURRENT)
                        return bad(err, "a version-needed entry of an unknown revision");
                if (!(file = string_at(im, stroff, strsz, vn.vn_file)))
                        return bad(err, "a version-needed file name lies outside the string table");
                aux = off + vn.vn_aux;
                for (uint16_t j = 0; j < vn.vn_cnt; j++) {
                        Elf64_Vernaux vna;
                        char *version;

                        if (info->n_verneed == MAX_VERSIONS)
                                return bad(err, "more than 4096 needed symbol versions");
                        if (!entry_inside(im, aux, sizeof(vna)))
                                return bad(err, "a needed version lies outside the file");
                        memcpy(&vna, im->buf + aux, sizeof(vna));
                        if (!(version = string_at(im, stroff, strsz, vna.vna_name)))
                                return bad(err, "a needed version's name lies outside the string table");
                        if ((r = add_verneed(info, file, version, err)) < 0)
                                return r;
                        if (j + 1 < vn.vn_cnt && vna.vna_next == 0)
                                return bad(err, "a needed version's chain ends early");
                        aux += vna.vna_next;
                }
                if (i + 1 < num && vn.vn_next == 0)
                        return bad(err, "the version-needed chain ends early");
                off += vn.vn_next;
        }
        return 0;
}

/* DT_VERDEF: num Elf64_Verdef records chained by vd_next; a version's name is its first Elf64_Verdaux. */
static int read_verdef(const struct image *im, uint64_t off, uint64_t num, uint64_t stroff, uint64_t strsz,
                       struct cvm_elf_info *info, cvm_error *err) {
        if (num > MAX_VERSIONS)
                return bad(err, "more than 4096 DT_VERDEF entries");
        if (!(info->verdef = calloc(num ? num : 1, sizeof(char *))))
                return cvm_error_set(err, ENOMEM, "out of memory");
        for (uint64_t i = 0; i < num; i++) {
                Elf64_Verdef vd;
                Elf64_Verdaux vda;

                if (!entry_inside(im, off, sizeof(vd)))
                        return bad(err, "a version definition lies outside the file");
                memcpy(&vd, im->buf + off, sizeof(vd));
                if (vd.vd_version != VER_DEF_CURRENT)
                        return bad(err, "a version definition of an unknown revision");
                if (vd.vd_cnt == 0 || !entry_inside(im, off + vd.vd_aux, sizeof(vda)))
                        return bad(err, "a version definition without a name inside the file");
                memcpy(&vda, im->buf + off + vd.vd_aux, sizeof(vda));
                if (!(vd.vd_flags & VER_FLG_BASE)) {
                        if (!(info->verdef[info->n_verdef] = string_at(im, stroff, strsz, vda.vda_name)))
                                return bad(err, "a defined version's name lies outside the string table");
                        info->n_verdef++;
                }
                if (i + 1 < num && vd.vd_next == 0)
                        return bad(err, "the version-definition chain ends early");
                off += vd.vd_next;
        }
        return 0;
}

static int read_dynamic(const struct image *im, const Elf64_Phdr *dyn, struct cvm_elf_info *info, cvm_error *err) {
        uint64_t strtab = 0, strsz = 0, stroff, rpath = UINT64_MAX, runpath = UINT64_MAX, soname = UINT64_MAX;
        uint64_t verneed = 0, verneednum = 0, verdef = 0, verdefnum = 0, off;
        uint64_t needed[MAX_NEEDED];
        size_t n_needed = 0, n;
        bool have_strtab = false;
        int r;

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
                case DT_VERNEED:
                        verneed = d.d_un.d_ptr;
                        break;
                case DT_VERNEEDNUM:
                        verneednum = d.d_un.d_val;
                        break;
                case DT_VERDEF:
                        verdef = d.d_un.d_ptr;
                        break;
                case DT_VERDEFNUM:
                        verdefnum = d.d_un.d_val;
                        break;
                default:
                        break;
                }
        }
        if (n_needed == 0 && rpath == UINT64_MAX && runpath == UINT64_MAX && soname == UINT64_MAX && verneednum == 0 &&
            verdefnum == 0)
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
        if (verneednum > 0) {
                if (vaddr_to_offset(im, verneed, &off) < 0)
                        return bad(err, "DT_VERNEED is not mapped from the file");
                if ((r = read_verneed(im, off, verneednum, stroff, strsz, info, err)) < 0)
                        return r;
        }
        if (verdefnum > 0) {
                if (vaddr_to_offset(im, verdef, &off) < 0)
                        return bad(err, "DT_VERDEF is not mapped from the file");
                if ((r = read_verdef(im, off, verdefnum, stroff, strsz, info, err)) < 0)
                        return r;
        }
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
        for (size_t i = 0; i < info->n_verneed; i++) {
                free(info->verneed[i].file);
                free(info->verneed[i].version);
        }
        free(info->verneed);
        for (size_t i = 0; i < info->n_verdef; i++)
                free(info->verdef[i]);
        free(info->verdef);
        free(info->interp);
        free(info->soname);
        free(info->rpath);
        free(info->runpath);
        *info = (struct cvm_elf_info) { 0 };
}
