/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Private to libcvm: the log's representation and the helpers its parsers share. */

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "cvm/eventlog.h"

#define CVM_LOG_MAX_ALGS 16
/* Files larger than this are refused: real firmware logs are < 1 MiB, IMA lists < 100 MiB. */
#define CVM_INPUT_MAX ((size_t) 512 << 20)
/* A TDX quote with its certificate chain is < 16 KiB, a TPM2 quote < 4 KiB: 1 MiB leaves room and refuses junk at once. */
#define CVM_QUOTE_MAX ((size_t) 1 << 20)

#define _cleanup_(f) __attribute__((cleanup(f)))

static inline void freep(void *p) {
        free(*(void **) p);
}
#define _cleanup_free_ _cleanup_(freep)

/* A --sysroot as a path prefix: NULL and "/" are the real root, "". */
static inline const char *sysroot_prefix(const char *sysroot) {
        return sysroot && strcmp(sysroot, "/") != 0 ? sysroot : "";
}

/* A bounds-checked little-endian cursor over untrusted bytes. */
struct reader {
        const uint8_t *buf;
        size_t len;
        size_t off;
};

static inline size_t rd_left(const struct reader *r) {
        return r->len - r->off;
}

static inline bool rd_has(const struct reader *r, size_t n) {
        return rd_left(r) >= n;
}

/* Callers check rd_has() first; these never read past len. */
static inline uint8_t rd_u8(struct reader *r) {
        return r->buf[r->off++];
}

static inline uint16_t rd_u16(struct reader *r) {
        uint16_t v = (uint16_t) (r->buf[r->off] | r->buf[r->off + 1] << 8);
        r->off += 2;
        return v;
}

static inline uint32_t rd_u32(struct reader *r) {
        const uint8_t *p = r->buf + r->off;
        r->off += 4;
        return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 | (uint32_t) p[3] << 24;
}

static inline uint64_t rd_u64(struct reader *r) {
        uint64_t lo = rd_u32(r);
        return lo | (uint64_t) rd_u32(r) << 32;
}

static inline const uint8_t *rd_bytes(struct reader *r, size_t n) {
        const uint8_t *p = r->buf + r->off;
        r->off += n;
        return p;
}

static inline uint32_t le32(const uint8_t *p) {
        return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 | (uint32_t) p[3] << 24;
}

static inline uint16_t le16(const uint8_t *p) {
        return (uint16_t) (p[0] | p[1] << 8);
}

static inline uint64_t le64(const uint8_t *p) {
        return (uint64_t) le32(p) | (uint64_t) le32(p + 4) << 32;
}

static inline void put_le16(uint8_t *p, uint16_t v) {
        p[0] = (uint8_t) v;
        p[1] = (uint8_t) (v >> 8);
}

static inline void put_le32(uint8_t *p, uint32_t v) {
        for (int i = 0; i < 4; i++)
                p[i] = (uint8_t) (v >> (8 * i));
}

/* Memory that lives as long as the log: events' digests and decoded data. */
struct arena_chunk {
        struct arena_chunk *next;
        size_t used, cap;
        max_align_t data[];
};

struct cvm_eventlog {
        enum cvm_log_format format;
        enum cvm_reg_space space;
        uint8_t *raw;                  /* owned copy of the input; events point into it */
        size_t raw_len;
        struct cvm_event *events;
        size_t nevents, cap;
        struct cvm_log_alg algs[CVM_LOG_MAX_ALGS];
        size_t nalgs;
        int startup_locality;          /* -1: none in the log */
        char **warnings;
        size_t nwarnings;
        bool truncated;
        struct arena_chunk *arena;
};

/* A new empty log; raw (may be NULL) is taken over. */
cvm_eventlog *log_new(enum cvm_log_format fmt, enum cvm_reg_space space, uint8_t *raw, size_t raw_len);

/* A zeroed event appended to the log, with recnum set; NULL on allocation failure. */
struct cvm_event *log_add_event(cvm_eventlog *log);

/* Append a formatted string to a vector of n strings; allocation failures drop it (it holds warnings, which are advisory). */
void strv_appendv(char ***v, size_t *n, const char *fmt, va_list ap) __attribute__((format(printf, 3, 0)));
void strv_free(char **v, size_t n);

/* Record a warning in the log. */
void log_warn(cvm_eventlog *log, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Memory owned by the log, zeroed; NULL on allocation failure. */
void *log_alloc(cvm_eventlog *log, size_t size);
void *log_memdup(cvm_eventlog *log, const void *p, size_t size);
char *log_strndup(cvm_eventlog *log, const char *s, size_t n);

/* If ev is a StartupLocality EV_NO_ACTION on PCR0, remember its locality for replay (PFP 10.4.5.3). */
void log_note_startup_locality(cvm_eventlog *log, const struct cvm_event *ev);

/* The declared size of alg in the log, or -1. */
int log_alg_size(const cvm_eventlog *log, uint16_t alg);

/* Per-format parsers: fill log (which owns raw) or fail with a message naming the offset. */
int tcg2_parse(cvm_eventlog *log, cvm_error *err);
int tcg12_parse(cvm_eventlog *log, cvm_error *err);
int ima_ascii_parse(cvm_eventlog *log, cvm_error *err);
int ima_binary_parse(cvm_eventlog *log, cvm_error *err);
int cel_tlv_parse(cvm_eventlog *log, cvm_error *err);

typedef struct evp_md_ctx_st EVP_MD_CTX;

typedef struct evp_md_st EVP_MD;

/* The OpenSSL digest of a TCG algorithm id (fetched once, cached); NULL if OpenSSL lacks it. */
const EVP_MD *alg_md(uint16_t alg);

/* cvm_digest / cvm_extend on a caller's context (NULL: a fresh one), so hot loops skip an allocation per hash. */
int digest_ctx(EVP_MD_CTX *ctx, uint16_t alg, const void *data, size_t len, uint8_t *out, cvm_error *err);
int extend_ctx(EVP_MD_CTX *ctx, uint16_t alg, uint8_t *reg, const uint8_t *digest, cvm_error *err);

/* "a FIFO", "a directory", ...: what a non-regular file is, for messages. */
const char *file_type_name(mode_t m);

/* Open an input file: non-blocking, regular files only, at most max bytes by its size; the fd or <0 with a message. */
int open_input(const char *path, size_t max, cvm_error *err);

/* The rest of fd into a malloc'ed buffer, refused past max bytes (sysfs files report no size); path names it in messages. */
int read_fd(int fd, const char *path, size_t max, uint8_t **ret, size_t *ret_len, cvm_error *err);

/* open_input + read_fd: every input file libcvm reads goes through here. */
int read_file(const char *path, size_t max, uint8_t **ret, size_t *ret_len, cvm_error *err);

/* Bytes of a TCG2 log's SHA-1-shaped header record (32 fixed + its event size); buf holds at least 32. */
static inline size_t tcg2_header_size(const uint8_t *buf) {
        return 32 + (size_t) le32(buf + 28);
}

struct cvm_platform_log_options;
struct cvm_platform_log;

/* cvm_platform_log_load with runtime (taken over; NULL: loaded from o->runtime_log) as the runtime log. */
int platform_log_load_with(const struct cvm_platform_log_options *o, cvm_eventlog *runtime, struct cvm_platform_log **ret,
                           cvm_error *err);

/* True if buf starts a TCG2 header record whose data is a Spec ID Event03. */
bool tcg2_has_spec_id(const uint8_t *buf, size_t len);
