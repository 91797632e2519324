/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cvm/digest.h"
#include "cvm/encoding.h"
#include "cvm/platform.h"
#include "cvm/replay.h"
#include "cvm/runtime.h"
#include "imr_internal.h"

static void marker_path(const char *log_path, char *buf, size_t size) {
        snprintf(buf, size, "%s.dirty", log_path);
}

/* A dirty marker's first line (the pending event) into what; "" if it cannot be read. */
static void marker_text(const char *marker, char *what, size_t size) {
        FILE *f = fopen(marker, "re");

        what[0] = '\0';
        if (f) {
                if (!fgets(what, (int) size, f))
                        what[0] = '\0';
                fclose(f);
                what[strcspn(what, "\n")] = '\0';
        }
}

static int dirty_error(const char *marker, cvm_error *err) {
        char what[256];

        marker_text(marker, what, sizeof(what));
        return cvm_error_set(err, EUCLEAN, "%s exists: a writer died between extending a register and appending "
                             "its event (%s); the runtime log may not match the registers (see 'cvm-evidence recover')",
                             marker, what);
}

/* The header of an existing log must declare the IMR's space and banks. */
static int check_header(int fd, const char *path, const cvm_eventlog *want, cvm_error *err) {
        uint8_t head[512];
        const struct cvm_log_alg *a, *b;
        cvm_eventlog *log = NULL;
        ssize_t n = pread(fd, head, sizeof(head), 0);
        size_t hlen, na, nb;
        int r;

        if (n < 32 || !tcg2_has_spec_id(head, (size_t) n))
                return cvm_error_set(err, EBADMSG, "%s: offset 0: not a TCG2 runtime log (no Spec ID header)", path);
        hlen = tcg2_header_size(head);
        if (hlen > (size_t) n)
                return cvm_error_set(err, EBADMSG, "%s: offset 28: Spec ID header of %zu bytes is too large", path, hlen);
        r = cvm_eventlog_parse(head, hlen, cvm_eventlog_space(want) == CVM_SPACE_CCMR ? CVM_LOG_CCEL : CVM_LOG_TCG2, &log, err);
        if (r < 0)
                return cvm_error_prefix(err, "%s: ", path);
        na = cvm_eventlog_algs(log, &a);
        nb = cvm_eventlog_algs(want, &b);
        r = na == nb && memcmp(a, b, na * sizeof(*a)) == 0 ? 0
            : cvm_error_set(err, EBADMSG, "%s: its banks differ from the registers' banks; it belongs to another platform", path);
        cvm_eventlog_free(log);
        return r;
}

/* The TCG2 bytes of one event record (header stripped), from a scratch log of the IMR's banks. */
static int encode_record(cvm_eventlog *scratch, uint32_t index, uint32_t type, const struct cvm_event_digest *d, size_t n,
                         const void *data, size_t len, uint8_t **rec, size_t *rec_len, size_t *hdr_len, cvm_error *err) {
        uint8_t *buf;
        size_t total;
        int r;

        r = cvm_eventlog_append(scratch, index, type, d, n, data, len, err);
        if (r < 0)
                return r;
        r = cvm_eventlog_write_tcg2(scratch, &buf, &total, err);
        if (r < 0)
                return r;
        *hdr_len = tcg2_header_size(buf);
        *rec = buf;
        *rec_len = total;
        return 0;
}

/*
 * Open (creating it if absent) the log to extend, locked exclusively: a
 * regular file or nothing, never a FIFO or a device (the event must be able to
 * land before the register moves).  *created says whether this call made it,
 * so a failed extend removes it again.
 */
static int open_log_locked(const char *log_path, bool *created, cvm_error *err) {
        char dir[4096];
        struct stat st, now;
        int fd, r;

        snprintf(dir, sizeof(dir), "%s", log_path);
        dirname(dir);
        for (;;) {
                *created = true;
                fd = open(log_path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
                if (fd < 0 && errno == ENOENT && mkdir(dir, 0755) == 0)
                        continue;   /* the default /run/cvm/ on a first boot */
                if (fd < 0 && errno == EEXIST) {
                        *created = false;
                        fd = open(log_path, O_RDWR | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
                }
                if (fd < 0 && errno == EISDIR)
                        return cvm_error_set(err, EISDIR, "%s: a directory, expected a regular file as the runtime log", log_path);
                if (fd < 0)
                        return cvm_error_set(err, errno, "%s: cannot open the runtime log: %s", log_path,
                                             errno == ELOOP ? "it is a symbolic link" : strerror(errno));
                if (fstat(fd, &st) < 0)
                        r = cvm_error_set(err, errno, "%s: cannot stat: %s", log_path, strerror(errno));
                else if (!S_ISREG(st.st_mode))
                        r = cvm_error_set(err, EINVAL, "%s: %s, expected a regular file as the runtime log", log_path,
                                          file_type_name(st.st_mode));
                else if (access(dir, W_OK) < 0)
                        r = cvm_error_set(err, errno, "%s: cannot write the dirty marker beside the log: %s", dir, strerror(errno));
                else if (flock(fd, LOCK_EX) < 0)
                        r = cvm_error_set(err, errno, "%s: cannot lock: %s", log_path, strerror(errno));
                /* A writer whose extend failed removed the log it had created: lock the file that is there now. */
                else if (stat(log_path, &now) == 0 && now.st_dev == st.st_dev && now.st_ino == st.st_ino)
                        return fd;
                else
                        r = 0;
                if (r < 0 && *created)
                        unlink(log_path);
                close(fd);
                if (r < 0)
                        return r;
        }
}

/*
 * Under the exclusive lock on fd: refuse a dirty log or one of other banks,
 * and say how much of the encoded record to append (a new, empty log gets
 * the Spec ID header with its first event, in one write).
 */
static int prepare_append(int fd, const char *log_path, const char *marker, const cvm_eventlog *scratch, size_t hdr_len,
                          size_t *skip, cvm_error *err) {
        struct stat st;

        if (fstat(fd, &st) < 0)
                return cvm_error_set(err, errno, "%s: cannot stat: %s", log_path, strerror(errno));
        if (access(marker, F_OK) == 0)
                return dirty_error(marker, err);
        *skip = st.st_size == 0 ? 0 : hdr_len;
        return *skip ? check_header(fd, log_path, scratch, err) : 0;
}

int cvm_runtime_extend(cvm_imr *imr, const char *log_path, uint32_t index, uint32_t type,
                       const void *data, size_t len, const struct cvm_event_digest *digests, size_t ndigests,
                       cvm_error *err) {
        struct cvm_log_alg algs[CVM_LOG_MAX_ALGS];
        struct cvm_event_digest own[CVM_LOG_MAX_ALGS];
        uint8_t hashes[CVM_LOG_MAX_ALGS][CVM_DIGEST_MAX], *rec = NULL;
        const uint16_t *banks;
        char marker[4096], hex[2 * CVM_DIGEST_MAX + 1];
        size_t nbanks = cvm_imr_banks(imr, &banks), rec_len, hdr_len, skip;
        cvm_eventlog *scratch = NULL;
        bool created;
        int fd, mfd, r;

        for (size_t i = 0; i < nbanks; i++)
                algs[i] = (struct cvm_log_alg) { banks[i], (uint16_t) cvm_alg_size(banks[i]) };
        if (!digests) {
                for (size_t i = 0; i < nbanks; i++) {
                        r = cvm_digest(banks[i], data, len, hashes[i], err);
                        if (r < 0)
                                return r;
                        own[i] = (struct cvm_event_digest) { banks[i], algs[i].size, hashes[i] };
                }
                digests = own;
                ndigests = nbanks;
        }
        /* Everything the device would refuse is refused before the log is touched. */
        if ((r = imr_check_extend(imr, index, digests, ndigests, err)) < 0)
                return r;
        if (snprintf(marker, sizeof(marker), "%s.dirty", log_path) >= (int) sizeof(marker))
                return cvm_error_set(err, ENAMETOOLONG, "%s: path too long", log_path);
        r = cvm_eventlog_new_tcg2(cvm_imr_space(imr), algs, nbanks, &scratch, err);
        if (r < 0)
                return r;
        r = encode_record(scratch, index, type, digests, ndigests, data, len, &rec, &rec_len, &hdr_len, err);
        if (r < 0)
                goto out_scratch;

        fd = open_log_locked(log_path, &created, err);
        if (fd < 0) {
                r = fd;
                goto out_rec;
        }
        if ((r = prepare_append(fd, log_path, marker, scratch, hdr_len, &skip, err)) < 0)
                goto out_fd;

        mfd = open(marker, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (mfd < 0) {
                r = cvm_error_set(err, errno, "%s: cannot create the dirty marker: %s", marker, strerror(errno));
                goto out_fd;
        }
        dprintf(mfd, "index %u type 0x%08x %s %s\n", index, type, cvm_alg_name(digests[0].alg),
                cvm_hex(digests[0].bytes, digests[0].size, hex));
        if (fsync(mfd) < 0 || close(mfd) < 0) {
                r = cvm_error_set(err, errno, "%s: cannot write the dirty marker: %s", marker, strerror(errno));
                unlink(marker);
                goto out_fd;
        }
        r = cvm_imr_extend(imr, index, digests, ndigests, err);
        if (r < 0) {
                unlink(marker);     /* nothing was extended: the log is still exact */
                goto out_fd;
        }
        if (lseek(fd, 0, SEEK_END) < 0 || (r = write_all(fd, rec + skip, rec_len - skip, NULL, NULL)) < 0 || fsync(fd) < 0) {
                /* Extended but not logged: the marker stays, so readers learn the log is short. */
                r = cvm_error_set(err, r < 0 ? -r : errno, "%s: register extended but the event could not be appended: %s",
                                  log_path, strerror(r < 0 ? -r : errno));
                created = false;
                goto out_fd;
        }
        created = false;
        if (unlink(marker) < 0)
                r = cvm_error_set(err, errno, "%s: cannot remove the dirty marker: %s", marker, strerror(errno));
out_fd:
        /* Still under the lock: a log this call created and never wrote goes, so a failure leaves nothing behind. */
        if (created)
                unlink(log_path);
        close(fd);
out_rec:
        free(rec);
out_scratch:
        cvm_eventlog_free(scratch);
        return r < 0 ? r : 0;
}

int cvm_runtime_note(const char *log_path, enum cvm_reg_space space, const uint16_t *banks, size_t nbanks,
                     const void *data, size_t len, cvm_error *err) {
        static const uint8_t zero[CVM_DIGEST_MAX];
        struct cvm_log_alg algs[CVM_LOG_MAX_ALGS];
        struct cvm_event_digest d[CVM_LOG_MAX_ALGS];
        char marker[4096];
        uint8_t *rec = NULL;
        size_t rec_len, hdr_len, skip;
        cvm_eventlog *scratch = NULL;
        bool created;
        int fd, r;

        if (nbanks == 0 || nbanks > CVM_LOG_MAX_ALGS)
                return cvm_error_set(err, EINVAL, "a runtime log needs 1 to %d banks, not %zu", CVM_LOG_MAX_ALGS, nbanks);
        if (snprintf(marker, sizeof(marker), "%s.dirty", log_path) >= (int) sizeof(marker))
                return cvm_error_set(err, ENAMETOOLONG, "%s: path too long", log_path);
        /* EV_NO_ACTION carries zero digests (TCG PFP): nothing is extended, so replay skips it. */
        for (size_t i = 0; i < nbanks; i++) {
                algs[i] = (struct cvm_log_alg) { banks[i], (uint16_t) cvm_alg_size(banks[i]) };
                d[i] = (struct cvm_event_digest) { banks[i], algs[i].size, zero };
        }
        r = cvm_eventlog_new_tcg2(space, algs, nbanks, &scratch, err);
        if (r < 0)
                return r;
        r = encode_record(scratch, 0, CVM_EV_NO_ACTION, d, nbanks, data, len, &rec, &rec_len, &hdr_len, err);
        if (r < 0)
                goto out_scratch;
        fd = open_log_locked(log_path, &created, err);
        if (fd < 0) {
                r = fd;
                goto out_rec;
        }
        if ((r = prepare_append(fd, log_path, marker, scratch, hdr_len, &skip, err)) == 0) {
                if (lseek(fd, 0, SEEK_END) < 0 || (r = write_all(fd, rec + skip, rec_len - skip, NULL, NULL)) < 0 || fsync(fd) < 0)
                        r = cvm_error_set(err, r < 0 ? -r : errno, "%s: cannot append the event: %s", log_path,
                                          strerror(r < 0 ? -r : errno));
                else
                        created = false;
        }
        if (created)
                unlink(log_path);
        close(fd);
out_rec:
        free(rec);
out_scratch:
        cvm_eventlog_free(scratch);
        return r < 0 ? r : 0;
}

int cvm_runtime_log_load(const char *log_path, cvm_eventlog **ret, cvm_error *err) {
        char marker[4096];
        uint8_t *buf = NULL;
        size_t len;
        int fd, r;

        fd = open_input(log_path, CVM_INPUT_MAX, err);
        if (fd < 0)
                return fd;
        /* Waits for a writer in the middle of an extend. */
        if (flock(fd, LOCK_SH) < 0) {
                r = cvm_error_set(err, errno, "%s: cannot lock: %s", log_path, strerror(errno));
                close(fd);
                return r;
        }
        marker_path(log_path, marker, sizeof(marker));
        if (access(marker, F_OK) == 0) {
                close(fd);
                return dirty_error(marker, err);
        }
        r = read_fd(fd, log_path, CVM_INPUT_MAX, &buf, &len, err);
        close(fd);
        if (r < 0)
                return r;
        r = cvm_eventlog_parse(buf, len, CVM_LOG_AUTO, ret, err);
        free(buf);
        return r < 0 ? cvm_error_prefix(err, "%s: ", log_path) : 0;
}

/* The first register that differs, as the error of a recover that keeps the marker. */
static int disagree_error(const cvm_imr *imr, const struct cvm_register_check *c, size_t n, const char *log_path,
                          const char *marker, cvm_error *err) {
        char name[CVM_REG_NAME_MAX], live[2 * CVM_DIGEST_MAX + 1], rep[2 * CVM_DIGEST_MAX + 1], what[256];

        for (size_t i = 0; i < n; i++) {
                if (c[i].match)
                        continue;
                marker_text(marker, what, sizeof(what));
                return cvm_error_set(err, EUCLEAN, "%s: %s %s is %s live, but this boot's logs replay to %s: the log does not "
                                     "match the registers, so %s stays (pending event: %s)", log_path,
                                     cvm_register_name(cvm_imr_space(imr), c[i].index, name), cvm_alg_name(c[i].alg),
                                     cvm_hex(c[i].live, c[i].size, live), cvm_hex(c[i].replayed, c[i].size, rep), marker, what);
        }
        return 0;
}

/* The dirty log's check, under the caller's exclusive lock on fd: 0 the registers agree, else <0 with a message. */
static int check_dirty(cvm_imr *imr, int fd, const char *log_path, const char *sysroot, const char *marker, cvm_error *err) {
        struct cvm_platform_log_options po = { cvm_imr_space(imr), sysroot, log_path };
        struct cvm_platform_log *pl = NULL;
        struct cvm_register_check *c = NULL;
        cvm_eventlog *log = NULL;
        cvm_replay *rp = NULL;
        const uint16_t *banks;
        size_t nbanks = cvm_imr_banks(imr, &banks), n = 0, len;
        uint8_t *buf = NULL;
        int r;

        if ((r = read_fd(fd, log_path, CVM_INPUT_MAX, &buf, &len, err)) < 0)
                return r;
        r = cvm_eventlog_parse(buf, len, CVM_LOG_AUTO, &log, err);
        free(buf);
        if (r < 0)
                return cvm_error_prefix(err, "%s: ", log_path);
        if ((r = platform_log_load_with(&po, log, &pl, err)) < 0)
                return r;
        r = cvm_replay_new(banks, nbanks, &rp, err);
        for (size_t i = 0; r >= 0 && i < pl->nlogs; i++)
                if ((r = cvm_replay_add_log(rp, pl->logs[i], err)) < 0)
                        r = cvm_error_prefix(err, "%s: ", pl->paths[i]);
        if (r >= 0 && (r = cvm_replay_check(rp, imr, &c, &n, err)) > 0)
                r = disagree_error(imr, c, n, log_path, marker, err);
        free(c);
        cvm_replay_free(rp);
        cvm_platform_log_free(pl);
        return r;
}

int cvm_runtime_recover(cvm_imr *imr, const char *log_path, const char *sysroot, cvm_error *err) {
        char marker[4096];
        int fd, r;

        if (snprintf(marker, sizeof(marker), "%s.dirty", log_path) >= (int) sizeof(marker))
                return cvm_error_set(err, ENAMETOOLONG, "%s: path too long", log_path);
        fd = open_input(log_path, CVM_INPUT_MAX, err);
        if (fd < 0)
                return fd;
        /* Exclusive: no writer extends while the registers are compared, and none sees the marker go half-way. */
        if (flock(fd, LOCK_EX) < 0) {
                r = cvm_error_set(err, errno, "%s: cannot lock: %s", log_path, strerror(errno));
        } else if (access(marker, F_OK) < 0) {
                r = 0;
        } else if ((r = check_dirty(imr, fd, log_path, sysroot, marker, err)) == 0) {
                r = unlink(marker) < 0 ? cvm_error_set(err, errno, "%s: cannot remove: %s", marker, strerror(errno)) : 1;
        }
        close(fd);
        return r;
}
