/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The event loop: one thread, epoll over the listening sockets, every
 * connection and a signalfd.  Each wakeup first reads every ready
 * connection, then answers what was read, so register reads are shared
 * within the wakeup (regcache.c).  Requests are answered in order; a connection
 * holding max_outstanding unwritten replies is not read until its client
 * reads them (backpressure, not buffering), and one idle past idle_timeout
 * or over the size limit is closed, the latter after an error reply.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "evidenced.h"

#define TAG_LISTEN 1u
#define TAG_SIGNAL 3u
#define READ_CHUNK 65536
/*
 * Connections taken per wakeup.  A backlog drained in one go would count
 * clients that already hung up (their EOF not yet seen) against
 * --max-connections and refuse live ones; a batch lets each wakeup reap
 * the previous batch's closes first, and keeps established clients served.
 */
#define ACCEPT_BATCH 64

static uint64_t now_ms(void) {
        return (uint64_t) (now_monotonic() * 1000);
}

static void conn_free(struct evd *d, struct evd_conn *c) {
        epoll_ctl(d->epfd, EPOLL_CTL_DEL, c->fd, NULL);
        close(c->fd);
        if (c->prev)
                c->prev->next = c->next;
        else
                d->conns = c->next;
        if (c->next)
                c->next->prev = c->prev;
        d->nconns--;
        vl_reader_free(&c->in);
        free(c->out);
        free(c);
}

static int queue(struct evd_conn *c, const char *s, size_t n) {
        if (c->out_off == c->out_len)
                c->out_off = c->out_len = 0;
        if (c->out_len + n + 1 > c->out_cap) {
                size_t cap = c->out_cap ? c->out_cap : 4096;
                char *p;
                while (cap < c->out_len + n + 1)
                        cap *= 2;
                if (!(p = realloc(c->out, cap)))
                        return -ENOMEM;
                c->out = p;
                c->out_cap = cap;
        }
        memcpy(c->out + c->out_len, s, n + 1);
        c->out_len += n + 1;
        c->outstanding++;
        return 0;
}

static int queue_json(struct evd_conn *c, struct json_object *o) {
        size_t n;
        const char *s = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &n);

        return s ? queue(c, s, n) : -ENOMEM;
}

/* Queue a varlink error that is not the answer to a call (limits), drop what else was read, then close. */
static void queue_fatal(struct evd_conn *c, const char *name, uint64_t limit, const char *msg) {
        _cleanup_(evd_json_putp) struct json_object *o = json_object_new_object();
        struct json_object *p = json_object_new_object();

        json_object_object_add(p, "limit", json_object_new_int64((int64_t) limit));
        json_object_object_add(p, "message", json_object_new_string(msg));
        json_object_object_add(o, "error", json_object_new_string(name));
        json_object_object_add(o, "parameters", p);
        if (queue_json(c, o) < 0)
                c->out_len = c->out_off;
        vl_reader_free(&c->in);
        c->closing = true;
}

/* Write what is queued: 0 (all or some written), -errno if the peer is gone. */
static int flush(struct evd_conn *c) {
        while (c->out_off < c->out_len) {
                ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL | MSG_DONTWAIT);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return errno == EAGAIN ? 0 : -errno;
                c->out_off += (size_t) n;
                c->last_request = now_ms();
        }
        c->outstanding = 0;
        return 0;
}

/* Answer whole requests already read, up to the outstanding limit. */
static int process(struct evd *d, struct evd_conn *c) {
        const char *msg;
        size_t len;
        int r;

        while (c->outstanding < d->lim.max_outstanding && (r = vl_reader_next(&c->in, &msg, &len)) != 0) {
                _cleanup_(evd_json_putp) struct json_object *reply = NULL;
                bool oneway;
                if (r < 0) {
                        queue_fatal(c, EVD_INTERFACE ".MessageTooLarge", d->lim.max_message, "request over the size limit (see --max-message)");
                        return 0;
                }
                c->last_request = now_ms();
                reply = evd_dispatch(d, c, msg, len, &oneway);
                if (!oneway && (!reply || queue_json(c, reply) < 0))
                        return -ENOMEM;
        }
        return 0;
}

static int rearm(struct evd *d, struct evd_conn *c) {
        struct epoll_event ev = { .data.ptr = c };
        bool pending = c->out_off < c->out_len;

        if (!c->closing && c->outstanding < d->lim.max_outstanding)
                ev.events |= EPOLLIN;
        if (pending)
                ev.events |= EPOLLOUT;
        if (ev.events == c->armed)
                return 0;
        c->armed = ev.events;
        return epoll_ctl(d->epfd, EPOLL_CTL_MOD, c->fd, &ev) < 0 ? -errno : 0;
}

/* Read what the peer sent: 0, or -errno / -ECONNRESET at end of input with nothing to answer. */
static int conn_read(struct evd *d, struct evd_conn *c) {
        char buf[READ_CHUNK];
        ssize_t n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);

        if (n < 0)
                return errno == EAGAIN || errno == EINTR ? 0 : -errno;
        if (n == 0) {
                c->closing = true;
                return 0;
        }
        if (vl_reader_feed(&c->in, buf, (size_t) n) < 0)
                queue_fatal(c, EVD_INTERFACE ".MessageTooLarge", d->lim.max_message, "request over the size limit (see --max-message)");
        return 0;
}

/* The first half of a wakeup: take in what the peer sent. */
static void conn_receive(struct evd *d, struct evd_conn *c, uint32_t events) {
        c->read_status = 0;
        if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) && !c->closing)
                c->read_status = conn_read(d, c);
}

/* The second half: answer, write, and re-arm or close. */
static void conn_answer(struct evd *d, struct evd_conn *c) {
        int r = c->read_status;

        if (r == 0)
                r = process(d, c);
        if (r == 0)
                r = flush(c);
        if (r == 0 && c->outstanding == 0)
                r = process(d, c);
        if (r == 0)
                r = flush(c);
        if (r < 0 || (c->closing && c->out_off == c->out_len) || rearm(d, c) < 0)
                conn_free(d, c);
}

static void accept_one(struct evd *d, int fd) {
        struct epoll_event ev = { .events = EPOLLIN };
        struct evd_conn *c = calloc(1, sizeof(*c));
        char who[CGROUP_PATH_MAX + 256];

        if (!c || evd_peer_identify(d, fd, &c->peer) < 0) {
                free(c);
                close(fd);
                return;
        }
        c->fd = fd;
        c->armed = EPOLLIN;
        vl_reader_init(&c->in, d->lim.max_message);
        c->last_request = now_ms();
        ev.data.ptr = c;
        c->next = d->conns;
        if (d->conns)
                d->conns->prev = c;
        d->conns = c;
        d->nconns++;
        if (d->nconns > d->lim.max_connections) {
                evd_peer_describe(&c->peer, who, sizeof(who));
                log_warning("refused a connection over the limit of %u: %s", d->lim.max_connections, who);
                queue_fatal(c, EVD_INTERFACE ".TooManyConnections", d->lim.max_connections, "too many connections (see --max-connections)");
                flush(c);
                conn_free(d, c);
                return;
        }
        if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
                conn_free(d, c);
}

static void accept_batch(struct evd *d, int lfd) {
        for (unsigned taken = 0; taken < ACCEPT_BATCH;) {
                int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                if (fd < 0) {
                        if (errno != EINTR && errno != EAGAIN && errno != ECONNABORTED)
                                log_error("accept: %s", strerror(errno));
                        if (errno != EINTR && errno != ECONNABORTED)
                                return;
                        continue;
                }
                accept_one(d, fd);
                taken++;
        }
}

static void expire_idle(struct evd *d) {
        uint64_t now = now_ms(), limit = (uint64_t) d->lim.idle_timeout * 1000;
        struct evd_conn *c = d->conns, *next;

        for (; c; c = next) {
                next = c->next;
                if (now - c->last_request > limit) {
                        char who[CGROUP_PATH_MAX + 256];
                        evd_peer_describe(&c->peer, who, sizeof(who));
                        log_info("closed a connection idle for %us (%zu bytes of an unfinished request): %s",
                                d->lim.idle_timeout, vl_reader_pending(&c->in), who);
                        conn_free(d, c);
                }
        }
}

/* One wakeup's events: read every ready connection, then answer them; false on SIGTERM/SIGINT. */
static bool wakeup(struct evd *d, struct epoll_event *evs, int n, bool draining) {
        bool answer = false;

        for (int i = 0; i < n; i++) {
                uint64_t tag = evs[i].data.u64;
                if (tag == TAG_SIGNAL) {
                        if (!draining)
                                return false;
                        evs[i].data.ptr = NULL;
                } else if ((tag & 3) == TAG_LISTEN) {
                        if (!draining)
                                accept_batch(d, d->listen_fds[tag >> 2]);
                        evs[i].data.ptr = NULL;
                } else {
                        conn_receive(d, evs[i].data.ptr, evs[i].events);
                        answer = true;
                }
        }
        if (answer)
                evd_regcache_begin(&d->regs);
        for (int i = 0; i < n; i++)
                if (evs[i].data.ptr)
                        conn_answer(d, evs[i].data.ptr);
        return true;
}

/*
 * On SIGTERM: stop accepting (under systemd the socket stays open, so new
 * clients wait for the next daemon), answer every request already sent, and
 * give clients up to a second to read; a request after that meets a closed
 * connection, an error at the client, never silence.
 */
static void drain(struct evd *d) {
        struct epoll_event evs[64];
        uint64_t until = now_ms() + 1000;
        struct evd_conn *c, *next;

        for (size_t i = 0; i < d->nlisten; i++)
                epoll_ctl(d->epfd, EPOLL_CTL_DEL, d->listen_fds[i], NULL);
        for (c = d->conns; c; c = next) {
                next = c->next;
                if (!c->closing && conn_read(d, c) < 0) {
                        conn_free(d, c);
                        continue;
                }
                c->closing = true;
        }
        evd_regcache_begin(&d->regs);
        for (c = d->conns; c; c = next) {
                next = c->next;
                c->read_status = 0;
                conn_answer(d, c);
        }
        while (d->conns && now_ms() < until) {
                int n = epoll_wait(d->epfd, evs, 64, 100);
                wakeup(d, evs, n < 0 ? 0 : n, true);
        }
}

static int setup(struct evd *d, int *sigfd) {
        struct epoll_event ev = { .events = EPOLLIN };
        sigset_t mask;

        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0 || (*sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK)) < 0)
                return -errno;
        signal(SIGPIPE, SIG_IGN);
        if ((d->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0)
                return -errno;
        ev.data.u64 = TAG_SIGNAL;
        if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, *sigfd, &ev) < 0)
                return -errno;
        for (size_t i = 0; i < d->nlisten; i++) {
                ev.data.u64 = ((uint64_t) i << 2) | TAG_LISTEN;
                if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, d->listen_fds[i], &ev) < 0)
                        return -errno;
        }
        return 0;
}

int evd_serve(struct evd *d) {
        struct epoll_event evs[64];
        uint64_t last_sweep = now_ms();
        int sigfd = -1, r;

        if ((r = setup(d, &sigfd)) < 0) {
                log_error("cannot set up the event loop: %s", strerror(-r));
                return r;
        }
        for (;;) {
                int n = epoll_wait(d->epfd, evs, 64, 1000);
                if (n < 0 && errno != EINTR) {
                        r = -errno;
                        break;
                }
                if (!wakeup(d, evs, n < 0 ? 0 : n, false))
                        goto out;
                if (now_ms() - last_sweep >= 1000) {
                        expire_idle(d);
                        last_sweep = now_ms();
                }
        }
out:
        log_info("stopping: answering what %u connections sent, %llu requests served", d->nconns,
                (unsigned long long) d->requests);
        drain(d);
        while (d->conns)
                conn_free(d, d->conns);
        close(sigfd);
        close(d->epfd);
        return r;
}
