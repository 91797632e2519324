/* SPDX-License-Identifier: Apache-2.0 */
/* Digests of whole files, streamed in large reads and hashed in several algorithms at once (disk images are GiBs). */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "crypto_dlopen.h"
#include "cvm/digest.h"

#define READ_SIZE (1u << 20)
#define MAX_ALGS 8

/* Free the contexts of n algorithms (none were made when libcrypto failed to load). */
static void free_ctxs(EVP_MD_CTX **ctx, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (ctx[i])
                        sym_EVP_MD_CTX_free(ctx[i]);
}

/* Read fd to its end into the n contexts. */
static int feed(int fd, EVP_MD_CTX **ctx, size_t n, cvm_error *err) {
        _cleanup_free_ uint8_t *buf = malloc(READ_SIZE);
        uint64_t off = 0;

        if (!buf)
                return cvm_error_set(err, ENOMEM, "out of memory");
        for (;;) {
                ssize_t got = read(fd, buf, READ_SIZE);
                if (got < 0 && errno == EINTR)
                        continue;
                if (got < 0)
                        return cvm_error_set(err, errno, "read failed at byte %llu: %s", (unsigned long long) off, strerror(errno));
                if (got == 0)
                        return 0;
                off += (uint64_t) got;
                for (size_t i = 0; i < n; i++)
                        if (!sym_EVP_DigestUpdate(ctx[i], buf, (size_t) got))
                                return cvm_error_set(err, EIO, "OpenSSL digest update failed");
        }
}

int cvm_digest_fd(int fd, const uint16_t *algs, size_t nalgs, uint8_t (*out)[CVM_DIGEST_MAX], cvm_error *err) {
        EVP_MD_CTX *ctx[MAX_ALGS] = { 0 };
        int r = 0;

        if (nalgs == 0 || nalgs > MAX_ALGS)
                return cvm_error_set(err, EINVAL, "%zu algorithms asked for, expected 1 to %d", nalgs, MAX_ALGS);
        for (size_t i = 0; i < nalgs && r == 0; i++) {
                const EVP_MD *md = NULL;
                r = crypto_md(algs[i], &md, err);
                if (r == 0 && (!(ctx[i] = sym_EVP_MD_CTX_new()) || !sym_EVP_DigestInit_ex(ctx[i], md, NULL)))
                        r = cvm_error_set(err, ENOMEM, "OpenSSL digest init failed");
        }
        if (r == 0)
                r = feed(fd, ctx, nalgs, err);
        for (size_t i = 0; i < nalgs && r == 0; i++)
                if (!sym_EVP_DigestFinal_ex(ctx[i], out[i], NULL))
                        r = cvm_error_set(err, EIO, "OpenSSL digest final failed");
        free_ctxs(ctx, nalgs);
        return r;
}

int cvm_digest_file(const char *path, const uint16_t *algs, size_t nalgs, uint8_t (*out)[CVM_DIGEST_MAX], cvm_error *err) {
        int fd = open_input(path, SIZE_MAX, err), r;

        if (fd < 0)
                return fd;
        r = cvm_digest_fd(fd, algs, nalgs, out, err);
        close(fd);
        return r < 0 ? cvm_error_prefix(err, "%s: ", path) : 0;
}
