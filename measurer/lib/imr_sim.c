/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The sim backend: a file-backed register set with the hardware's extend
 * arithmetic, for tests and dry runs.  The state file is text:
 *
 *   # cvmkit SIMULATED measurement registers (not a TEE, not a TPM)
 *   space cc-mr
 *   banks sha384
 *   1 sha384 <hex>
 *
 * Extends take an exclusive flock and rewrite the file in place (a rename
 * would let a waiting writer lock the old inode and lose an update).  A new
 * file is filled under a temporary name and linked into place, so no reader
 * ever sees it empty.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cvm/digest.h"
#include "cvm/encoding.h"
#include "imr_internal.h"

#define SIM_DEFAULT_STATE "/run/cvm/sim-registers"
#define STATE_MAX (64 * 1024)

struct sim {
        char path[PATH_MAX];
        uint8_t value[CVM_PCR_MAX][CVM_LOG_MAX_ALGS][CVM_DIGEST_MAX];
};

static int bank_slot(const cvm_imr *imr, uint16_t alg) {
        for (size_t i = 0; i < imr->nbanks; i++)
                if (imr->banks[i] == alg)
                        return (int) i;
        return -1;
}

static int save(cvm_imr *imr, int fd, cvm_error *err) {
        struct sim *s = imr->priv;
        char *buf = malloc(STATE_MAX), hex[2 * CVM_DIGEST_MAX + 1];
        size_t n = 0;

        if (!buf)
                return cvm_error_set(err, ENOMEM, "out of memory");
        n += (size_t) snprintf(buf + n, STATE_MAX - n, "# cvmkit SIMULATED measurement registers (not a TEE, not a TPM)\n"
                               "space %s\nbanks", cvm_reg_space_name(imr->space));
        for (size_t b = 0; b < imr->nbanks; b++)
                n += (size_t) snprintf(buf + n, STATE_MAX - n, " %s", cvm_alg_name(imr->banks[b]));
        n += (size_t) snprintf(buf + n, STATE_MAX - n, "\n");
        for (uint32_t i = 0; i < imr->count; i++)
                for (size_t b = 0; b < imr->nbanks; b++)
                        n += (size_t) snprintf(buf + n, STATE_MAX - n, "%u %s %s\n", i, cvm_alg_name(imr->banks[b]),
                                               cvm_hex(s->value[i][b], (size_t) cvm_alg_size(imr->banks[b]), hex));
        if (pwrite(fd, buf, n, 0) != (ssize_t) n || ftruncate(fd, (off_t) n) < 0 || fsync(fd) < 0) {
                free(buf);
                return cvm_error_set(err, errno, "%s: cannot write the simulated registers: %s", s->path, strerror(errno));
        }
        free(buf);
        return 0;
}

static int load(cvm_imr *imr, int fd, cvm_error *err) {
        struct sim *s = imr->priv;
        char *buf = calloc(1, STATE_MAX + 1), *save_ptr = NULL;
        ssize_t n = pread(fd, buf, STATE_MAX, 0);
        size_t lineno = 0;

        if (!buf)
                return cvm_error_set(err, ENOMEM, "out of memory");
        if (n < 0) {
                free(buf);
                return cvm_error_set(err, errno, "%s: read failed: %s", s->path, strerror(errno));
        }
        imr->nbanks = 0;
        for (char *line = strtok_r(buf, "\n", &save_ptr); line; line = strtok_r(NULL, "\n", &save_ptr)) {
                char a[32], h[2 * CVM_DIGEST_MAX + 2], *tok, *tp = NULL;
                unsigned idx;
                uint16_t alg;
                int slot;

                lineno++;
                if (line[0] == '#')
                        continue;
                if (strncmp(line, "space ", 6) == 0) {
                        imr->space = strcmp(line + 6, "cc-mr") == 0 ? CVM_SPACE_CCMR : CVM_SPACE_PCR;
                        imr->count = imr->space == CVM_SPACE_CCMR ? CVM_CCMR_MAX : CVM_PCR_MAX;
                        continue;
                }
                if (strncmp(line, "banks", 5) == 0) {
                        for (tok = strtok_r(line + 5, " ", &tp); tok && imr->nbanks < CVM_LOG_MAX_ALGS; tok = strtok_r(NULL, " ", &tp)) {
                                if (cvm_alg_from_name(tok, &alg) < 0 || cvm_alg_size(alg) < 0)
                                        goto bad;
                                imr->banks[imr->nbanks++] = alg;
                        }
                        continue;
                }
                if (sscanf(line, "%u %31s %129s", &idx, a, h) != 3 || idx >= imr->count ||
                    cvm_alg_from_name(a, &alg) < 0 || (slot = bank_slot(imr, alg)) < 0 ||
                    cvm_unhex(h, s->value[idx][slot], CVM_DIGEST_MAX) != cvm_alg_size(alg))
                        goto bad;
        }
        free(buf);
        if (imr->nbanks == 0 || imr->count == 0)
                return cvm_error_set(err, EBADMSG, "%s: not a simulated register file (no space or banks line)", s->path);
        return 0;
bad:
        free(buf);
        return cvm_error_set(err, EBADMSG, "%s: line %zu: expected 'INDEX ALG HEX' for a known register and bank", s->path, lineno);
}

/* Open and lock the state file; the caller closes the fd (which drops the lock). */
static int lock_state(cvm_imr *imr, int how, cvm_error *err) {
        struct sim *s = imr->priv;
        int fd = open(s->path, O_RDWR | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        struct stat st;

        if (fd < 0)
                return cvm_error_set(err, errno, "%s: cannot open: %s", s->path, strerror(errno));
        if (fstat(fd, &st) < 0) {
                int e = errno;
                close(fd);
                return cvm_error_set(err, e, "%s: cannot stat: %s", s->path, strerror(e));
        }
        if (!S_ISREG(st.st_mode)) {
                close(fd);
                return cvm_error_set(err, EINVAL, "%s: %s, expected a regular file of simulated registers", s->path,
                                     file_type_name(st.st_mode));
        }
        if (flock(fd, how) < 0) {
                int e = errno;
                close(fd);
                return cvm_error_set(err, e, "%s: cannot lock: %s", s->path, strerror(e));
        }
        return fd;
}

static int sim_read(cvm_imr *imr, uint32_t index, uint16_t alg, uint8_t *out, cvm_error *err) {
        struct sim *s = imr->priv;
        int fd = lock_state(imr, LOCK_SH, err), r;

        if (fd < 0)
                return fd;
        r = load(imr, fd, err);
        close(fd);
        if (r < 0)
                return r;
        memcpy(out, s->value[index][bank_slot(imr, alg)], (size_t) cvm_alg_size(alg));
        return 0;
}

static int sim_extend(cvm_imr *imr, uint32_t index, const struct cvm_event_digest *digests, size_t n, cvm_error *err) {
        struct sim *s = imr->priv;
        int fd, r;

        fd = lock_state(imr, LOCK_EX, err);
        if (fd < 0)
                return fd;
        r = load(imr, fd, err);
        for (size_t i = 0; r >= 0 && i < n; i++) {
                int slot = bank_slot(imr, digests[i].alg);
                r = slot < 0 ? cvm_error_set(err, EINVAL, "%s: bank %s vanished from the state file", s->path,
                                             cvm_alg_name(digests[i].alg))
                             : cvm_extend(digests[i].alg, s->value[index][slot], digests[i].bytes, err);
        }
        if (r >= 0)
                r = save(imr, fd, err);
        close(fd);
        return r;
}

static void sim_close(cvm_imr *imr) {
        free(imr->priv);
}

static const struct imr_ops sim_ops = {
        .read = sim_read,
        .extend = sim_extend,
        .close = sim_close,
};

static int create_state(cvm_imr *imr, const struct cvm_imr_options *o, cvm_error *err) {
        struct sim *s = imr->priv;
        char tmp[PATH_MAX + 8];
        int fd, r;

        imr->space = o->sim_space;
        imr->count = o->sim_space == CVM_SPACE_CCMR ? CVM_CCMR_MAX : CVM_PCR_MAX;
        if (o->sim_nbanks) {
                if (o->sim_nbanks > CVM_LOG_MAX_ALGS)
                        return cvm_error_set(err, EINVAL, "at most %d banks", CVM_LOG_MAX_ALGS);
                for (size_t i = 0; i < o->sim_nbanks; i++) {
                        if (!cvm_alg_supported(o->sim_banks[i]))
                                return cvm_error_set(err, EINVAL, "bank 0x%04x cannot be simulated here", o->sim_banks[i]);
                        imr->banks[i] = o->sim_banks[i];
                }
                imr->nbanks = o->sim_nbanks;
        } else {
                imr->banks[0] = o->sim_space == CVM_SPACE_CCMR ? CVM_ALG_SHA384 : CVM_ALG_SHA256;
                imr->nbanks = 1;
        }
        for (uint32_t i = 0; i < imr->count; i++)
                for (size_t b = 0; b < imr->nbanks; b++)
                        memset(s->value[i][b], cvm_register_reset_byte(imr->space, i), CVM_DIGEST_MAX);
        if (access(s->path, F_OK) == 0)
                return 0;
        /* Filled under a temporary name, then linked into place: nobody ever opens a state file that is empty or half written. */
        if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", s->path) >= (int) sizeof(tmp))
                return cvm_error_set(err, ENAMETOOLONG, "%s: path too long", s->path);
        fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0)
                return cvm_error_set(err, errno, "%s: cannot create: %s", s->path, strerror(errno));
        r = fchmod(fd, 0644) < 0 ? cvm_error_set(err, errno, "%s: %s", tmp, strerror(errno)) : save(imr, fd, err);
        close(fd);
        /* EEXIST: another process linked its state first; both hold the same reset values, and theirs is used. */
        if (r >= 0 && link(tmp, s->path) < 0 && errno != EEXIST)
                r = cvm_error_set(err, errno, "%s: cannot create: %s", s->path, strerror(errno));
        unlink(tmp);
        return r;
}

int imr_sim_open(cvm_imr *imr, const struct cvm_imr_options *o, cvm_error *err) {
        const char *path = o->sim_state && *o->sim_state ? o->sim_state : getenv("CVM_SIM_STATE");
        struct sim *s = calloc(1, sizeof(*s));
        int fd, r;

        if (!s)
                return cvm_error_set(err, ENOMEM, "out of memory");
        snprintf(s->path, sizeof(s->path), "%s", path && *path ? path : SIM_DEFAULT_STATE);
        imr->priv = s;
        imr->ops = &sim_ops;
        imr->backend = CVM_BACKEND_SIM;
        r = create_state(imr, o, err);
        if (r >= 0 && (fd = lock_state(imr, LOCK_SH, err)) >= 0) {
                r = load(imr, fd, err);
                close(fd);
        } else if (r >= 0)
                r = -EIO;
        if (r < 0) {
                free(s);
                imr->priv = NULL;
                return r;
        }
        snprintf(imr->reason, sizeof(imr->reason), "SIMULATED registers in %s (asked for with --backend sim; never auto-detected)",
                 s->path);
        return 0;
}
