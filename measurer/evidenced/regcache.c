/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Register reads for GetMeasurement, served from a cache only where the
 * answer stays exact: a read that reaches the daemon after an Extend
 * returned (ours or another process's) sees the extended value.
 *
 * Every backend: the event loop first reads every ready connection, then
 * calls evd_regcache_begin, then answers; a register is read from the device
 * at most once in that answering phase.  Each request answered then was
 * received before the read, so the value is one the register held while
 * the request was outstanding (a linearizable read), and our own Extend
 * drops the cache at once.
 *
 * The sim backend keeps its values beyond one wakeup: its registers live
 * in a state file that every extender rewrites in place, and an inotify
 * watch on that file queues an event inside the writer's write(), before
 * its extend returns.  evd_regcache_begin drains that queue (one read(2))
 * and drops the cache on any event (a write or truncation, a replacement, a
 * lost queue; not IN_CLOSE_WRITE, which the sim backend's own reads cause,
 * as they open the file read-write to lock it);
 * without a watch, the sim backend falls back to the per-wakeup rule.
 * The TPM and TDX devices give no such signal (another process may extend
 * a PCR through /dev/tpmrm0 at any time), so they keep the per-wakeup rule.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "evidenced.h"

#define WATCH_MASK (IN_MODIFY | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF)

static void drop(struct evd_regcache *rc) {
        memset(rc->valid, 0, sizeof(rc->valid));
}

void evd_regcache_init(struct evd_regcache *rc, const char *sim_state) {
        *rc = (struct evd_regcache) { .ifd = -1, .path = sim_state };
        if (!sim_state)
                return;
        rc->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (rc->ifd < 0 || inotify_add_watch(rc->ifd, sim_state, WATCH_MASK) < 0) {
                log_warning("%s: cannot watch the simulated registers (%s): caching each read for one wakeup only",
                            sim_state, strerror(errno));
                evd_regcache_close(rc);
        }
}

void evd_regcache_close(struct evd_regcache *rc) {
        if (rc->ifd >= 0)
                close(rc->ifd);
        rc->ifd = -1;
        drop(rc);
}

void evd_regcache_drop(struct evd_regcache *rc) {
        drop(rc);
}

/* Drain the watch: true if the file may have changed since the last drain. */
static bool changed(struct evd_regcache *rc) {
        char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
        bool any = false, rewatch = false;
        ssize_t n;

        while ((n = read(rc->ifd, buf, sizeof(buf))) > 0) {
                any = true;
                for (char *p = buf; p < buf + n; p += sizeof(struct inotify_event) + ((struct inotify_event *) p)->len)
                        rewatch |= (((struct inotify_event *) p)->mask & ~(uint32_t) IN_MODIFY) != 0;
        }
        if (n < 0 && errno != EAGAIN && errno != EINTR)
                rewatch = any = true;
        /* The file was replaced, unlinked or the queue overflowed: watch whatever the path names now. */
        if (rewatch && inotify_add_watch(rc->ifd, rc->path, WATCH_MASK) < 0) {
                log_warning("%s: cannot watch the simulated registers any more (%s): caching each read for one wakeup only",
                            rc->path, strerror(errno));
                evd_regcache_close(rc);
        }
        return any;
}

void evd_regcache_begin(struct evd_regcache *rc) {
        if (rc->ifd < 0 || changed(rc))
                drop(rc);
}

static int slot_of(struct evd_regcache *rc, uint16_t alg) {
        for (size_t i = 0; i < rc->nalgs; i++)
                if (rc->algs[i] == alg)
                        return (int) i;
        if (rc->nalgs == EVD_REGCACHE_ALGS)
                return -1;
        rc->algs[rc->nalgs] = alg;
        return (int) rc->nalgs++;
}

int evd_regcache_read(struct evd_regcache *rc, cvm_imr *imr, uint32_t index, uint16_t alg, uint8_t *out, cvm_error *err) {
        int slot = index < EVD_REGCACHE_MAX ? slot_of(rc, alg) : -1, r;

        if (slot >= 0 && (rc->valid[slot] >> index) & 1) {
                memcpy(out, rc->value[slot][index], (size_t) cvm_alg_size(alg));
                return 0;
        }
        if ((r = cvm_imr_read(imr, index, alg, out, err)) < 0 || slot < 0)
                return r;
        memcpy(rc->value[slot][index], out, (size_t) cvm_alg_size(alg));
        rc->valid[slot] |= UINT32_C(1) << index;
        return 0;
}
