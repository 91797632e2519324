/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer harness: the initramfs segment walker and the libarchive entry reader behind it. */
#include <stdint.h>
#include <string.h>

#include "cvminitrd/initrd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int touch(const struct cvm_initrd_entry *e, void *userdata) {
        size_t *n = userdata;
        *n += strlen(e->path) + (e->link ? strlen(e->link) : 0) + (e->hardlink ? strlen(e->hardlink) : 0);
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        cvm_initrd *rd;
        size_t n = 0;

        if (cvm_initrd_open_buffer(data, size, "fuzz", &rd, NULL) < 0)
                return 0;
        /* Every segment the walker found must lie inside the buffer. */
        for (size_t i = 0; i < cvm_initrd_segment_count(rd); i++) {
                const struct cvm_initrd_segment *s = cvm_initrd_segment(rd, i);
                if (s->offset > size || s->length > size - s->offset || s->length == 0)
                        __builtin_trap();
        }
        cvm_initrd_foreach(rd, SIZE_MAX, false, touch, &n, NULL);
        cvm_initrd_close(rd);
        return 0;
}
