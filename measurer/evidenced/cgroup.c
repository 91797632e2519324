/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Map a cgroup path to a container ID (see cgroup.h).  The layouts:
 *   containerd, systemd driver: .../kubepods-<qos>-pod<uid_with_underscores>.slice/cri-containerd-<id>.scope
 *   containerd, cgroupfs driver: /kubepods/<qos>/pod<uid>/<id>
 *   CRI-O:                       .../crio-<id>.scope or .../pod<uid>/crio-<id> (crio-conmon-<id> is its monitor, not the container)
 *   Docker:                      /system.slice/docker-<id>.scope or /docker/<id>
 * No library parses these (each runtime builds them inline), hence this file.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cgroup.h"

/* Copy line [p, end) 's path field if it has the hierarchy:controllers:path shape. */
static int line_path(const char *p, const char *end, char path[CGROUP_PATH_MAX], bool *unified) {
        const char *c1 = memchr(p, ':', (size_t) (end - p));
        const char *c2 = c1 ? memchr(c1 + 1, ':', (size_t) (end - c1 - 1)) : NULL;
        size_t n;

        if (!c1 || !c2 || c1 == p || c2 + 1 >= end || c2[1] != '/')
                return -EINVAL;
        n = (size_t) (end - c2 - 1);
        if (n >= CGROUP_PATH_MAX)
                return -ENAMETOOLONG;
        memcpy(path, c2 + 1, n);
        path[n] = '\0';
        if (memchr(path, '\0', n))
                return -EINVAL;
        *unified = c1 - p == 1 && *p == '0' && c2 == c1 + 1;
        return 0;
}

int cgroup_path_parse(const char *text, size_t len, char path[CGROUP_PATH_MAX]) {
        const char *p = text, *end = text + len;
        char cand[CGROUP_PATH_MAX];
        bool found = false, unified;
        int r = -EINVAL;

        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t) (end - p));
                const char *le = nl ? nl : end;
                int lr = line_path(p, le, cand, &unified);
                if (lr == -ENAMETOOLONG)
                        r = lr;
                else if (lr == 0 && (unified || !found)) {
                        memcpy(path, cand, strlen(cand) + 1);
                        found = true;
                        if (unified)
                                return 0;
                }
                p = le + 1;
        }
        return found ? 0 : r;
}

static bool is_hex_id(const char *s, size_t n) {
        if (n != CONTAINER_ID_MAX)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!strchr("0123456789abcdef", s[i]) || !s[i])
                        return false;
        return true;
}

/* Component [s, s+n) names a container: the runtime's prefix, 64 hex digits, an optional ".scope". */
static const char *match_component(const char *s, size_t n, const char *parent, const char **id) {
        static const struct { const char *prefix, *runtime; } prefixes[] = {
                { "cri-containerd-", "containerd" }, { "crio-", "cri-o" }, { "docker-", "docker" },
        };

        if (n > 6 && memcmp(s + n - 6, ".scope", 6) == 0)
                n -= 6;
        for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
                size_t pl = strlen(prefixes[i].prefix);
                if (n > pl && memcmp(s, prefixes[i].prefix, pl) == 0 && is_hex_id(s + pl, n - pl)) {
                        *id = s + pl;
                        return prefixes[i].runtime;
                }
        }
        if (is_hex_id(s, n) && parent) {
                *id = s;
                return strcmp(parent, "docker") == 0 ? "docker" : "containerd";
        }
        return NULL;
}

/* The pod UID of a "pod<uid>" or "kubepods-<qos>-pod<uid>.slice" component, underscores as dashes. */
static void match_pod(const char *s, size_t n, char pod[POD_UID_MAX + 1]) {
        const char *p = n >= 3 && memcmp(s, "pod", 3) == 0 ? s : memmem(s, n, "-pod", 4);
        size_t m;

        if (!p)
                return;
        p += *p == '-' ? 4 : 3;
        m = (size_t) (s + n - p);
        if (m > 6 && memcmp(p + m - 6, ".slice", 6) == 0)
                m -= 6;
        if (m != POD_UID_MAX)
                return;
        for (size_t i = 0; i < m; i++) {
                char c = p[i] == '_' ? '-' : p[i];
                if (!strchr("0123456789abcdef-", c) || !c)
                        return;
                pod[i] = c;
        }
        pod[m] = '\0';
}

void cgroup_container(const char *path, struct container_identity *id) {
        const char *p = path, *kube = NULL;
        char parent[16] = "";

        *id = (struct container_identity) { 0 };
        while (*p) {
                const char *e, *cid;
                const char *rt;
                size_t n;

                while (*p == '/')
                        p++;
                e = strchrnul(p, '/');
                n = (size_t) (e - p);
                if (n >= 8 && memcmp(p, "kubepods", 8) == 0)
                        kube = p;
                match_pod(p, n, id->pod);
                rt = match_component(p, n, kube || strcmp(parent, "docker") == 0 ? parent : NULL, &cid);
                if (rt) {
                        id->runtime = rt;
                        memcpy(id->id, cid, CONTAINER_ID_MAX);
                        id->id[CONTAINER_ID_MAX] = '\0';
                }
                snprintf(parent, sizeof(parent), "%.*s", (int) (n < sizeof(parent) ? n : sizeof(parent) - 1), p);
                p = e;
        }
}
