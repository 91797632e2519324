/* SPDX-License-Identifier: Apache-2.0 */
/* The host side of a rewrite: its input and output files, their temporaries, the overlay's size (see host_disk.h). */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cvmbase/base.h"
#include "cvm/digest.h"
#include "cvm/encoding.h"
#include "host_disk.h"
#include "qemu_img.h"

/* sha256 (and sha384 when out384) of a host file as hex, streamed by libcvm; never blocks on a FIFO or device put in its place. */
int file_digests(const char *path, char out256[65], char *out384, cvm_error *err) {
        static const uint16_t algs[] = { CVM_ALG_SHA256, CVM_ALG_SHA384 };
        uint8_t md[2][CVM_DIGEST_MAX];
        int r = cvm_digest_file(path, algs, out384 ? 2 : 1, md, err);

        if (r < 0)
                return r;
        cvm_hex(md[0], 32, out256);
        if (out384)
                cvm_hex(md[1], 48, out384);
        return 0;
}

/* The input: a non-empty regular file (never waiting on a FIFO or a device); exit 5 otherwise. */
int host_check_input(const char *input, struct stat *st, cvm_error *err) {
        int fd = open(input, O_RDONLY | O_NONBLOCK | O_CLOEXEC), r = 0;

        if (fd < 0)
                return cvm_error_set(err, errno, "--input %s: %s", input, strerror(errno));
        if (fstat(fd, st) < 0)
                r = cvm_error_set(err, errno, "--input %s: %s", input, strerror(errno));
        else if (!S_ISREG(st->st_mode))
                r = cvm_error_set(err, EINVAL, "--input %s is %s, not a disk image file", input, file_type_name(st->st_mode));
        else if (st->st_size == 0)
                r = cvm_error_set(err, EINVAL, "--input %s is empty (0 bytes), not a disk image", input);
        close(fd);
        return r;
}

int host_check_self_contained(const char *input, const char *abs, const char *fmt, cvm_error *err) {
        char *argv[] = { "qemu-img", "info", "--output=json", "-f", "qcow2", (char *) abs, NULL };
        struct json_object *info = NULL;
        const char *link;
        int r;

        if (strcmp(fmt, "raw") != 0 && strcmp(fmt, "qcow2") != 0)
                return cvm_error_set(err, EINVAL, "--input %s: a %s image; cvm-rewrite reads raw and qcow2 only (other formats "
                                     "can name more files of this host): convert it first, qemu-img convert -O qcow2", input, fmt);
        if (strcmp(fmt, "raw") == 0)
                return 0;
        /* info opens the image without its backing file (qemu-img's BDRV_O_NO_BACKING). */
        if ((r = qemu_img_json(argv, input, &info, err)) < 0)
                return cvm_error_prefix(err, "--input ");
        link = qemu_img_info_links(info);
        json_object_put(info);
        if (link)
                return cvm_error_set(err, EINVAL, "--input %s: a qcow2 image with %s: its data would come from another file "
                                     "of this host; flatten it first, qemu-img convert -O qcow2", input, link);
        return 0;
}

int host_input_unchanged(const char *input, const struct stat *before, cvm_error *err) {
        struct stat st;

        if (stat(input, &st) < 0)
                return cvm_error_set(err, errno, "--input %s: %s", input, strerror(errno));
        /* Any write moves ctime, which no user can set back: no need to hash the whole input again. */
        if (st.st_dev != before->st_dev || st.st_ino != before->st_ino || st.st_size != before->st_size ||
            st.st_mtim.tv_sec != before->st_mtim.tv_sec || st.st_mtim.tv_nsec != before->st_mtim.tv_nsec ||
            st.st_ctim.tv_sec != before->st_ctim.tv_sec || st.st_ctim.tv_nsec != before->st_ctim.tv_nsec)
                return cvm_error_set(err, EIO, "--input %s changed during the rewrite (its size, times or inode moved): "
                                     "something else wrote it; the output would not match the manifest's input digest", input);
        return 0;
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
                                             output, targets[i], file_type_name(st.st_mode));
        }
        return 0;
}

/* The overlay grown to the recipe's size (libguestfs creates overlays at their backing file's size). */
int host_grow(const char *overlay, int64_t size, cvm_error *err) {
        char bytes[32], *argv[] = { "qemu-img", "resize", "-q", "-f", "qcow2", (char *) overlay, bytes, NULL };
        int status, r;

        snprintf(bytes, sizeof(bytes), "%lld", (long long) size);
        if ((r = qemu_img_run(argv, &status, err)) < 0)
                return r;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                return cvm_error_set(err, EINVAL, "cannot grow the disk to %lld bytes (smaller than the input?)",
                                     (long long) size);
        return 0;
}
