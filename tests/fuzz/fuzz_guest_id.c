/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer harness: the lean inspection's parsers (rewriter/guest_id.c)
 * over one guest text, read as os-release, a version, fstab and fstab specs,
 * and as an ELF header.  Invariants: fields are never longer than their
 * line, a local entry's mountpoint is absolute without "..", a partition
 * number is positive or -1, a version's numbers fit 6 digits.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../rewriter/guest_id.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fstab(const char *text, size_t size) {
        struct fstab_entry *e;
        size_t n;

        if (guest_fstab(text, &e, &n) < 0)
                return;
        for (size_t i = 0; i < n; i++) {
                const char *v = NULL;
                if (strlen(e[i].spec) > size || strlen(e[i].mountpoint) > size || strlen(e[i].type) > size)
                        abort();
                if (guest_fstab_local(&e[i]) && (e[i].mountpoint[0] != '/' || strstr(e[i].mountpoint, "/..")))
                        abort();
                if (guest_spec_key(e[i].spec, &v) && (!v || !*v || v < e[i].spec || v > e[i].spec + strlen(e[i].spec)))
                        abort();
                if (guest_spec_first_disk_partition(e[i].spec) == 0 || guest_spec_first_disk_partition(e[i].spec) < -1)
                        abort();
        }
        guest_fstab_free(e, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *text = malloc(size + 1), *id, *ver;
        int ma, mi;

        if (!text)
                return 0;
        memcpy(text, data, size);
        text[size] = '\0';
        if (guest_os_release(text, &id, &ver) == 0) {
                guest_distro(id);
                if (guest_version(ver, &ma, &mi) == 0 && (ma < 0 || ma > 999999 || mi < 0 || mi > 999999))
                        abort();
                free(id);
                free(ver);
        }
        if (guest_version(text, &ma, &mi) == 0 && (ma < 0 || ma > 999999 || mi < 0 || mi > 999999))
                abort();
        fstab(text, size);
        guest_elf_arch(data, size);
        free(text);
        return 0;
}
