/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer harness: the rewriter's recipe and plugin loaders (YAML, typed
 * parameters, substitution, step validation).  The first byte picks which
 * file the rest is: a plugin.yaml, or a recipe resolved against plugins/.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../../rewriter/rewrite.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64];

static int write_file(const char *path, const uint8_t *data, size_t size) {
        FILE *f = fopen(path, "wb");
        if (!f)
                return -1;
        fwrite(data, 1, size, f);
        return fclose(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char path[128];
        cvm_error err;

        if (!dir[0]) {
                snprintf(dir, sizeof(dir), "/tmp/fuzz-recipe-XXXXXX");
                if (!mkdtemp(dir))
                        abort();
                snprintf(path, sizeof(path), "%s/10-fuzzed", dir);
                mkdir(path, 0755);
        }
        if (size < 1)
                return 0;
        if (data[0] & 1) {
                struct plugin p;
                snprintf(path, sizeof(path), "%s/10-fuzzed/plugin.yaml", dir);
                if (write_file(path, data + 1, size - 1) < 0)
                        return 0;
                snprintf(path, sizeof(path), "%s/10-fuzzed", dir);
                plugin_load(path, &p, &err);
                plugin_clear(&p);
        } else {
                char *dirs[] = { dir, "plugins" }, *sets[] = { "greeting=x", "hello.greeting=y" };
                struct recipe *r = NULL;
                snprintf(path, sizeof(path), "%s/recipe.yaml", dir);
                if (write_file(path, data + 1, size - 1) < 0)
                        return 0;
                if (recipe_load(path, dirs, 2, sets, (size_t) (data[0] >> 1) % 3, &r, &err) == 0)
                        recipe_free(r);
        }
        return 0;
}
