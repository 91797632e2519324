/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer harness: the rewriter's recipe and plugin loaders together (YAML,
 * typed parameters, substitution, step validation, the host-source rule and
 * the plugin folder walk).  The first byte picks what the rest is:
 *   odd:  a plugin.yaml, loaded alone;
 *   even: RECIPE [\0 PLUGIN_YAML [\0 NAME \0 CONTENT]...]: a recipe resolved
 *         against a fuzzed plugin tree (plugins/10-fuzzed: its plugin.yaml and
 *         files/NAME holding CONTENT; a NAME "@LINK" is a symlink files/LINK
 *         to CONTENT) and the shipped plugins/, then made into the plan's JSON.
 * Names are kept inside the tree (no "..", no absolute name, never through a
 * symlink), so the harness writes only under its temporary folder.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../rewriter/manifest.h"
#include "../../rewriter/rewrite.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64];

static int write_file(const char *path, const uint8_t *data, size_t size) {
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
        ssize_t n = 0;
        if (fd < 0)
                return -1;
        if (size)
                n = write(fd, data, size);
        close(fd);
        return n == (ssize_t) size ? 0 : -1;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        (void) st;
        (void) flag;
        (void) ftw;
        return remove(path) < 0 && errno != ENOENT ? -1 : 0;
}

/* A fuzzed entry name: relative, no "." or ".." component, no empty one, at most 3 deep. */
static bool name_ok(const char *n, size_t len) {
        size_t depth = 0;
        if (len == 0 || len > 100 || n[0] == '/' || memchr(n, '\0', len))
                return false;
        for (const char *p = n, *end = n + len; p < end; depth++) {
                const char *slash = memchr(p, '/', (size_t) (end - p));
                size_t l = slash ? (size_t) (slash - p) : (size_t) (end - p);
                if (l == 0 || (l == 1 && p[0] == '.') || (l == 2 && p[0] == '.' && p[1] == '.'))
                        return false;
                p += l + 1;
        }
        return depth <= 3;
}

/* files/NAME (parents made as real folders; nothing is written through a link). */
static void add_entry(const char *files, const char *name, size_t nlen, const uint8_t *content, size_t clen) {
        bool link = nlen > 1 && name[0] == '@';
        char path[512], rel[128];
        struct stat st;

        if (link) {
                name++;
                nlen--;
        }
        if (!name_ok(name, nlen))
                return;
        memcpy(rel, name, nlen);
        rel[nlen] = '\0';
        for (char *s = strchr(rel, '/'); s; s = strchr(s + 1, '/')) {
                *s = '\0';
                snprintf(path, sizeof(path), "%s/%s", files, rel);
                *s = '/';
                if (lstat(path, &st) == 0 ? !S_ISDIR(st.st_mode) : mkdir(path, 0755) < 0)
                        return;
        }
        snprintf(path, sizeof(path), "%s/%s", files, rel);
        if (lstat(path, &st) == 0)
                return;
        if (link) {
                char target[256];
                if (clen >= sizeof(target) || memchr(content, '\0', clen))
                        return;
                memcpy(target, content, clen);
                target[clen] = '\0';
                (void) symlink(target, path);
        } else {
                (void) write_file(path, content, clen);
        }
}

/* The plugin tree from the fields after the recipe. */
static void make_tree(const uint8_t *p, const uint8_t *end) {
        char path[128];
        const uint8_t *z;

        snprintf(path, sizeof(path), "%s/plugins/10-fuzzed", dir);
        nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
        mkdir(path, 0755);
        snprintf(path, sizeof(path), "%s/plugins/10-fuzzed/files", dir);
        mkdir(path, 0755);
        if (p >= end)
                return;
        z = memchr(p, '\0', (size_t) (end - p));
        snprintf(path, sizeof(path), "%s/plugins/10-fuzzed/plugin.yaml", dir);
        write_file(path, p, (size_t) ((z ? z : end) - p));
        snprintf(path, sizeof(path), "%s/plugins/10-fuzzed/files", dir);
        while (z && z + 1 < end) {
                const uint8_t *name = z + 1, *nz = memchr(name, '\0', (size_t) (end - name)), *content, *cz;
                if (!nz)
                        break;
                content = nz + 1;
                cz = memchr(content, '\0', (size_t) (end - content));
                add_entry(path, (const char *) name, (size_t) (nz - name), content, (size_t) ((cz ? cz : end) - content));
                z = cz;
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char path[128];
        cvm_error err;

        if (!dir[0]) {
                snprintf(dir, sizeof(dir), "/tmp/fuzz-recipe-XXXXXX");
                if (!mkdtemp(dir))
                        abort();
                snprintf(path, sizeof(path), "%s/plugins", dir);
                mkdir(path, 0755);
        }
        if (size < 1)
                return 0;
        if (data[0] & 1) {
                struct plugin p;
                make_tree(data + size, data + size);
                snprintf(path, sizeof(path), "%s/plugins/10-fuzzed/plugin.yaml", dir);
                if (write_file(path, data + 1, size - 1) < 0)
                        return 0;
                snprintf(path, sizeof(path), "%s/plugins/10-fuzzed", dir);
                plugin_load(path, &p, &err);
                plugin_clear(&p);
        } else {
                char plugins[128], *dirs[] = { plugins, "plugins" }, *sets[] = { "greeting=x", "hello.greeting=y" };
                const uint8_t *z = memchr(data + 1, '\0', size - 1);
                struct recipe *r = NULL;
                snprintf(plugins, sizeof(plugins), "%s/plugins", dir);
                make_tree(z ? z + 1 : data + size, data + size);
                snprintf(path, sizeof(path), "%s/recipe.yaml", dir);
                if (write_file(path, data + 1, (size_t) ((z ? z : data + size) - (data + 1))) < 0)
                        return 0;
                if (recipe_load(path, dirs, 2, sets, (size_t) (data[0] >> 1) % 3, &r, &err) == 0) {
                        json_object_put(plan_to_json(r));
                        recipe_free(r);
                }
        }
        return 0;
}
