/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* cvm-evidenced: the daemon's state, shared by its event loop, peer checks and method handlers. */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/socket.h>

#include <json-c/json.h>

#include "cvm/cvm.h"
#include "cvmbase/base.h"
#include "cgroup.h"
#include "varlink.h"

#define EVD_MAX_LISTEN 8
#define EVD_INTERFACE "io.cvmkit.Evidence"

struct evd_limits {
        size_t max_message;        /* bytes of one request */
        unsigned max_outstanding;  /* requests read but not yet answered in full, per connection */
        unsigned idle_timeout;     /* seconds a connection may go without a whole request */
        unsigned max_connections;
        size_t max_events;         /* events one GetEventLog reply may carry */
};

/* Who is on the other end of a connection, learnt once when it is accepted. */
struct evd_peer {
        struct ucred cred;
        bool may_read, may_extend;
        char cgroup[CGROUP_PATH_MAX];
        struct container_identity container;
};

#define EVD_REGCACHE_MAX 32   /* registers (bits of a mask); PCRs are 24, CC MRs 5 */
#define EVD_REGCACHE_ALGS 8

/* Register values read in this wakeup, or (sim, watched) since the state file last changed: regcache.c. */
struct evd_regcache {
        int ifd;                   /* inotify watch on the sim state file; -1: one wakeup only */
        const char *path;
        uint16_t algs[EVD_REGCACHE_ALGS];
        size_t nalgs;
        uint32_t valid[EVD_REGCACHE_ALGS];
        uint8_t value[EVD_REGCACHE_ALGS][EVD_REGCACHE_MAX][CVM_DIGEST_MAX];
};

struct evd_conn {
        struct evd_conn *prev, *next;
        int fd;
        struct evd_peer peer;
        struct vl_reader in;
        char *out;                 /* replies not yet written */
        size_t out_len, out_off, out_cap;
        unsigned outstanding;
        uint64_t last_request;     /* monotonic ms of the last whole request (or accept) */
        bool closing;              /* write what is queued, then close */
        uint32_t armed;            /* the epoll events registered now */
        int read_status;           /* this wakeup's read: 0 or -errno */
};

struct evd {
        cvm_imr *imr;
        const char *sysroot;
        const char *runtime_log;
        bool have_read_gid, have_extend_gid;
        gid_t read_gid, extend_gid;
        struct evd_limits lim;
        int listen_fds[EVD_MAX_LISTEN];
        size_t nlisten;
        bool owns_socket;          /* --listen: unlink the path on exit */
        const char *listen_path;
        int epfd;
        struct evd_conn *conns;
        unsigned nconns;
        uint64_t requests;
        struct evd_regcache regs;
        json_tokener *tok;         /* reused for every request (dispatch.c) */
        /* The platform log, kept while the files under it are unchanged (see logcache.c). */
        struct cvm_platform_log *log;
        struct evd_log_stamp { dev_t dev; ino_t ino; off_t size; int64_t mtime_ns; } stamps[CVM_PLATFORM_MAX_LOGS + 1];
        bool log_volatile;
        /* Every event of that log as JSON, comma-separated, and where each starts: built on first use. */
        char *events_json;
        size_t *events_off;        /* nevents + 1 offsets */
};

/* A varlink error reply: name and its parameters (may be NULL). */
struct evd_error {
        const char *name;
        struct json_object *params;
};

/* Fill peer from the connected socket fd: credentials, groups, cgroup, container; 0 or -errno. */
int evd_peer_identify(const struct evd *d, int fd, struct evd_peer *peer);
/* "pid=N uid=N cgroup=PATH container=RUNTIME:ID" for log lines. */
void evd_peer_describe(const struct evd_peer *peer, char *buf, size_t size);
/* The peer as a JSON object (pid, uid, gid, cgroup, containerRuntime, containerId, podUid). */
struct json_object *evd_peer_json(const struct evd_peer *peer);

/* Handle one request message; returns the reply (NULL for a oneway call) to queue on the connection. */
struct json_object *evd_dispatch(struct evd *d, struct evd_conn *c, const char *msg, size_t len, bool *oneway);
/* Fill e with error name and (owned) parameters built from a printf message; returns -1 for handlers to return. */
int evd_error_set(struct evd_error *e, const char *name, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* org.varlink.service.InvalidParameter for parameter name. */
int evd_invalid_parameter(struct evd_error *e, const char *name);

/* Handlers: fill *reply (an object) or e; 0 or -1. */
typedef int (*evd_method_fn)(struct evd *d, struct evd_conn *c, struct json_object *params, struct json_object **reply,
                             struct evd_error *e);
int evd_method_get_info(struct evd *d, struct evd_conn *c, struct json_object *params, struct json_object **reply, struct evd_error *e);
int evd_method_measurement_count(struct evd *d, struct evd_conn *c, struct json_object *params, struct json_object **reply, struct evd_error *e);
int evd_method_measurement(struct evd *d, struct evd_conn *c, struct json_object *params, struct json_object **reply, struct evd_error *e);
int evd_method_event_log(struct evd *d, struct evd_conn *c, struct json_object *params, struct json_object **reply, struct evd_error *e);
int evd_method_container_event_log(struct evd *d, struct evd_conn *c, struct json_object *params, struct json_object **reply, struct evd_error *e);
int evd_method_quote(struct evd *d, struct evd_conn *c, struct json_object *params, struct json_object **reply, struct evd_error *e);
int evd_method_check(struct evd *d, struct evd_conn *c, struct json_object *params, struct json_object **reply, struct evd_error *e);
int evd_method_verify(struct evd *d, struct evd_conn *c, struct json_object *params, struct json_object **reply, struct evd_error *e);
int evd_method_extend(struct evd *d, struct evd_conn *c, struct json_object *params, struct json_object **reply, struct evd_error *e);

/* The io.cvmkit.Evidence interface description (varlink IDL). */
extern const char evd_interface_description[];

/* The platform log of this boot, reloaded if a file under it changed; NULL with e set on failure. */
const struct cvm_platform_log *evd_platform_log(struct evd *d, struct evd_error *e);
/* Events [start, start + count) of the cached log as JSON array members, comma-separated (no brackets). */
int evd_events_json(struct evd *d, size_t start, size_t count, const char **ret, size_t *len, struct evd_error *e);
/* Forget the cached log (after an Extend appended to it). */
void evd_platform_log_drop(struct evd *d);

/* Set up the register cache; sim_state names the sim backend's file (watched), NULL for other backends (or if the watch fails, said in a warning: then reads are shared within one wakeup only). */
void evd_regcache_init(struct evd_regcache *rc, const char *sim_state);
void evd_regcache_close(struct evd_regcache *rc);
/* Start answering the requests of a wakeup: drops what may be stale. */
void evd_regcache_begin(struct evd_regcache *rc);
/* Forget every value (after an Extend). */
void evd_regcache_drop(struct evd_regcache *rc);
/* cvm_imr_read through the cache. */
int evd_regcache_read(struct evd_regcache *rc, cvm_imr *imr, uint32_t index, uint16_t alg, uint8_t *out, cvm_error *err);

/* Listening sockets: systemd's (LISTEN_FDS) if passed, else --listen path; 0 or -errno (printed). */
int evd_listen(struct evd *d, const char *path);
/* Run the event loop until SIGTERM or SIGINT; 0, or -errno if the loop itself failed. */
int evd_serve(struct evd *d);

/* json_object_put for _cleanup_ (json-c has no cleanup of its own). */
static inline void evd_json_putp(struct json_object **p) {
        json_object_put(*p);
}
