/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include <json-c/json.h>

#include "backend.h"
#include "cvm/cvm.h"
#include "cvmbase/base.h"

/* Exit codes of every cvm-evidence command (README "Exit codes"). */
enum {
        EXIT_OK = 0,
        EXIT_USAGE = 1,
        EXIT_BAD_INPUT = 2,
        EXIT_MISMATCH = 3,
        EXIT_NO_DEVICE = 4,
};

#define EXIT_BIT(n) (1u << (n))

/* The tool: its name, version and the exit-code table above, for every command's --help. */
extern const struct opt_tool evidence_tool;

static inline void imr_freep(cvm_imr **p) {
        cvm_imr_close(*p);
}

/* Open the backend; prints why not and returns EXIT_NO_DEVICE (or EXIT_BAD_INPUT) on failure. */
int open_imr(const struct cvm_imr_options *o, cvm_imr **ret);

/* "sim" backends are labelled in every output: the prefix for text lines. */
const char *sim_label(const cvm_imr *imr);

/*
 * Parse argv by cmd's table: -1 to go on with the operands at argv[*ind], else
 * the exit code to return now (EXIT_OK after --help or -V, EXIT_USAGE after
 * printing a usage error).
 */
int parse_command(const struct opt_command *cmd, int argc, char **argv, void *args, int *ind);

/* The same for a command that takes no operands. */
int parse_no_operands(const struct opt_command *cmd, int argc, char **argv, void *args);

/* parse_no_operands, then open the backend the options in *o select: -1 to go on with *imr, else the exit code. */
int parse_and_open(const struct opt_command *cmd, int argc, char **argv, void *args, const struct cvm_imr_options *o,
                   cvm_imr **imr);

/* Option parsers (struct opt's parse) shared by the commands; each prints why on a bad argument. */
int opt_log_format(const struct opt *o, const char *arg, void *field);     /* enum cvm_log_format */
int opt_size(const struct opt *o, const char *arg, void *field);           /* size_t, digits only */
int opt_alg(const struct opt *o, const char *arg, void *field);            /* uint16_t, a known algorithm */

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
static inline void json_putp(struct json_object **p) {
        json_object_put(*p);
}

/* Load a log, printing its warnings on stderr; returns EXIT_OK, or EXIT_BAD_INPUT after printing. */
int load_log(const char *path, enum cvm_log_format fmt, cvm_eventlog **ret);

/* Write log as a TCG2 log into a new file at path (never over an existing one); EXIT_OK, or EXIT_BAD_INPUT after printing. */
int save_log(const cvm_eventlog *log, const char *path);

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
int cmd_reference_values(int argc, char **argv);
int cmd_mrtd(int argc, char **argv);
int cmd_pcr7(int argc, char **argv);
int cmd_cc_map(int argc, char **argv);
int cmd_boot_chain(int argc, char **argv);
int cmd_pe_digest(int argc, char **argv);
