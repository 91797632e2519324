/* SPDX-License-Identifier: Apache-2.0 */
/* The host side of a rewrite: its input and output files, their temporaries, qemu-img (see host_disk.h). */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <openssl/evp.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cvmbase/base.h"
#include "cvm/encoding.h"
#include "host_disk.h"
#include "watchdog.h"

extern char **environ;

/* What a file that is not a regular one is, for a message. */
static const char *file_type(mode_t mode) {
        return S_ISDIR(mode) ? "a directory" : S_ISFIFO(mode) ? "a FIFO" : S_ISCHR(mode) ? "a character device"
               : S_ISBLK(mode) ? "a block device" : S_ISSOCK(mode) ? "a socket" : "not a regular file";
}

/* sha256 (and sha384 when out384) of a host file, streamed; never blocks on a FIFO or device put in its place. */
int file_digests(const char *path, char out256[65], char *out384, cvm_error *err) {
        EVP_MD_CTX *a = EVP_MD_CTX_new(), *b = EVP_MD_CTX_new();
        _cleanup_free_ uint8_t *buf = malloc(1 << 20);
        uint8_t md[48];
        ssize_t n;
        struct stat st;
        int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC), r = 0;

        if (fd < 0 || !a || !b || !buf) {
                r = cvm_error_set(err, fd < 0 ? errno : ENOMEM, "%s: %s", path, fd < 0 ? strerror(errno) : "out of memory");
                goto out;
        }
        if (fstat(fd, &st) < 0) {
                r = cvm_error_set(err, errno, "%s: %s", path, strerror(errno));
                goto out;
        }
        if (!S_ISREG(st.st_mode)) {
                r = cvm_error_set(err, EINVAL, "%s: %s, not a regular file", path, file_type(st.st_mode));
                goto out;
        }
        EVP_DigestInit_ex(a, EVP_sha256(), NULL);
        EVP_DigestInit_ex(b, EVP_sha384(), NULL);
        while ((n = read(fd, buf, 1 << 20)) > 0) {
                EVP_DigestUpdate(a, buf, (size_t) n);
                if (out384)
                        EVP_DigestUpdate(b, buf, (size_t) n);
        }
        if (n < 0) {
                r = cvm_error_set(err, errno, "%s: %s", path, strerror(errno));
                goto out;
        }
        EVP_DigestFinal_ex(a, md, NULL);
        cvm_hex(md, 32, out256);
        if (out384) {
                EVP_DigestFinal_ex(b, md, NULL);
                cvm_hex(md, 48, out384);
        }
out:
        if (fd >= 0)
                close(fd);
        EVP_MD_CTX_free(a);
        EVP_MD_CTX_free(b);
        return r;
}

/* The input: a non-empty regular file (never waiting on a FIFO or a device); exit 5 otherwise. */
int host_check_input(const char *input, struct stat *st, cvm_error *err) {
        int fd = open(input, O_RDONLY | O_NONBLOCK | O_CLOEXEC), r = 0;

        if (fd < 0)
                return cvm_error_set(err, errno, "--input %s: %s", input, strerror(errno));
        if (fstat(fd, st) < 0)
                r = cvm_error_set(err, errno, "--input %s: %s", input, strerror(errno));
        else if (!S_ISREG(st->st_mode))
                r = cvm_error_set(err, EINVAL, "--input %s is %s, not a disk image file", input, file_type(st->st_mode));
        else if (st->st_size == 0)
                r = cvm_error_set(err, EINVAL, "--input %s is empty (0 bytes), not a disk image", input);
        close(fd);
        return r;
}

/* Whether path names the file in (same device and inode, whatever the path's form). */
static bool same_file(const char *path, const struct stat *in) {
        struct stat st;
        return stat(path, &st) == 0 && st.st_dev == in->st_dev && st.st_ino == in->st_ino;
}

/*
 * What the end of a rewrite replaces (the output and its manifest) must not be
 * the input, by any path (symlink, hard link, ./), and must be a regular file
 * or absent; its directory must exist and be writable.  Exit 1 otherwise.
 */
int host_check_output(const char *output, const char *dir, const char *input, const struct stat *in, cvm_error *err) {
        char manifest[PATH_MAX + 32];
        const char *const targets[] = { output, manifest };
        struct stat st;

        if (stat(dir, &st) < 0)
                return cvm_error_set(err, errno, "--output %s: its directory %s: %s", output, dir, strerror(errno));
        if (!S_ISDIR(st.st_mode))
                return cvm_error_set(err, ENOTDIR, "--output %s: %s is not a directory", output, dir);
        if (access(dir, W_OK) < 0)
                return cvm_error_set(err, errno, "--output %s: cannot write in %s: %s", output, dir, strerror(errno));
        if ((size_t) snprintf(manifest, sizeof(manifest), "%s.manifest.json", output) >= sizeof(manifest))
                return cvm_error_set(err, ENAMETOOLONG, "--output %s: path too long", output);
        for (size_t i = 0; i < 2; i++) {
                if (same_file(targets[i], in))
                        return cvm_error_set(err, EEXIST, "--output %s: %s is the input %s (the same file): write the output "
                                             "elsewhere, the input is never modified", output, targets[i], input);
                if (stat(targets[i], &st) == 0 && !S_ISREG(st.st_mode))
                        return cvm_error_set(err, EEXIST, "--output %s: %s is %s: the output replaces a regular file or nothing",
                                             output, targets[i], file_type(st.st_mode));
        }
        return 0;
}

/* .BASE.cvm-rewrite.PID.* of dead PIDs in the output's directory: what a SIGKILLed run left. */
void host_clean_stale(const char *dir, const char *base, const struct stat *input) {
        char prefix[PATH_MAX];
        struct dirent *de;
        DIR *d = opendir(dir);

        if (!d)
                return;
        if ((size_t) snprintf(prefix, sizeof(prefix), ".%s.cvm-rewrite.", base) >= sizeof(prefix)) {
                closedir(d);
                return;
        }
        while ((de = readdir(d))) {
                char path[PATH_MAX * 2];
                long pid;
                if (strncmp(de->d_name, prefix, strlen(prefix)) != 0)
                        continue;
                pid = strtol(de->d_name + strlen(prefix), NULL, 10);
                snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
                /* An input named like a temporary stays: the input is never modified. */
                if (same_file(path, input))
                        continue;
                if (pid <= 0 || (kill((pid_t) pid, 0) < 0 && errno == ESRCH)) {
                        fprintf(stderr, "cvm-rewrite: removing %s, left by an interrupted run (PID %ld)\n", path, pid);
                        remove(path);
                }
        }
        closedir(d);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        (void) st;
        (void) flag;
        (void) ftw;
        remove(path);
        return 0;
}

/* qemu-img with argv, the child killed if a signal asks us to stop; 0 when it exited 0, else its status. */
static int qemu_img(char **argv, int *status, cvm_error *err) {
        pid_t pid;

        if (posix_spawnp(&pid, "qemu-img", NULL, NULL, argv, environ) != 0)
                return cvm_error_set(err, errno, "cannot run qemu-img: %s", strerror(errno));
        while (waitpid(pid, status, 0) < 0) {
                if (errno != EINTR)
                        return cvm_error_set(err, errno, "waitpid: %s", strerror(errno));
                if (rw_stop_signal())
                        kill(pid, SIGTERM);
        }
        if (rw_stop_signal())
                return cvm_error_set(err, EINTR, "interrupted by signal %d", (int) rw_stop_signal());
        return 0;
}

/* The overlay grown to the recipe's size (libguestfs creates overlays at their backing file's size). */
int host_grow(const char *overlay, int64_t size, cvm_error *err) {
        char bytes[32], *argv[] = { "qemu-img", "resize", "-q", "-f", "qcow2", (char *) overlay, bytes, NULL };
        int status, r;

        snprintf(bytes, sizeof(bytes), "%lld", (long long) size);
        if ((r = qemu_img(argv, &status, err)) < 0)
                return r;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                return cvm_error_set(err, EINVAL, "cannot grow the disk to %lld bytes (smaller than the input?)",
                                     (long long) size);
        return 0;
}

/* qemu-img convert of the overlay into the output's temporary. */
int host_convert(const char *overlay, const char *tmp, const struct recipe *r, cvm_error *err) {
        char *argv[] = { "qemu-img", "convert", "-q", "-O", r->format, "-f", "qcow2", NULL, NULL, NULL, NULL };
        int n = 7, status, rr;

        if (strcmp(r->compression, "zlib") == 0)
                argv[n++] = "-c";
        argv[n++] = (char *) overlay;
        argv[n++] = (char *) tmp;
        if ((rr = qemu_img(argv, &status, err)) < 0)
                return rr;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                return cvm_error_set(err, EIO, "qemu-img convert to %s failed (exit %d): no space, or a bad image?",
                                     tmp, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        return 0;
}

void host_remove_tree(const char *path) {
        nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}
