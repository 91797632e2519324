/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Load generator for cvm-evidenced.  Closed loop (the default): CLIENTS
 * connections, one thread each (a client's view: each waits for its reply
 * before the next call), calling GetMeasurement for SECONDS.  Open loop
 * (--rate N, evdbench_open.c): N calls a second spread over CLIENTS
 * connections, timed from their scheduled send.  Then GetEventLog of the
 * whole log, timed.  Prints calls per second and latency percentiles beside
 * CCNP's published 26-76 ms per query.
 *
 *   evdbench [--rate N] [--no-eventlog] SOCKET CLIENTS SECONDS
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "evdbench.h"

#define MAX_SAMPLES 2000000

struct client {
        pthread_t thread;
        const char *path;
        double deadline;
        double *lat;       /* milliseconds */
        size_t n, cap;
        int failed;
};

double now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec * 1e3 + (double) ts.tv_nsec / 1e6;
}

int cmp_double(const void *a, const void *b) {
        double x = *(const double *) a, y = *(const double *) b;
        return (x > y) - (x < y);
}

int connect_to(const char *path) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
        if (fd >= 0 && connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
                close(fd);
                return -1;
        }
        return fd;
}

/* One call: send msg with its NUL, read up to the reply's NUL; the reply's length, or -1. */
static ssize_t call(int fd, const char *msg, char **buf, size_t *cap) {
        size_t len = 0;

        if (send(fd, msg, strlen(msg) + 1, MSG_NOSIGNAL) < 0)
                return -1;
        for (;;) {
                ssize_t n;
                if (len == *cap) {
                        char *p = realloc(*buf, *cap ? *cap * 2 : 65536);
                        if (!p)
                                return -1;
                        *buf = p;
                        *cap = *cap ? *cap * 2 : 65536;
                }
                n = recv(fd, *buf + len, *cap - len, 0);
                if (n <= 0)
                        return -1;
                len += (size_t) n;
                if ((*buf)[len - 1] == '\0')
                        return (ssize_t) len - 1;
        }
}

static void *client_run(void *arg) {
        static const char msg[] = EVD_GETMEASUREMENT;
        struct client *c = arg;
        char *buf = NULL;
        size_t cap = 0;
        int fd = connect_to(c->path);

        if (fd < 0) {
                c->failed = 1;
                return NULL;
        }
        while (now_ms() < c->deadline && c->n < c->cap) {
                double t0 = now_ms();
                ssize_t n = call(fd, msg, &buf, &cap);
                if (n < 0 || strstr(buf, "\"error\"")) {
                        c->failed = 1;
                        break;
                }
                c->lat[c->n++] = now_ms() - t0;
        }
        close(fd);
        free(buf);
        return NULL;
}

double sorted_pct(const double *v, size_t n, double p) {
        return n ? v[(size_t) (p * (double) (n - 1))] : 0;
}

static int bench_measurement(const char *path, int clients, double seconds) {
        struct client *c = calloc((size_t) clients, sizeof(*c));
        double *all, t0;
        size_t total = 0;
        int failed = 0;

        if (!c)
                return -1;
        t0 = now_ms();
        for (int i = 0; i < clients; i++) {
                c[i] = (struct client) { .path = path, .deadline = t0 + seconds * 1e3, .cap = MAX_SAMPLES / (size_t) clients };
                c[i].lat = malloc(c[i].cap * sizeof(double));
                if (!c[i].lat || pthread_create(&c[i].thread, NULL, client_run, &c[i]) != 0)
                        return -1;
        }
        for (int i = 0; i < clients; i++) {
                pthread_join(c[i].thread, NULL);
                total += c[i].n;
                failed |= c[i].failed;
        }
        seconds = (now_ms() - t0) / 1e3;
        all = malloc((total ? total : 1) * sizeof(double));
        for (int i = 0, k = 0; all && i < clients; i++) {
                memcpy(all + k, c[i].lat, c[i].n * sizeof(double));
                k += (int) c[i].n;
                free(c[i].lat);
        }
        free(c);
        if (!all)
                return -1;
        qsort(all, total, sizeof(double), cmp_double);
        printf("GetMeasurement: %d clients, %zu calls in %.1f s: %.0f calls/s, latency p50 %.3f ms, p99 %.3f ms, max %.3f ms"
               " " EVD_CCNP "%s\n",
               clients, total, seconds, (double) total / seconds, sorted_pct(all, total, 0.5), sorted_pct(all, total, 0.99),
               total ? all[total - 1] : 0, failed ? " [SOME CLIENTS FAILED]" : "");
        free(all);
        return failed ? -1 : 0;
}

static int bench_eventlog(const char *path) {
        static const char msg[] = "{\"method\":\"io.cvmkit.Evidence.GetEventLog\"}";
        double t[10];
        char *buf = NULL, *p;
        size_t cap = 0;
        ssize_t len = 0;
        int fd = connect_to(path);

        if (fd < 0)
                return -1;
        for (int i = 0; i < 10; i++) {
                double t0 = now_ms();
                if ((len = call(fd, msg, &buf, &cap)) < 0 || strstr(buf, "{\"error\"") == buf) {
                        fprintf(stderr, "evdbench: GetEventLog failed: %.300s\n", len < 0 ? strerror(errno) : buf);
                        close(fd);
                        free(buf);
                        return -1;
                }
                t[i] = now_ms() - t0;
        }
        close(fd);
        p = strstr(buf, "\"total\":");
        qsort(t, 10, sizeof(double), cmp_double);
        printf("GetEventLog: %ld events, %zd bytes per reply: p50 %.1f ms, max %.1f ms over 10 calls"
               " " EVD_CCNP "\n",
               p ? strtol(p + 8, NULL, 10) : -1L, len, t[5], t[9]);
        free(buf);
        return 0;
}

static void usage(FILE *f) {
        fprintf(f, "usage: evdbench [--rate N] [--no-eventlog] SOCKET CLIENTS SECONDS\n"
                   "  --rate N        open loop: N GetMeasurement calls a second over CLIENTS connections,\n"
                   "                  timed from their scheduled send (default: closed loop, a thread per client)\n"
                   "  --no-eventlog   skip the GetEventLog timing\n");
}

int main(int argc, char **argv) {
        static const struct option opts[] = {
                { "rate", required_argument, NULL, 'r' },
                { "no-eventlog", no_argument, NULL, 'n' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        double seconds, rate = 0;
        int clients, c, r;
        bool eventlog = true;

        while ((c = getopt_long(argc, argv, "r:nh", opts, NULL)) != -1) {
                if (c == 'h') {
                        usage(stdout);
                        return 0;
                }
                if (c == 'n')
                        eventlog = false;
                else if (c != 'r' || (rate = atof(optarg)) <= 0) {
                        usage(stderr);
                        return 1;
                }
        }
        if (argc - optind != 3 || (clients = atoi(argv[optind + 1])) <= 0 || (seconds = atof(argv[optind + 2])) <= 0) {
                usage(stderr);
                return 1;
        }
        r = rate > 0 ? bench_open_loop(argv[optind], clients, seconds, rate) : bench_measurement(argv[optind], clients, seconds);
        if (r < 0 || (eventlog && bench_eventlog(argv[optind]) < 0))
                return 1;
        return 0;
}
