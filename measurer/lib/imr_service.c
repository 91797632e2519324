/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The service backend: the registers of the machine cvm-evidenced runs on,
 * read over its varlink socket (io.cvmkit.Evidence), so cvm-evidence works in
 * a container that has the socket and neither the device nor root.  Reads
 * only: an extend must append to the service's runtime log too, which only
 * the service's own Extend method does under the log's lock, and quotes are
 * the service's GetQuote.  The varlink call (a JSON object and a NUL each
 * way) is written here because no C varlink library is packaged in Debian 12.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cvm/digest.h"
#include "cvm/encoding.h"
#include "imr_internal.h"

#define SERVICE_SOCKET "/run/cvm/evidence.sock"
#define SERVICE_REPLY_MAX (1u << 20)

struct service {
        int fd;
        char path[sizeof(((struct sockaddr_un *) 0)->sun_path)];
};

/* Send one call, read its reply; *ret holds the reply's parameters, or the error is in err. */
static int call(struct service *s, const char *method, struct json_object *params, struct json_object **ret, cvm_error *err) {
        struct json_object *msg = json_object_new_object(), *reply, *e, *p;
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;
        const char *out;
        int r = 0;

        json_object_object_add(msg, "method", json_object_new_string(method));
        json_object_object_add(msg, "parameters", params ? params : json_object_new_object());
        out = json_object_to_json_string_ext(msg, JSON_C_TO_STRING_PLAIN);
        if (send(s->fd, out, strlen(out) + 1, MSG_NOSIGNAL) < 0)
                r = cvm_error_set(err, errno, "%s: cannot send to the evidence service: %s", s->path, strerror(errno));
        json_object_put(msg);
        if (r < 0)
                return r;
        if (!(buf = malloc(SERVICE_REPLY_MAX)))
                return cvm_error_set(err, ENOMEM, "out of memory");
        while (len == 0 || buf[len - 1] != '\0') {
                ssize_t n = len < SERVICE_REPLY_MAX ? recv(s->fd, buf + len, SERVICE_REPLY_MAX - len, 0) : -2;
                if (n <= 0)
                        return cvm_error_set(err, n == -1 ? errno : EPROTO, "%s: the evidence service %s", s->path,
                                             n == 0 ? "closed the connection" : n == -2 ? "sent a reply over 1 MiB" : strerror(errno));
                len += (size_t) n;
        }
        reply = json_tokener_parse(buf);
        if (!reply || !json_object_is_type(reply, json_type_object)) {
                json_object_put(reply);
                return cvm_error_set(err, EPROTO, "%s: the evidence service's reply is not a JSON object", s->path);
        }
        if (json_object_object_get_ex(reply, "error", &e)) {
                struct json_object *m = NULL;
                json_object_object_get_ex(reply, "parameters", &p);
                json_object_object_get_ex(p, "message", &m);
                const char *name = json_object_get_string(e);
                r = cvm_error_set(err, strstr(name, "NoSuch") ? EINVAL : strstr(name, ".NotSupported") ? EOPNOTSUPP : EIO, "%s: %s: %s", s->path,
                                  json_object_get_string(e), m ? json_object_get_string(m) : "");
                json_object_put(reply);
                return r;
        }
        if (!json_object_object_get_ex(reply, "parameters", &p) || !json_object_is_type(p, json_type_object)) {
                json_object_put(reply);
                return cvm_error_set(err, EPROTO, "%s: the evidence service's reply has no parameters", s->path);
        }
        *ret = json_object_get(p);
        json_object_put(reply);
        return 0;
}

static int service_read(cvm_imr *imr, uint32_t index, uint16_t alg, uint8_t *out, cvm_error *err) {
        struct json_object *params = json_object_new_object(), *reply = NULL, *d;
        int r, n;

        json_object_object_add(params, "index", json_object_new_int64(index));
        json_object_object_add(params, "algorithm", json_object_new_string(cvm_alg_name(alg)));
        if ((r = call(imr->priv, "io.cvmkit.Evidence.GetMeasurement", params, &reply, err)) < 0)
                return r;
        n = json_object_object_get_ex(reply, "digest", &d) ? cvm_unhex(json_object_get_string(d), out, CVM_DIGEST_MAX) : -1;
        json_object_put(reply);
        if (n != cvm_alg_size(alg))
                return cvm_error_set(err, EPROTO, "the evidence service's digest of register %u is not %d bytes of hex", index,
                                     cvm_alg_size(alg));
        return 0;
}

static int service_can_extend(const cvm_imr *imr, cvm_error *err) {
        const struct service *s = imr->priv;

        return cvm_error_set(err, EOPNOTSUPP, "the service backend reads only: extend through the service's Extend method "
                             "(io.cvmkit.Evidence.Extend on %s), which appends to its runtime log", s->path);
}

static int service_extend(cvm_imr *imr, uint32_t index, const struct cvm_event_digest *digests, size_t n, cvm_error *err) {
        (void) index;
        (void) digests;
        (void) n;
        return service_can_extend(imr, err);
}

/* A hex string member of o into a new buffer: 0, or -EPROTO if it is missing or not hex. */
static int hex_member(struct json_object *o, const char *key, uint8_t **ret, size_t *len) {
        struct json_object *v;
        const char *h;
        int n;

        if (!json_object_object_get_ex(o, key, &v) || !(h = json_object_get_string(v)) || !(*ret = malloc(strlen(h) / 2 + 1)))
                return -EPROTO;
        n = cvm_unhex(h, *ret, strlen(h) / 2 + 1);
        if (n < 0) {
                free(*ret);
                *ret = NULL;
                return -EPROTO;
        }
        *len = (size_t) n;
        return 0;
}

/* A TPM quote's parts beside the attestation: signature, AK (marshalled and PEM), the quoted PCR values. */
static int tpm2_parts(struct json_object *report, struct cvm_report *rep) {
        struct json_object *pem, *pcrs, *p, *v;
        uint8_t *dg;
        size_t len, n;

        if (hex_member(report, "signature", &rep->signature, &rep->signature_len) < 0 ||
            hex_member(report, "ak_public", &rep->ak_public, &rep->ak_public_len) < 0 ||
            !json_object_object_get_ex(report, "ak_pem", &pem) || !(rep->ak_pem = strdup(json_object_get_string(pem))) ||
            !json_object_object_get_ex(report, "pcrs", &pcrs) || !json_object_is_type(pcrs, json_type_array))
                return -EPROTO;
        n = json_object_array_length(pcrs);
        if (n && !(rep->pcrs = calloc(n, sizeof(*rep->pcrs))))
                return -ENOMEM;
        for (size_t i = 0; i < n; i++, rep->npcrs++) {
                struct cvm_report_pcr *q = &rep->pcrs[i];
                p = json_object_array_get_idx(pcrs, i);
                if (!json_object_object_get_ex(p, "index", &v) || (q->index = (uint32_t) json_object_get_int64(v)) > 23 ||
                    !json_object_object_get_ex(p, "alg", &v) || cvm_alg_from_name(json_object_get_string(v), &q->alg) < 0 ||
                    hex_member(p, "digest", &dg, &len) < 0)
                        return -EPROTO;
                q->size = (uint16_t) len;
                if (len != (size_t) cvm_alg_size(q->alg) || len > sizeof(q->digest)) {
                        free(dg);
                        return -EPROTO;
                }
                memcpy(q->digest, dg, len);
                free(dg);
        }
        return 0;
}

/* GetQuote's reply into rep: its report data must be the one asked for; the quote and its parts. */
static int quote_reply(const struct service *s, struct json_object *reply, const uint8_t *data, size_t len,
                       struct cvm_report *rep, cvm_error *err) {
        _cleanup_free_ uint8_t *rd = NULL;
        struct json_object *report, *v;
        size_t rd_len;

        if (hex_member(reply, "reportData", &rd, &rd_len) < 0 || !json_object_object_get_ex(reply, "report", &report) ||
            hex_member(reply, "quote", &rep->quote, &rep->quote_len) < 0)
                return cvm_error_set(err, EPROTO, "%s: the evidence service's GetQuote reply lacks reportData, quote or report", s->path);
        if (rd_len != len || memcmp(rd, data, len) != 0)
                return cvm_error_set(err, ESTALE, "%s: the evidence service bound its quote to other report data than "
                                     "SHA-512(nonce || userData)", s->path);
        if (json_object_object_get_ex(reply, "quoteType", &v) && strcmp(json_object_get_string(v), "tpm2") == 0 &&
            tpm2_parts(report, rep) < 0)
                return cvm_error_set(err, EPROTO, "%s: the evidence service's TPM quote lacks a well-formed signature, AK or PCR list",
                                     s->path);
        snprintf(rep->source, sizeof(rep->source), "cvm-evidenced on %s: %s", s->path,
                 json_object_object_get_ex(report, "source", &v) ? json_object_get_string(v) : "?");
        return 0;
}

static int service_report(cvm_imr *imr, const struct cvm_report_request *req, const uint8_t *data, size_t len,
                          struct cvm_report *rep, cvm_error *err) {
        struct service *s = imr->priv;
        struct json_object *params, *reply = NULL;
        _cleanup_free_ char *nonce = NULL, *user = NULL;
        int r;

        if (req->report_data || req->pcrs || req->ak_handle || req->tsm_name)
                return cvm_error_set(err, EOPNOTSUPP, "%s: the evidence service's GetQuote takes a nonce and user data only "
                                     "(the service picks the PCRs, the AK and the TSM entry)", s->path);
        nonce = cvm_hex_alloc(req->nonce, req->nonce ? req->nonce_len : 0);
        user = cvm_hex_alloc(req->user_data, req->user_data ? req->user_data_len : 0);
        if (!nonce || !user || !(params = json_object_new_object()))
                return cvm_error_set(err, ENOMEM, "out of memory");
        if (req->nonce)
                json_object_object_add(params, "nonce", json_object_new_string(nonce));
        if (req->user_data)
                json_object_object_add(params, "userData", json_object_new_string(user));
        if ((r = call(s, "io.cvmkit.Evidence.GetQuote", params, &reply, err)) < 0)
                return r;
        r = quote_reply(s, reply, data, len, rep, err);
        json_object_put(reply);
        return r;
}

static void service_close(cvm_imr *imr) {
        struct service *s = imr->priv;

        close(s->fd);
        free(s);
}

static const struct imr_ops service_ops = {
        .read = service_read, .extend = service_extend, .can_extend = service_can_extend, .report = service_report,
        .close = service_close,
};

/* Space, count, banks and the simulated flag from GetInfo. */
static int describe(cvm_imr *imr, struct json_object *info, cvm_error *err) {
        struct json_object *v, *banks;
        const char *space, *backend;

        if (!json_object_object_get_ex(info, "registerSpace", &v) || !(space = json_object_get_string(v)) ||
            !json_object_object_get_ex(info, "registerCount", &v) || !json_object_object_get_ex(info, "banks", &banks) ||
            !json_object_is_type(banks, json_type_array))
                return cvm_error_set(err, EPROTO, "the evidence service's GetInfo lacks registerSpace, registerCount or banks");
        imr->space = strcmp(space, "cc-mr") == 0 ? CVM_SPACE_CCMR : CVM_SPACE_PCR;
        imr->count = (uint32_t) json_object_get_int64(v);
        if (imr->count == 0 || imr->count > (imr->space == CVM_SPACE_CCMR ? 5u : 24u))
                return cvm_error_set(err, EPROTO, "the evidence service reports %u registers", imr->count);
        for (size_t i = 0; i < json_object_array_length(banks) && imr->nbanks < CVM_LOG_MAX_ALGS; i++)
                if (cvm_alg_from_name(json_object_get_string(json_object_array_get_idx(banks, i)), &imr->banks[imr->nbanks]) == 0)
                        imr->nbanks++;
        if (imr->nbanks == 0)
                return cvm_error_set(err, EPROTO, "the evidence service reports no bank this library knows");
        imr->simulated = json_object_object_get_ex(info, "simulated", &v) && json_object_get_boolean(v);
        backend = json_object_object_get_ex(info, "backend", &v) ? json_object_get_string(v) : "?";
        snprintf(imr->reason, sizeof(imr->reason), "--backend service: cvm-evidenced on %s, its %s backend",
                 ((struct service *) imr->priv)->path, backend);
        return 0;
}

int imr_service_open(cvm_imr *imr, const char *socket_path, cvm_error *err) {
        const char *path = socket_path ? socket_path : getenv("CVM_EVIDENCE_SOCKET");
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        struct json_object *info = NULL;
        _cleanup_free_ struct service *s = NULL;
        int r;

        path = path && *path ? path : SERVICE_SOCKET;
        if (strlen(path) >= sizeof(sa.sun_path))
                return cvm_error_set(err, ENAMETOOLONG, "%s: longer than a socket path may be", path);
        if (!(s = calloc(1, sizeof(*s))))
                return cvm_error_set(err, ENOMEM, "out of memory");
        memcpy(s->path, path, strlen(path) + 1);
        memcpy(sa.sun_path, path, strlen(path) + 1);
        s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (s->fd < 0 || connect(s->fd, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
                r = cvm_error_set(err, ENODEV, "%s: cannot reach the evidence service (cvm-evidenced): %s", path, strerror(errno));
                if (s->fd >= 0)
                        close(s->fd);
                return r;
        }
        imr->backend = CVM_BACKEND_SERVICE;
        imr->ops = &service_ops;
        imr->priv = TAKE_PTR(s);
        if ((r = call(imr->priv, "io.cvmkit.Evidence.GetInfo", NULL, &info, err)) < 0 || (r = describe(imr, info, err)) < 0) {
                json_object_put(info);
                service_close(imr);
                imr->priv = NULL;
                return r == -EINVAL ? -ENODEV : r;
        }
        json_object_put(info);
        imr->read_via = "service";
        imr->extend_via = "none";
        return 0;
}
