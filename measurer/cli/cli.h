/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include <json-c/json.h>

#include "cvm/cvm.h"

/* Exit codes of every cvm-evidence command (README "Exit codes"). */
enum {
        EXIT_OK = 0,
        EXIT_USAGE = 1,
        EXIT_BAD_INPUT = 2,
        EXIT_MISMATCH = 3,
        EXIT_NO_DEVICE = 4,
};

/* getopt_long codes of the options every live command takes (see IMR_LONG_OPTIONS). */
enum {
        OPT_BACKEND = 0x100,
        OPT_TCTI,
        OPT_SYSROOT,
        OPT_SIM_STATE,
        OPT_SIM_SPACE,
        OPT_SOCKET,
};

#define IMR_LONG_OPTIONS                                                    \
        { "backend", required_argument, NULL, OPT_BACKEND },               \
        { "tcti", required_argument, NULL, OPT_TCTI },                     \
        { "sysroot", required_argument, NULL, OPT_SYSROOT },               \
        { "sim-state", required_argument, NULL, OPT_SIM_STATE },           \
        { "sim-space", required_argument, NULL, OPT_SIM_SPACE },           \
        { "socket", required_argument, NULL, OPT_SOCKET }

#define IMR_OPTIONS_HELP                                                                         \
        "  --backend B        tpm2, tdx or sim (default: detect TDX, then TPM 2.0)\n"            \
        "  --tcti CONF        TPM TCTI (default $CVM_TCTI, $TPM2TOOLS_TCTI, device:/dev/tpmrm0)\n" \
        "  --sysroot DIR      root prefix for TDX sysfs/dev paths (tests)\n"                     \
        "  --sim-state FILE   sim: register file (default $CVM_SIM_STATE, /run/cvm/sim-registers)\n" \
        "  --sim-space S      sim: pcr or cc-mr, when the file is created\n"                      \
        "  --socket PATH      --backend service: cvm-evidenced's socket (default /run/cvm/evidence.sock)\n"

static inline void imr_freep(cvm_imr **p) {
        cvm_imr_close(*p);
}

/* Handle one of the IMR options: 1 handled, 0 not ours, -1 bad value (printed). */
int imr_option(int c, const char *arg, struct cvm_imr_options *o);

/* Open the backend; prints why not and returns EXIT_NO_DEVICE (or EXIT_BAD_INPUT) on failure. */
int open_imr(const struct cvm_imr_options *o, cvm_imr **ret);

/* "sim" backends are labelled in every output: the prefix for text lines. */
const char *sim_label(const cvm_imr *imr);

#define _cleanup_(f) __attribute__((cleanup(f)))

static inline void eventlog_freep(cvm_eventlog **p) {
        cvm_eventlog_free(*p);
}
static inline void replay_freep(cvm_replay **p) {
        cvm_replay_free(*p);
}
static inline void quote_freep(struct cvm_quote **p) {
        cvm_quote_free(*p);
}
static inline void platform_freep(struct cvm_platform_log **p) {
        cvm_platform_log_free(*p);
}
static inline void report_freep(struct cvm_report **p) {
        cvm_report_free(*p);
}
static inline void freep(void *p) {
        free(*(void **) p);
}
static inline void json_putp(struct json_object **p) {
        json_object_put(*p);
}

extern const char *program_name;

/* "cvm-evidence: " + message on stderr. */
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Parse --format's argument; prints the error and returns -1 on a bad word. */
int parse_format(const char *arg, enum cvm_log_format *ret);

/* Parse an unsigned count/start/index argument (cvm_parse_uint: digits only); -1 after printing on a bad one. */
int parse_size(const char *opt, const char *arg, size_t *ret);

/* Load a log, printing its warnings on stderr; returns EXIT_OK, or EXIT_BAD_INPUT after printing. */
int load_log(const char *path, enum cvm_log_format fmt, cvm_eventlog **ret);

/* Write buf to path through a temporary file and a rename; -1 after printing the error. */
int write_file_atomic(const char *path, const void *buf, size_t len);

/* Pretty JSON on stdout, newline-terminated. */
void print_json(struct json_object *o);

/* A JSON object's members as "key: value" lines, indented; for human-readable output. */
void print_object_text(struct json_object *o, int indent);

int cmd_eventlog(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_measurements(int argc, char **argv);
int cmd_extend(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_parse_quote(int argc, char **argv);
int cmd_quote(int argc, char **argv);
int cmd_recover(int argc, char **argv);
