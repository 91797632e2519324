/* SPDX-License-Identifier: Apache-2.0 */
/* cvm-evidenced: options, the device opened once, the sockets, then the event loop (server.c). */
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "evidenced.h"
#include "../cli/backend.h"

enum { EXIT_OK = 0, EXIT_USAGE = 1, EXIT_FAIL = 2, EXIT_NO_DEVICE = 4 };

static const struct opt_exit exits[] = {
        { EXIT_OK, "ok", "stopped by SIGTERM or SIGINT" },
        { EXIT_USAGE, "usage", "bad command line" },
        { EXIT_FAIL, "failure", "no socket, or the event loop failed" },
        { EXIT_NO_DEVICE, "no device", "no CC device to serve" },
        {},
};

static const struct opt_tool tool = {
        .name = "cvm-evidenced",
        .version = "cvm-evidenced " CVM_VERSION " (libcvm " CVM_VERSION ")",
        .exits = exits,
};

struct options {
        struct cvm_imr_options imr;
        const char *listen, *runtime_log, *group, *extend_group;
        struct evd_limits lim;
};

/* The range of each numeric limit, by its option's name. */
static const struct limit_range {
        const char *name;
        uint64_t min, max;
} limit_ranges[] = {
        { "max-message", 64, 1 << 28 },   { "max-outstanding", 1, 1 << 16 }, { "idle-timeout", 1, 86400 },
        { "max-connections", 1, 1 << 20 }, { "max-events", 1, 1 << 24 },
};

static int parse_limit(const struct opt *o, const char *arg, uint64_t *ret) {
        const struct limit_range *l = limit_ranges;

        while (strcmp(l->name, o->name) != 0)
                l++;
        if (cvm_parse_uint(arg, SIZE_MAX, 10, l->max, ret) < 0 || *ret < l->min) {
                log_error("--%s: expected a number from %llu to %llu, got '%s'", o->name, (unsigned long long) l->min,
                          (unsigned long long) l->max, arg);
                return -1;
        }
        return 0;
}

static int opt_limit_size(const struct opt *o, const char *arg, void *field) {
        uint64_t v;

        if (parse_limit(o, arg, &v) < 0)
                return -1;
        *(size_t *) field = (size_t) v;
        return 0;
}

static int opt_limit_unsigned(const struct opt *o, const char *arg, void *field) {
        uint64_t v;

        if (parse_limit(o, arg, &v) < 0)
                return -1;
        *(unsigned *) field = (unsigned) v;
        return 0;
}

#define LIMIT(n, field, fn, a, h) OPT_FN(0, n, struct options, lim.field, a, fn, h)

static const struct opt options[] = {
        OPT_STR(0, "listen", struct options, listen, "PATH", "listen on this Unix socket (without socket activation)"),
        OPT_SUB(struct options, imr, backend_options),
        OPT_STR('l', "log", struct options, runtime_log, "FILE", "runtime log (default " CVM_RUNTIME_LOG ")"),
        OPT_STR(0, "group", struct options, group, "G", "group (name or id) whose members may read (default cvm-evidence)"),
        OPT_STR(0, "extend-group", struct options, extend_group, "G", "group whose members may also Extend (default: root only)"),
        LIMIT("max-message", max_message, opt_limit_size, "BYTES", "largest request (default 1048576)"),
        LIMIT("max-outstanding", max_outstanding, opt_limit_unsigned, "N",
              "unanswered requests per connection before it is not read (default 16)"),
        LIMIT("idle-timeout", idle_timeout, opt_limit_unsigned, "SECONDS",
              "close a connection without a whole request for this long (default 60)"),
        LIMIT("max-connections", max_connections, opt_limit_unsigned, "N", "connections at once (default 4096, lowered to fit the fd limit)"),
        LIMIT("max-events", max_events, opt_limit_size, "N", "events per GetEventLog reply (default 100000)"),
        OPT_END,
};

static const struct opt_command command = {
        .tool = &tool,
        .usage = "[OPTIONS]",
        .about = "Serve this VM's evidence (registers, event logs, quotes) over varlink, interface\n"
                 EVD_INTERFACE ", on the socket systemd passes (cvm-evidence.socket) or --listen.",
        .options = options,
        .notes = "--sysroot also prefixes the logs.",
};

/* A group by name or id: 1 with *ret set, 0 if there is none (after a warning: only root is then allowed). */
static int parse_group(const char *opt, const char *arg, gid_t *ret) {
        struct group *g;
        uint64_t v;

        if (cvm_parse_uint(arg, SIZE_MAX, 10, UINT32_MAX - 1, &v) == 0) {
                *ret = (gid_t) v;
                return 1;
        }
        errno = 0;
        g = getgrnam(arg);
        if (!g) {
                log_warning("%s %s: no such group%s", opt, arg, errno ? "" : " (only root will be allowed)");
                return 0;
        }
        *ret = g->gr_gid;
        return 1;
}

/* The sim backend's state file, as imr_sim.c resolves it (for the register cache's watch). */
static const char *sim_state_path(const struct cvm_imr_options *o) {
        const char *env = getenv("CVM_SIM_STATE");

        if (o->sim_state && *o->sim_state)
                return o->sim_state;
        return env && *env ? env : "/run/cvm/sim-registers";
}

/* 0 to run, OPT_DONE after --help or --version, -1 on a usage error (printed). */
static int parse_args(int argc, char **argv, struct options *o) {
        int ind, r = opt_parse(&command, argc, argv, o, &ind);

        if (r != 0)
                return r;
        if (ind != argc) {
                log_error("unexpected argument '%s'", argv[ind]);
                return -1;
        }
        return 0;
}

/* fds besides connections: listening sockets, signalfd, epoll, inotify, the device, logs, /proc reads. */
#define EVD_FD_RESERVE 64

/*
 * Each connection is an fd.  Raise the soft fd limit (1024 by default, also
 * under systemd) to what --max-connections needs, up to the hard limit; if
 * the hard limit is lower, lower --max-connections, so a crowd of clients
 * meets TooManyConnections rather than an accept() that fails with EMFILE
 * on every wakeup.
 */
static void fit_fd_limit(struct evd_limits *lim) {
        rlim_t want = (rlim_t) lim->max_connections + EVD_FD_RESERVE;
        struct rlimit rl;

        if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
                return;
        if (rl.rlim_cur < want) {
                struct rlimit raised = { rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= want ? want : rl.rlim_max, rl.rlim_max };
                if (setrlimit(RLIMIT_NOFILE, &raised) == 0)
                        rl = raised;
        }
        if (rl.rlim_cur >= want)
                return;
        lim->max_connections = rl.rlim_cur > 2 * EVD_FD_RESERVE ? (unsigned) (rl.rlim_cur - EVD_FD_RESERVE) : EVD_FD_RESERVE;
        log_warning("the fd limit is %llu: serving at most %u connections (--max-connections asked for more)",
                (unsigned long long) rl.rlim_cur, lim->max_connections);
}

static void cleanup(struct evd *d) {
        for (size_t i = 0; i < d->nlisten; i++)
                close(d->listen_fds[i]);
        if (d->owns_socket)
                unlink(d->listen_path);
        evd_platform_log_drop(d);
        evd_regcache_close(&d->regs);
        if (d->tok)
                json_tokener_free(d->tok);
        cvm_imr_close(d->imr);
}

int main(int argc, char **argv) {
        struct options o = { .group = "cvm-evidence", .lim = { 1 << 20, 16, 60, 4096, 100000 } };
        struct evd d = { .epfd = -1, .regs.ifd = -1 };
        cvm_error err = { 0 };
        int r;

        log_set_program_name(tool.name);
        if ((r = parse_args(argc, argv, &o)) != 0)
                return r > 0 ? EXIT_OK : EXIT_USAGE;
        fit_fd_limit(&o.lim);
        d.lim = o.lim;
        d.runtime_log = o.runtime_log;
        d.sysroot = o.imr.sysroot;
        d.have_read_gid = parse_group("--group", o.group, &d.read_gid);
        d.have_extend_gid = o.extend_group && parse_group("--extend-group", o.extend_group, &d.extend_gid);
        if (cvm_imr_open(&o.imr, &d.imr, &err) < 0) {
                log_error("%s", err.msg);
                return err.code == ENODEV || err.code == ENOENT ? EXIT_NO_DEVICE : EXIT_FAIL;
        }
        evd_regcache_init(&d.regs, cvm_imr_backend(d.imr) == CVM_BACKEND_SIM ? sim_state_path(&o.imr) : NULL);
        if (evd_listen(&d, o.listen) < 0) {
                cleanup(&d);
                return EXIT_FAIL;
        }
        log_info("%sserving %s on %s (backend %s, %u registers), reads: root%s%s, Extend: root%s%s",
                cvm_imr_simulated(d.imr) ? "SIMULATED device: " : "", EVD_INTERFACE, o.listen ? o.listen : "systemd's socket",
                cvm_backend_name(cvm_imr_backend(d.imr)), cvm_imr_count(d.imr), d.have_read_gid ? " and group " : "",
                d.have_read_gid ? o.group : "", d.have_extend_gid ? " and group " : "", d.have_extend_gid ? o.extend_group : "");
        r = evd_serve(&d);
        cleanup(&d);
        return r < 0 ? EXIT_FAIL : EXIT_OK;
}
