/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

const char *program_name = "cvm-evidence";

void log_error(const char *fmt, ...) {
        va_list ap;

        fprintf(stderr, "%s: ", program_name);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
}

int parse_format(const char *arg, enum cvm_log_format *ret) {
        if (cvm_log_format_from_name(arg, ret) < 0) {
                log_error("--format: unknown format '%s' (expected auto, tcg2, tcg12, ccel, ima, ima-ascii, ima-binary, cel)", arg);
                return -1;
        }
        return 0;
}

int parse_size(const char *opt, const char *arg, size_t *ret) {
        uint64_t v;

        if (cvm_parse_uint(arg, SIZE_MAX, 10, SIZE_MAX, &v) < 0) {
                log_error("%s: expected a non-negative decimal integer (digits only), got '%s'", opt, arg);
                return -1;
        }
        *ret = (size_t) v;
        return 0;
}

int load_log(const char *path, enum cvm_log_format fmt, cvm_eventlog **ret) {
        const char *const *warnings;
        cvm_error err = { 0 };
        size_t n;

        if (cvm_eventlog_load(path, fmt, ret, &err) < 0) {
                log_error("%s", err.msg);
                return EXIT_BAD_INPUT;
        }
        n = cvm_eventlog_warnings(*ret, &warnings);
        for (size_t i = 0; i < n; i++)
                fprintf(stderr, "%s: %s: warning: %s\n", program_name, path, warnings[i]);
        return EXIT_OK;
}

void print_json(struct json_object *o) {
        puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                                   JSON_C_TO_STRING_NOSLASHESCAPE));
}

void print_object_text(struct json_object *o, int indent) {
        json_object_object_foreach(o, key, val) {
                switch (json_object_get_type(val)) {
                case json_type_object:
                        printf("%*s%s:\n", indent, "", key);
                        print_object_text(val, indent + 2);
                        break;
                case json_type_array: {
                        size_t n = json_object_array_length(val);
                        printf("%*s%s:%s", indent, "", key, n ? "\n" : " []\n");
                        for (size_t i = 0; i < n; i++) {
                                struct json_object *e = json_object_array_get_idx(val, i);
                                if (json_object_is_type(e, json_type_object)) {
                                        printf("%*s-\n", indent + 2, "");
                                        print_object_text(e, indent + 4);
                                } else
                                        printf("%*s- %s\n", indent + 2, "", json_object_get_string(e));
                        }
                        break;
                }
                default:
                        printf("%*s%s: %s\n", indent, "", key, json_object_get_string(val));
                }
        }
}

int imr_option(int c, const char *arg, struct cvm_imr_options *o) {
        switch (c) {
        case OPT_BACKEND:
                if (cvm_backend_from_name(arg, &o->backend) < 0) {
                        log_error("--backend: unknown backend '%s' (expected auto, tpm2, tdx, sim, service)", arg);
                        return -1;
                }
                return 1;
        case OPT_TCTI:
                o->tcti = arg;
                return 1;
        case OPT_SYSROOT:
                o->sysroot = arg;
                return 1;
        case OPT_SIM_STATE:
                o->sim_state = arg;
                return 1;
        case OPT_SOCKET:
                o->service_socket = arg;
                return 1;
        case OPT_SIM_SPACE:
                if (strcmp(arg, "pcr") == 0)
                        o->sim_space = CVM_SPACE_PCR;
                else if (strcmp(arg, "cc-mr") == 0)
                        o->sim_space = CVM_SPACE_CCMR;
                else {
                        log_error("--sim-space: expected pcr or cc-mr, got '%s'", arg);
                        return -1;
                }
                return 1;
        }
        return 0;
}

int open_imr(const struct cvm_imr_options *o, cvm_imr **ret) {
        cvm_error err = { 0 };
        int r = cvm_imr_open(o, ret, &err);

        if (r < 0) {
                log_error("%s", err.msg);
                return r == -ENODEV || r == -ENOENT ? EXIT_NO_DEVICE : EXIT_BAD_INPUT;
        }
        return EXIT_OK;
}

const char *sim_label(const cvm_imr *imr) {
        return cvm_imr_simulated(imr) ? "SIMULATED " : "";
}

int write_file_atomic(const char *path, const void *buf, size_t len) {
        _cleanup_(freep) char *tmp = NULL;
        const uint8_t *p = buf;
        int fd;

        if (asprintf(&tmp, "%s.XXXXXX", path) < 0) {
                log_error("out of memory");
                return -1;
        }
        fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0) {
                log_error("%s: cannot create a temporary file beside it: %s", path, strerror(errno));
                return -1;
        }
        while (len > 0) {
                ssize_t n = write(fd, p, len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0) {
                        log_error("%s: write failed: %s", tmp, n < 0 ? strerror(errno) : "no progress");
                        goto fail;
                }
                p += n;
                len -= (size_t) n;
        }
        if (fchmod(fd, 0644) < 0 || fsync(fd) < 0 || close(fd) < 0) {
                fd = -1;
                log_error("%s: cannot finish the file: %s", tmp, strerror(errno));
                goto fail;
        }
        if (rename(tmp, path) < 0) {
                fd = -1;
                log_error("%s: cannot rename into place: %s", path, strerror(errno));
                goto fail;
        }
        return 0;
fail:
        if (fd >= 0)
                close(fd);
        unlink(tmp);
        return -1;
}
