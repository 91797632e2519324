/* SPDX-License-Identifier: Apache-2.0 */
/* cvm-evidenced: options, the device opened once, the sockets, then the event loop (server.c). */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "evidenced.h"

enum { EXIT_OK = 0, EXIT_USAGE = 1, EXIT_FAIL = 2, EXIT_NO_DEVICE = 4 };

enum {
        OPT_BACKEND = 0x100, OPT_TCTI, OPT_SYSROOT, OPT_SIM_STATE, OPT_SIM_SPACE, OPT_GROUP, OPT_EXTEND_GROUP,
        OPT_MAX_MESSAGE, OPT_MAX_OUTSTANDING, OPT_IDLE_TIMEOUT, OPT_MAX_CONNECTIONS, OPT_MAX_EVENTS,
};

struct options {
        struct cvm_imr_options imr;
        const char *listen, *group, *extend_group;
};

static void help(FILE *f) {
        fprintf(f, "Usage: cvm-evidenced [OPTIONS]\n\n"
                   "Serve this VM's evidence (registers, event logs, quotes) over varlink, interface\n"
                   EVD_INTERFACE ", on the socket systemd passes (cvm-evidence.socket) or --listen.\n\n"
                   "  -l, --listen PATH        listen on this Unix socket (without socket activation)\n"
                   "  --backend B              tpm2, tdx or sim (default: detect TDX, then TPM 2.0)\n"
                   "  --tcti CONF              TPM TCTI (default $CVM_TCTI, $TPM2TOOLS_TCTI, device:/dev/tpmrm0)\n"
                   "  --sysroot DIR            root prefix for sysfs/dev paths and the logs (tests)\n"
                   "  --sim-state FILE         sim: register file (default $CVM_SIM_STATE, /run/cvm/sim-registers)\n"
                   "  --sim-space S            sim: pcr or cc-mr, when the file is created\n"
                   "  -L, --log FILE           runtime log (default " CVM_RUNTIME_LOG ")\n"
                   "  --group G                group (name or id) whose members may read (default cvm-evidence)\n"
                   "  --extend-group G         group whose members may also Extend (default: root only)\n"
                   "  --max-message BYTES      largest request (default 1048576)\n"
                   "  --max-outstanding N      unanswered requests per connection before it is not read (default 16)\n"
                   "  --idle-timeout SECONDS   close a connection without a whole request for this long (default 60)\n"
                   "  --max-connections N      connections at once (default 4096)\n"
                   "  --max-events N           events per GetEventLog reply (default 100000)\n"
                   "  -h, --help\n"
                   "  -V, --version\n\n"
                   "Exit codes: 0 stopped by SIGTERM/SIGINT, 1 usage, 2 failure, 4 no device.\n");
}

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
                evd_log("%s %s: no such group%s", opt, arg, errno ? "" : " (only root will be allowed)");
                return 0;
        }
        *ret = g->gr_gid;
        return 1;
}

static int parse_num(const char *opt, const char *arg, uint64_t min, uint64_t max, uint64_t *ret) {
        if (cvm_parse_uint(arg, SIZE_MAX, 10, max, ret) < 0 || *ret < min) {
                evd_log("%s: expected a number from %llu to %llu, got '%s'", opt, (unsigned long long) min,
                        (unsigned long long) max, arg);
                return -1;
        }
        return 0;
}

static int imr_option(int c, const char *arg, struct cvm_imr_options *o) {
        switch (c) {
        case OPT_BACKEND:
                if (cvm_backend_from_name(arg, &o->backend) == 0)
                        return 0;
                evd_log("--backend: unknown backend '%s' (expected auto, tpm2, tdx, sim)", arg);
                return -1;
        case OPT_TCTI:
                o->tcti = arg;
                return 0;
        case OPT_SYSROOT:
                o->sysroot = arg;
                return 0;
        case OPT_SIM_STATE:
                o->sim_state = arg;
                return 0;
        default:
                if (strcmp(arg, "pcr") == 0 || strcmp(arg, "cc-mr") == 0) {
                        o->sim_space = strcmp(arg, "pcr") == 0 ? CVM_SPACE_PCR : CVM_SPACE_CCMR;
                        return 0;
                }
                evd_log("--sim-space: expected pcr or cc-mr, got '%s'", arg);
                return -1;
        }
}

static int limit_option(int c, const char *arg, struct evd_limits *l) {
        uint64_t v;

        switch (c) {
        case OPT_MAX_MESSAGE:
                if (parse_num("--max-message", arg, 64, 1 << 28, &v) < 0)
                        return -1;
                l->max_message = (size_t) v;
                return 0;
        case OPT_MAX_OUTSTANDING:
                if (parse_num("--max-outstanding", arg, 1, 1 << 16, &v) < 0)
                        return -1;
                l->max_outstanding = (unsigned) v;
                return 0;
        case OPT_IDLE_TIMEOUT:
                if (parse_num("--idle-timeout", arg, 1, 86400, &v) < 0)
                        return -1;
                l->idle_timeout = (unsigned) v;
                return 0;
        case OPT_MAX_CONNECTIONS:
                if (parse_num("--max-connections", arg, 1, 1 << 20, &v) < 0)
                        return -1;
                l->max_connections = (unsigned) v;
                return 0;
        default:
                if (parse_num("--max-events", arg, 1, 1 << 24, &v) < 0)
                        return -1;
                l->max_events = (size_t) v;
                return 0;
        }
}

/* 0 to run, 1 done (help, version), -1 usage error. */
static int parse_args(int argc, char **argv, struct evd *d, struct options *o) {
        static const struct option options[] = {
                { "listen", required_argument, NULL, 'l' }, { "log", required_argument, NULL, 'L' },
                { "backend", required_argument, NULL, OPT_BACKEND }, { "tcti", required_argument, NULL, OPT_TCTI },
                { "sysroot", required_argument, NULL, OPT_SYSROOT }, { "sim-state", required_argument, NULL, OPT_SIM_STATE },
                { "sim-space", required_argument, NULL, OPT_SIM_SPACE }, { "group", required_argument, NULL, OPT_GROUP },
                { "extend-group", required_argument, NULL, OPT_EXTEND_GROUP },
                { "max-message", required_argument, NULL, OPT_MAX_MESSAGE },
                { "max-outstanding", required_argument, NULL, OPT_MAX_OUTSTANDING },
                { "idle-timeout", required_argument, NULL, OPT_IDLE_TIMEOUT },
                { "max-connections", required_argument, NULL, OPT_MAX_CONNECTIONS },
                { "max-events", required_argument, NULL, OPT_MAX_EVENTS },
                { "help", no_argument, NULL, 'h' }, { "version", no_argument, NULL, 'V' }, {}
        };
        int c;

        while ((c = getopt_long(argc, argv, "l:L:hV", options, NULL)) >= 0) {
                if (c >= OPT_BACKEND && c <= OPT_SIM_SPACE) {
                        if (imr_option(c, optarg, &o->imr) < 0)
                                return -1;
                } else if (c >= OPT_MAX_MESSAGE) {
                        if (limit_option(c, optarg, &d->lim) < 0)
                                return -1;
                } else if (c == 'l')
                        o->listen = optarg;
                else if (c == 'L')
                        d->runtime_log = optarg;
                else if (c == OPT_GROUP)
                        o->group = optarg;
                else if (c == OPT_EXTEND_GROUP)
                        o->extend_group = optarg;
                else if (c == 'h') {
                        help(stdout);
                        return 1;
                } else if (c == 'V') {
                        printf("cvm-evidenced %s\n", cvm_version());
                        return 1;
                } else {
                        help(stderr);
                        return -1;
                }
        }
        if (optind != argc) {
                evd_log("unexpected argument '%s'", argv[optind]);
                return -1;
        }
        return 0;
}

static void cleanup(struct evd *d) {
        for (size_t i = 0; i < d->nlisten; i++)
                close(d->listen_fds[i]);
        if (d->owns_socket)
                unlink(d->listen_path);
        evd_platform_log_drop(d);
        cvm_imr_close(d->imr);
}

int main(int argc, char **argv) {
        struct evd d = { .lim = { 1 << 20, 16, 60, 4096, 100000 }, .epfd = -1 };
        struct options o = { .group = "cvm-evidence" };
        cvm_error err = { 0 };
        int r;

        if ((r = parse_args(argc, argv, &d, &o)) != 0)
                return r > 0 ? EXIT_OK : EXIT_USAGE;
        d.sysroot = o.imr.sysroot;
        d.have_read_gid = parse_group("--group", o.group, &d.read_gid);
        d.have_extend_gid = o.extend_group && parse_group("--extend-group", o.extend_group, &d.extend_gid);
        if (cvm_imr_open(&o.imr, &d.imr, &err) < 0) {
                evd_log("%s", err.msg);
                return err.code == ENODEV || err.code == ENOENT ? EXIT_NO_DEVICE : EXIT_FAIL;
        }
        if (evd_listen(&d, o.listen) < 0) {
                cleanup(&d);
                return EXIT_FAIL;
        }
        evd_log("%sserving %s on %s (backend %s, %u registers), reads: root%s%s, Extend: root%s%s",
                cvm_imr_simulated(d.imr) ? "SIMULATED device: " : "", EVD_INTERFACE, o.listen ? o.listen : "systemd's socket",
                cvm_backend_name(cvm_imr_backend(d.imr)), cvm_imr_count(d.imr), d.have_read_gid ? " and group " : "",
                d.have_read_gid ? o.group : "", d.have_extend_gid ? " and group " : "", d.have_extend_gid ? o.extend_group : "");
        r = evd_serve(&d);
        cleanup(&d);
        return r < 0 ? EXIT_FAIL : EXIT_OK;
}
