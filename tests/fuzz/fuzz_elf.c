/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer harness: the ELF dynamic-section reader and the ld.so.cache lookup that bundle relies on. */
#include <stdint.h>
#include <string.h>

#include "cvminitrd/bundle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct cvm_elf_info info;
        const char *path;
        size_t n = 0;

        if (size >= 17 && memcmp(data, "glibc-ld.so.cache", 17) == 0) {
                if (cvm_ldcache_lookup(data, size, "libc.so.6", &path, NULL) == 0)
                        n = strlen(path);
                return n == SIZE_MAX;
        }
        if (cvm_elf_parse(data, size, &info, NULL) < 0)
                return 0;
        for (size_t i = 0; i < info.n_needed; i++)
                n += strlen(info.needed[i]);
        n += info.interp ? strlen(info.interp) : 0;
        n += info.runpath ? strlen(info.runpath) : 0;
        n += info.rpath ? strlen(info.rpath) : 0;
        for (size_t i = 0; i < info.n_verneed; i++)
                n += strlen(info.verneed[i].file) + strlen(info.verneed[i].version);
        for (size_t i = 0; i < info.n_verdef; i++)
                n += strlen(info.verdef[i]);
        cvm_elf_info_clear(&info);
        return n == SIZE_MAX;
}
