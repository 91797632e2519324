/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer harness: /proc/PID/cgroup text to a cgroup path and its container identity (cvm-evidenced). */
#include <stdint.h>
#include <string.h>

#include "../../measurer/evidenced/cgroup.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char path[CGROUP_PATH_MAX];
        struct container_identity id;

        if (cgroup_path_parse((const char *) data, size, path) == 0) {
                cgroup_container(path, &id);
                if (id.runtime && strlen(id.id) != CONTAINER_ID_MAX)
                        __builtin_trap();
        }
        return 0;
}
