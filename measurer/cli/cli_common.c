/* SPDX-License-Identifier: Apache-2.0 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

int parse_command(const struct opt_command *cmd, int argc, char **argv, void *args, int *ind) {
        int r = opt_parse(cmd, argc, argv, args, ind);

        return r == 0 ? -1 : r > 0 ? EXIT_OK : EXIT_USAGE;
}

int parse_no_operands(const struct opt_command *cmd, int argc, char **argv, void *args) {
        int ind, r = parse_command(cmd, argc, argv, args, &ind);

        if (r < 0 && ind != argc) {
                log_error("%s: unexpected argument '%s' (see --help)", cmd->name, argv[ind]);
                return EXIT_USAGE;
        }
        return r;
}

int parse_and_open(const struct opt_command *cmd, int argc, char **argv, void *args, const struct cvm_imr_options *o,
                   cvm_imr **imr) {
        int r = parse_no_operands(cmd, argc, argv, args);

        if (r >= 0)
                return r;
        r = open_imr(o, imr);
        return r == EXIT_OK ? -1 : r;
}

int opt_log_format(const struct opt *o, const char *arg, void *field) {
        if (cvm_log_format_from_name(arg, field) < 0) {
                log_error("--%s: unknown format '%s' (expected auto, tcg2, tcg12, ccel, ima, ima-ascii, ima-binary, cel, cel-json)",
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

        assert(path && ret);
        if (cvm_eventlog_load(path, fmt, ret, &err) < 0) {
                log_error("%s", err.msg);
                return EXIT_BAD_INPUT;
        }
        n = cvm_eventlog_warnings(*ret, &warnings);
        for (size_t i = 0; i < n; i++)
                fprintf(stderr, "%s: %s: warning: %s\n", log_program_name(), path, warnings[i]);
        return EXIT_OK;
}

int save_log(const cvm_eventlog *log, const char *path) {
        _cleanup_free_ uint8_t *buf = NULL;
        cvm_error err = { 0 };
        size_t len = 0;

        if (cvm_eventlog_write_tcg2(log, &buf, &len, &err) < 0 ||
            write_file_new(path, buf, len, 0644, log_program_name(), &err) < 0) {
                log_error("%s", err.msg);
                return EXIT_BAD_INPUT;
        }
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
