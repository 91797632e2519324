/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * Container identity from a process's cgroup: /proc/PID/cgroup's path mapped
 * to the container runtime's ID, for the layouts containerd and CRI-O create
 * (kubelet's systemd and cgroupfs drivers) and Docker's.  Pure functions over
 * the file's text, so they are unit-tested and fuzzed without processes.
 */

#include <stddef.h>

#define CGROUP_PATH_MAX 4096
#define CONTAINER_ID_MAX 64
#define POD_UID_MAX 36

struct container_identity {
        const char *runtime;                 /* "containerd", "cri-o", "docker"; NULL: not in a container */
        char id[CONTAINER_ID_MAX + 1];       /* 64 hex digits */
        char pod[POD_UID_MAX + 1];           /* Kubernetes pod UID, "" if the path names none */
};

/*
 * The cgroup path from /proc/PID/cgroup's text (len bytes, need not be NUL
 * terminated): the unified hierarchy's "0::" line, else the first v1 line.
 * 0, or -EINVAL if no line has the hierarchy:controllers:path shape, or -ENAMETOOLONG.
 */
int cgroup_path_parse(const char *text, size_t len, char path[CGROUP_PATH_MAX]);

/* The container a cgroup path belongs to (its deepest component naming one); id->runtime NULL if none. */
void cgroup_container(const char *path, struct container_identity *id);
