/* SPDX-License-Identifier: Apache-2.0 */
/* The overlay into the output image: committed onto a clone of the input, or converted (see output_image.h). */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cvmbase/base.h"
#include "file_clone.h"
#include "output_image.h"
#include "qemu_img.h"

enum how { HOW_AUTO, HOW_COMMIT, HOW_CONVERT };

static int how_from_env(enum how *how, cvm_error *err) {
        const char *s = getenv("CVM_REWRITE_OUTPUT");

        if (!s || strcmp(s, "auto") == 0)
                *how = HOW_AUTO;
        else if (strcmp(s, "commit") == 0)
                *how = HOW_COMMIT;
        else if (strcmp(s, "convert") == 0)
                *how = HOW_CONVERT;
        else
                return cvm_error_set(err, EINVAL, "CVM_REWRITE_OUTPUT=%s: expected auto, commit or convert", s);
        return 0;
}

static bool exited(int status, int code) {
        return WIFEXITED(status) && WEXITSTATUS(status) == code;
}

static int exit_code(int status) {
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/*
 * qemu-img convert of the overlay into the output's temporary.  -W: the
 * clusters are written in whatever order the reads complete; the temporary
 * is fsync'ed and renamed only afterwards, so the order cannot be seen, and
 * on a large image it is several times faster (make bench).
 */
static int convert(const struct output_image *q, cvm_error *err) {
        char *argv[] = { "qemu-img", "convert", "-q", "-W", "-O", (char *) q->format, "-f", "qcow2", NULL, NULL, NULL, NULL };
        int n = 8, status, r;

        if (strcmp(q->compression, "zlib") == 0)
                argv[n++] = "-c";
        argv[n++] = (char *) q->overlay;
        argv[n++] = (char *) q->part;
        if ((r = qemu_img_run(argv, &status, err)) < 0)
                return r;
        if (!exited(status, 0))
                return cvm_error_set(err, EIO, "qemu-img convert to %s failed (exit %d): no space, or a bad image?", q->part,
                                     exit_code(status));
        return 0;
}

/* A JSON array's length; 0 when absent or not an array. */
static size_t array_len(struct json_object *o, const char *key) {
        struct json_object *a;
        return json_object_object_get_ex(o, key, &a) && json_object_is_type(a, json_type_array) ? json_object_array_length(a) : 0;
}

static bool is_true(struct json_object *o, const char *key) {
        struct json_object *b;
        return json_object_object_get_ex(o, key, &b) && json_object_get_boolean(b);
}

const char *output_commit_refusal(const char *input_format, const char *format, const char *compression,
                                  struct json_object *info) {
        struct json_object *fs, *data;

        if (strcmp(compression, "none") != 0)
                return "the recipe asks for compressed clusters";
        if (strcmp(input_format, format) != 0)
                return strcmp(format, "raw") == 0 ? "the input is not raw" : "the input is not qcow2";
        if (strcmp(format, "qcow2") != 0)
                return "";
        if (!info)
                return "qemu-img info cannot read the input";
        /* What a clone would carry into the output besides the disk: none of it is the rewrite's. */
        if (qemu_img_info_links(info))
                return "the input reads another file (a backing file or an external data file)";
        if (array_len(info, "snapshots") > 0)
                return "the input has internal snapshots";
        if (is_true(info, "encrypted"))
                return "the input is encrypted";
        if (is_true(info, "dirty-flag"))
                return "the input was not closed cleanly (its dirty flag is set)";
        if (!json_object_object_get_ex(info, "format-specific", &fs) || !json_object_object_get_ex(fs, "data", &data))
                return "qemu-img info does not describe the input's qcow2 header";
        if (array_len(data, "bitmaps") > 0)
                return "the input has dirty bitmaps";
        if (is_true(data, "corrupt"))
                return "the input is marked corrupt";
        return "";
}

/* Whether the input may carry over: "" when it may, else why not (info read here for a qcow2 input). */
static const char *refusal(const struct output_image *q) {
        char *argv[] = { "qemu-img", "info", "--output=json", "-f", "qcow2", (char *) q->input, NULL };
        struct json_object *info = NULL;
        const char *why;

        if (strcmp(q->compression, "none") == 0 && strcmp(q->input_format, "qcow2") == 0 && strcmp(q->format, "qcow2") == 0)
                qemu_img_json(argv, q->input, &info, NULL);
        why = output_commit_refusal(q->input_format, q->format, q->compression, info);
        json_object_put(info);
        return why;
}

/*
 * The clone's metadata checked (qemu-img check: 0 clean, 3 only leaked
 * clusters), the overlay pointed at the clone, the changed clusters
 * committed into it.  commit -b names the base: were the overlay still
 * backed by the input, qemu-img would refuse rather than write the input.
 */
static int commit(const struct output_image *q, const char **why, cvm_error *err) {
        char *check[] = { "qemu-img", "check", "-q", "-f", "qcow2", (char *) q->part, NULL };
        char *rebase[] = { "qemu-img", "rebase", "-q", "-u", "-f", "qcow2", "-b", (char *) q->part, "-F", (char *) q->format,
                           (char *) q->overlay, NULL };
        char *commit[] = { "qemu-img", "commit", "-q", "-f", "qcow2", "-b", (char *) q->part, (char *) q->overlay, NULL };
        int status, r;

        if (strcmp(q->format, "qcow2") == 0) {
                if ((r = qemu_img_quiet(check, &status, err)) < 0)
                        return r;
                if (!exited(status, 0) && !exited(status, 3)) {
                        *why = "qemu-img check finds the input's qcow2 metadata inconsistent";
                        return 1;
                }
        }
        if ((r = qemu_img_run(rebase, &status, err)) < 0)
                return r;
        if (!exited(status, 0))
                return cvm_error_set(err, EIO, "qemu-img rebase of the overlay onto %s failed (exit %d)", q->part,
                                     exit_code(status));
        if ((r = qemu_img_run(commit, &status, err)) < 0)
                return r;
        if (!exited(status, 0))
                return cvm_error_set(err, EIO, "qemu-img commit into %s failed (exit %d): no space?", q->part, exit_code(status));
        return 0;
}

/* 0 committed, 1 not (*why says why; no temporary left), <0 failed. */
static int try_commit(const struct output_image *q, bool copy, const char **method, const char **why, cvm_error *err) {
        cvm_error cerr = { 0 };
        int r, cloned;

        if (*(*why = refusal(q)))
                return 1;
        /* The name is this PID's: a file under it is a leftover of an earlier process that had our PID and was killed. */
        unlink(q->part);
        /* The clone's own error: a refused reflink is no failure when the output is converted instead. */
        if ((cloned = file_clone(q->input, q->part, copy, &cerr)) == -EOPNOTSUPP && !copy) {
                *why = "the file system cannot share the input's extents (no reflink)";
                return 1;
        }
        if (cloned < 0) {
                if (err)
                        *err = cerr;
                return cloned;
        }
        if ((r = commit(q, why, err)) != 0) {
                unlink(q->part);
                return r;
        }
        *method = cloned ? "reflink+commit" : "copy+commit";
        return 0;
}

int output_image_write(const struct output_image *q, const char **method, cvm_error *err) {
        const char *why = "CVM_REWRITE_OUTPUT=convert";
        double t0 = now_monotonic();
        enum how how = HOW_AUTO;
        int r;

        if ((r = how_from_env(&how, err)) < 0)
                return r;
        if (how != HOW_CONVERT && (r = try_commit(q, how == HOW_COMMIT, method, &why, err)) <= 0) {
                if (r == 0)
                        log_info("output: the changed clusters committed onto a %s of the input in %.1f s",
                                 strcmp(*method, "reflink+commit") == 0 ? "reflink" : "copy", now_monotonic() - t0);
                return r;
        }
        /* qemu-img reads the whole disk here: say so, the phase takes a while for a large one. */
        log_info("output: converting the whole disk (%s%s; not committed: %s) ...", q->format,
                 strcmp(q->compression, "zlib") == 0 ? ", compressed" : "", why);
        *method = "convert";
        if ((r = convert(q, err)) < 0)
                return r;
        log_info("output: converted in %.1f s", now_monotonic() - t0);
        return 0;
}
