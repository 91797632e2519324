/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Who is calling: SO_PEERCRED (pid, uid, gid at connect time, from the
 * kernel, not the client), SO_PEERGROUPS for supplementary groups, and the
 * caller's cgroup, read once at accept.  The pid may belong to another
 * process by then (the caller exited, or passed the socket on), so the
 * container identity is informative (replies and logs), never an access
 * decision: access rests on the kernel's uid and groups alone.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "evidenced.h"

#define PEER_MAX_GROUPS 256

static bool in_group(gid_t want, gid_t primary, const gid_t *groups, size_t n) {
        if (primary == want)
                return true;
        for (size_t i = 0; i < n; i++)
                if (groups[i] == want)
                        return true;
        return false;
}

/* A peer's cgroup is best effort (it may have exited): no file, or one not parsed, leaves it "". */
static void read_cgroup(struct evd_peer *peer) {
        _cleanup_free_ uint8_t *text = NULL;
        cvm_error err = { 0 };
        char path[64];
        size_t n;

        snprintf(path, sizeof(path), "/proc/%d/cgroup", (int) peer->cred.pid);
        if (read_file(path, 16384, &text, &n, &err) < 0 || n == 0 ||
            cgroup_path_parse((const char *) text, n, peer->cgroup) < 0) {
                peer->cgroup[0] = '\0';
                return;
        }
        cgroup_container(peer->cgroup, &peer->container);
}

int evd_peer_identify(const struct evd *d, int fd, struct evd_peer *peer) {
        gid_t groups[PEER_MAX_GROUPS];
        socklen_t len = sizeof(peer->cred);
        size_t ngroups = 0;

        *peer = (struct evd_peer) { 0 };
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer->cred, &len) < 0)
                return -errno;
        len = sizeof(groups);
        if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) == 0)
                ngroups = len / sizeof(gid_t);
        peer->may_read = peer->cred.uid == 0 ||
                         (d->have_read_gid && in_group(d->read_gid, peer->cred.gid, groups, ngroups));
        peer->may_extend = peer->cred.uid == 0 ||
                           (d->have_extend_gid && in_group(d->extend_gid, peer->cred.gid, groups, ngroups));
        /* An Extend right includes reading what it extended. */
        peer->may_read = peer->may_read || peer->may_extend;
        read_cgroup(peer);
        return 0;
}

void evd_peer_describe(const struct evd_peer *peer, char *buf, size_t size) {
        snprintf(buf, size, "pid=%d uid=%u gid=%u cgroup=%s container=%s%s%s", (int) peer->cred.pid,
                 (unsigned) peer->cred.uid, (unsigned) peer->cred.gid, peer->cgroup[0] ? peer->cgroup : "-",
                 peer->container.runtime ? peer->container.runtime : "-", peer->container.runtime ? ":" : "",
                 peer->container.runtime ? peer->container.id : "");
}

struct json_object *evd_peer_json(const struct evd_peer *peer) {
        struct json_object *o = json_object_new_object();

        if (!o)
                return NULL;
        json_object_object_add(o, "pid", json_object_new_int64(peer->cred.pid));
        json_object_object_add(o, "uid", json_object_new_int64(peer->cred.uid));
        json_object_object_add(o, "gid", json_object_new_int64(peer->cred.gid));
        json_object_object_add(o, "cgroup", json_object_new_string(peer->cgroup));
        if (peer->container.runtime) {
                json_object_object_add(o, "containerRuntime", json_object_new_string(peer->container.runtime));
                json_object_object_add(o, "containerId", json_object_new_string(peer->container.id));
        }
        if (peer->container.pod[0])
                json_object_object_add(o, "podUid", json_object_new_string(peer->container.pod));
        return o;
}
