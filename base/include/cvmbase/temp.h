/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * Temporaries beside an output: ".BASE.TAG.PID.REST" in the output's
 * directory (TAG names the tool, e.g. "cvm-initrd"), so a rename puts them in
 * place on the same file system, and a later run of the same output tells
 * those of writers that are gone (SIGKILL, a crash) by the PID in the name.
 */

#include <stddef.h>
#include <sys/stat.h>

#include "cvm/error.h"

/* "DIR/.BASE.TAG.PID." for out into buf: the start of the names of this process's temporaries of out. */
int temp_prefix(const char *out, const char *tag, char *buf, size_t size, cvm_error *err);

/*
 * Remove the temporaries of out (any TAG.PID) whose PID no longer runs, each
 * named on stderr; a file that is keep (same device and inode; may be NULL)
 * stays, so an input named like a temporary is never touched.
 */
void temp_sweep_stale(const char *out, const char *tag, const struct stat *keep);

/* Create the temporary directory PREFIX.XXXXXX (mode 0700) for out, after the sweep; its name into tmp. */
int temp_dir_create(const char *out, const char *tag, char *tmp, size_t size, cvm_error *err);

/* Remove a tree without following its symlinks (a temporary directory); errors are ignored, it is cleanup. */
void remove_tree(const char *path);
