/* SPDX-License-Identifier: Apache-2.0 */
/*
 * evdbench's open loop: one thread schedules GetMeasurement calls at a fixed
 * rate, round-robin over the connections (call k at t0 + k/rate on
 * connection k mod clients), sends each when due whether or not earlier ones
 * were answered, and times each reply from its scheduled send time.  A
 * closed loop waits for each reply before the next call, so a server stall
 * delays the calls that would have measured it (coordinated omission); here
 * the stall shows up in every call scheduled during it.  A timerfd wakes the
 * thread for the next due call, so it does not spin on the cores the server
 * needs.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "evdbench.h"

#define TAG_TIMER UINT64_MAX
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
        int nconns, epfd, tfd;
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

/* Arm the timer for the next call's time (absolute), or disarm it when all are scheduled. */
static int arm(struct oloop *l) {
        struct itimerspec its = { 0 };
        double t;

        if (l->next < l->total) {
                t = l->t0 + (double) l->next * 1e3 / l->rate;
                its.it_value.tv_sec = (time_t) (t / 1e3);
                its.it_value.tv_nsec = (long) ((t - (double) its.it_value.tv_sec * 1e3) * 1e6);
                if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0)
                        its.it_value.tv_nsec = 1;
        }
        return timerfd_settime(l->tfd, TFD_TIMER_ABSTIME, &its, NULL);
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
                int n = epoll_wait(l->epfd, evs, 64, 100);
                if (n < 0 && errno != EINTR)
                        return -1;
                for (int i = 0; i < n; i++) {
                        if (evs[i].data.u64 == TAG_TIMER) {
                                uint64_t ticks;
                                if (read(l->tfd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
                                        return -1;
                        } else if (receive(l, &l->conns[evs[i].data.u64]) < 0)
                                return -1;
                }
                if (schedule(l, now_ms()) < 0 || arm(l) < 0)
                        return -1;
        }
        return 0;
}

static int setup(struct oloop *l, const char *path) {
        struct epoll_event ev = { .events = EPOLLIN, .data.u64 = TAG_TIMER };

        l->epfd = epoll_create1(EPOLL_CLOEXEC);
        l->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
        if (l->epfd < 0 || l->tfd < 0 || epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->tfd, &ev) < 0)
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
        if (l->tfd >= 0)
                close(l->tfd);
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
        struct oloop l = { .nconns = clients, .rate = rate, .epfd = -1, .tfd = -1 };
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
        r = arm(&l) < 0 ? -1 : run(&l, 2000);
        if (r < 0)
                fprintf(stderr, "evdbench: the open loop failed: %s\n", errno ? strerror(errno) : "a connection closed");
        report(&l, seconds);
        r = r < 0 || l.nlat != l.total || l.errors ? -1 : 0;
        teardown(&l);
        return r;
}
