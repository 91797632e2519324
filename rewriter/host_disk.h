/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * The host side of a rewrite: the input (never written) and the output, the
 * temporaries beside the output (.OUT.cvm-rewrite.PID.*), the overlay grown
 * to the recipe's size.  How the overlay becomes the output: output_image.h.
 */

#include <stdint.h>
#include <sys/stat.h>

#include "rewrite.h"

/* The input: a non-empty regular file (never waiting on a FIFO or a device), its stat in *st. */
int host_check_input(const char *input, struct stat *st, cvm_error *err);

/*
 * The input's format as qemu detected it (fmt) one cvm-rewrite takes: raw,
 * or a qcow2 with no backing file and no external data file.  Every other
 * format (a VMDK descriptor, say) and those qcow2 links name further files
 * or URLs that qemu would read into the guest disk, and so into the output.
 */
int host_check_self_contained(const char *input, const char *abs, const char *fmt, cvm_error *err);

/* The input still the file host_check_input saw: same inode, size, mtime and ctime; EIO naming it otherwise. */
int host_input_unchanged(const char *input, const struct stat *before, cvm_error *err);

/* The output and its manifest (in dir): not the input by any path, a regular file or absent; dir writable. */
int host_check_output(const char *output, const char *dir, const char *input, const struct stat *in, cvm_error *err);

/* The qcow2 overlay grown to size bytes (libguestfs creates overlays at their backing file's size). */
int host_grow(const char *overlay, int64_t size, cvm_error *err);

/* sha256 (and sha384 when out384 is not NULL) of a host file, as hex. */
int file_digests(const char *path, char out256[65], char *out384, cvm_error *err);
