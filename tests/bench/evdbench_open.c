/* SPDX-License-Identifier: Apache-2.0 */
/*
 * evdbench's open loop: one thread schedules GetMeasurement calls at a fixed
 * rate, round-robin over the connections (call k at t0 + k/rate on
 * connection k mod clients), sends each when due whether or not earlier ones
 * were answered, and times each reply from its scheduled send time.  A
 * closed loop waits for each reply before the next call, so a server stall
 * delays the calls that would have measured it (coordinated omission); here
 * the stall shows up in every call scheduled during it.  epoll_pwait2's
 * nanosecond timeout wakes the thread for the next due call (no timerfd to
 * re-arm and read per call), so it neither spins on the cores the server
 * needs nor spends them on its own timer.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "evdbench.h"

#define RECV_BUF 65536

struct oconn {
        int fd;
        double *sched;      /* scheduled times of calls sent and not answered, a ring */
        size_t head, count, cap;
        size_t unsent;      /* calls due but not yet accepted by the socket */
        char first[8];      /* the first bytes of the reply being read */
        size_t partial_len;
};

struct oloop {
        struct oconn *conns;
        int nconns, epfd;
        double t0, rate;
        uint64_t next, total; /* next call to schedule, calls in the run */
        double *lat;
        size_t nlat, errors;
};

static int ring_push(struct oconn *c, double t) {
        if (c->count == c->cap) {
                size_t cap = c->cap ? c->cap * 2 : 64;
                double *p = malloc(cap * sizeof(double));
                if (!p)
                        return -1;
                for (size_t i = 0; i < c->count; i++)
                        p[i] = c->sched[(c->head + i) % c->cap];
                free(c->sched);
                c->sched = p;
                c->head = 0;
                c->cap = cap;
        }
        c->sched[(c->head + c->count++) % c->cap] = t;
        return 0;
}

/* Send what is due on c: calls whose time has come and that the socket did not take yet. */
static int send_due(struct oconn *c) {
        static const char msg[] = EVD_GETMEASUREMENT;

        while (c->unsent > 0) {
                ssize_t n = send(c->fd, msg, sizeof(msg), MSG_NOSIGNAL | MSG_DONTWAIT);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return errno == EAGAIN ? 0 : -1;
                if ((size_t) n != sizeof(msg))
                        return -1; /* a short send of 70 bytes on a Unix stream: not seen; treat as failure */
                c->unsent--;
        }
        return 0;
}

/* Schedule every call due by now; returns -1 if a connection failed. */
static int schedule(struct oloop *l, double now) {
        while (l->next < l->total) {
                double t = l->t0 + (double) l->next * 1e3 / l->rate;
                struct oconn *c = &l->conns[l->next % (uint64_t) l->nconns];
                if (t > now)
                        break;
                if (ring_push(c, t) < 0)
                        return -1;
                c->unsent++;
                l->next++;
        }
        for (int i = 0; i < l->nconns; i++)
                if (send_due(&l->conns[i]) < 0)
                        return -1;
        return 0;
}

/* How long until the next call is due (zero if it is), or 100 ms once all are scheduled. */
static struct timespec until_next(const struct oloop *l, double now) {
        double wait = l->next < l->total ? l->t0 + (double) l->next * 1e3 / l->rate - now : 100;
        struct timespec ts = { 0, 0 };

        if (wait > 0) {
                ts.tv_sec = (time_t) (wait / 1e3);
                ts.tv_nsec = (long) ((wait - (double) ts.tv_sec * 1e3) * 1e6);
        }
        return ts;
}

/* Read replies on c; each NUL ends the oldest call in flight. */
static int receive(struct oloop *l, struct oconn *c) {
        char buf[RECV_BUF];
        ssize_t n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
        double now = now_ms();

        if (n < 0)
                return errno == EAGAIN || errno == EINTR ? 0 : -1;
        if (n == 0)
                return -1;
        for (ssize_t i = 0; i < n; i++) {
                if (c->partial_len < sizeof(c->first))
                        c->first[c->partial_len] = buf[i];
                c->partial_len++;
                if (buf[i] != '\0')
                        continue;
                if (c->count == 0)
                        return -1; /* a reply to no call */
                l->lat[l->nlat++] = now - c->sched[c->head];
                c->head = (c->head + 1) % c->cap;
                c->count--;
                l->errors += c->partial_len < sizeof(c->first) || memcmp(c->first, "{\"error\"", sizeof(c->first)) == 0;
                c->partial_len = 0;
        }
        return 0;
}

static size_t in_flight(const struct oloop *l) {
        size_t n = 0;

        for (int i = 0; i < l->nconns; i++)
                n += l->conns[i].count;
        return n;
}

/* The loop: until every call is scheduled and answered, or grace ms after the last was due. */
static int run(struct oloop *l, double grace) {
        struct epoll_event evs[64];
        double end = l->t0 + (double) l->total * 1e3 / l->rate + grace;

        while ((l->next < l->total || in_flight(l) > 0) && now_ms() < end) {
                struct timespec ts = until_next(l, now_ms());
                int n = epoll_pwait2(l->epfd, evs, 64, &ts, NULL);
                if (n < 0 && errno != EINTR)
                        return -1;
                for (int i = 0; i < n; i++)
                        if (receive(l, &l->conns[evs[i].data.u64]) < 0)
                                return -1;
                if (schedule(l, now_ms()) < 0)
                        return -1;
        }
        return 0;
}

static int setup(struct oloop *l, const char *path) {
        struct epoll_event ev = { .events = EPOLLIN };

        if ((l->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0)
                return -1;
        for (int i = 0; i < l->nconns; i++) {
                ev.data.u64 = (uint64_t) i;
                if ((l->conns[i].fd = connect_to(path)) < 0 || epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->conns[i].fd, &ev) < 0)
                        return -1;
        }
        return 0;
}

static void teardown(struct oloop *l) {
        for (int i = 0; l->conns && i < l->nconns; i++) {
                if (l->conns[i].fd >= 0)
                        close(l->conns[i].fd);
                free(l->conns[i].sched);
        }
        if (l->epfd >= 0)
                close(l->epfd);
        free(l->conns);
        free(l->lat);
}

static void report(struct oloop *l, double seconds) {
        size_t lost = l->total - l->nlat;

        qsort(l->lat, l->nlat, sizeof(double), cmp_double);
        printf("GetMeasurement open loop: %.0f calls/s offered over %d connections for %.1f s, %zu answered (%.0f/s),"
               " %zu lost, %zu errors; latency from the scheduled send: p50 %.3f ms, p99 %.3f ms, p99.9 %.3f ms, max %.3f ms"
               " %s%s\n",
               l->rate, l->nconns, seconds, l->nlat, (double) l->nlat / seconds, lost, l->errors,
               sorted_pct(l->lat, l->nlat, 0.5), sorted_pct(l->lat, l->nlat, 0.99), sorted_pct(l->lat, l->nlat, 0.999),
               l->nlat ? l->lat[l->nlat - 1] : 0, EVD_CCNP,
               lost || l->errors ? " [CALLS FAILED OR UNANSWERED]" : "");
}

int bench_open_loop(const char *path, int clients, double seconds, double rate) {
        struct oloop l = { .nconns = clients, .rate = rate, .epfd = -1 };
        int r;

        l.total = (uint64_t) (rate * seconds);
        l.conns = calloc((size_t) clients, sizeof(*l.conns));
        l.lat = malloc((l.total ? l.total : 1) * sizeof(double));
        for (int i = 0; l.conns && i < clients; i++)
                l.conns[i].fd = -1;
        if (!l.conns || !l.lat || setup(&l, path) < 0) {
                fprintf(stderr, "evdbench: cannot set up the open loop on %s: %s\n", path, strerror(errno));
                teardown(&l);
                return -1;
        }
        l.t0 = now_ms() + 10;
        r = run(&l, 2000);
        if (r < 0)
                fprintf(stderr, "evdbench: the open loop failed: %s\n", errno ? strerror(errno) : "a connection closed");
        report(&l, seconds);
        r = r < 0 || l.nlat != l.total || l.errors ? -1 : 0;
        teardown(&l);
        return r;
}
