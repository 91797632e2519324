/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

int opt_log_format(const struct opt *o, const char *arg, void *field) {
        if (cvm_log_format_from_name(arg, field) < 0) {
                log_error("--%s: unknown format '%s' (expected auto, tcg2, tcg12, ccel, ima, ima-ascii, ima-binary, cel)",
                          o->name, arg);
                return -1;
        }
        return 0;
}

int opt_size(const struct opt *o, const char *arg, void *field) {
        uint64_t v;

        if (cvm_parse_uint(arg, SIZE_MAX, 10, SIZE_MAX, &v) < 0) {
                log_error("--%s: expected a non-negative decimal integer (digits only), got '%s'", o->name, arg);
                return -1;
        }
        *(size_t *) field = (size_t) v;
        return 0;
}

int opt_alg(const struct opt *o, const char *arg, void *field) {
        uint16_t *alg = field;

        if (cvm_alg_from_name(arg, alg) < 0 || cvm_alg_size(*alg) < 0) {
                log_error("--%s: unknown algorithm '%s'", o->name, arg);
                return -1;
        }
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
