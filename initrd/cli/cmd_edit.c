/* SPDX-License-Identifier: Apache-2.0 */
/* cvm-initrd append and rebuild: a new last segment, written atomically beside the output. */

#include <errno.h>
#include <assert.h>
#include <string.h>

#include "initrd_cli.h"

/* The --add and --tree arguments in order (the arrays hold argc entries); --remove's. */
struct add_list {
        const char **args;
        bool *is_tree;
        size_t n;
};

struct remove_list {
        const char **v;
        size_t n;
};

/* --compress C; set false: the default of the command. */
struct compression {
        enum cvm_initrd_compression c;
        bool set;
};

struct edit {
        bool rebuild, create, replace;
        const char *in, *out;
        struct compression compress;
        struct add_list adds;
        struct remove_list removes;
};

static int opt_compress(const struct opt *o, const char *arg, void *field) {
        struct compression *c = field;

        if (cvm_initrd_compression_from_name(arg, &c->c) < 0 || !cvm_initrd_can_compress(c->c)) {
                log_error("--%s '%s': expected none, gzip, zstd, xz, lzma or bzip2", o->name, arg);
                return -1;
        }
        c->set = true;
        return 0;
}

static int opt_add(const struct opt *o, const char *arg, void *field) {
        struct add_list *l = field;

        assert(l->args && l->is_tree);
        l->is_tree[l->n] = strcmp(o->name, "tree") == 0;
        l->args[l->n++] = arg;
        return 0;
}

static int opt_remove(const struct opt *o, const char *arg, void *field) {
        struct remove_list *l = field;

        assert(l->v);
        if (!*arg) {
                log_error("--%s: expected a path, got ''", o->name);
                return -1;
        }
        l->v[l->n++] = arg;
        return 0;
}

#define EDIT_OPTIONS(out_help)                                                                                         \
        OPT_OUTPUT_OUT(struct edit, out, "OUT", out_help),                                                             \
        OPT_FN(0, "compress", struct edit, compress, "C", opt_compress, "none, gzip, zstd, xz, lzma or bzip2"),       \
        OPT_FN(0, "add", struct edit, adds, "SRC:DEST[:MODE]", opt_add, "add a file (repeatable)"),                    \
        OPT_FN(0, "tree", struct edit, adds, "DIR:DEST", opt_add, "add a directory tree (repeatable)")

static const struct opt append_options[] = {
        EDIT_OPTIONS("the new image (INITRD's bytes, then the new segment)"),
        OPT_FLAG(0, "replace", struct edit, replace, "a file may replace an earlier symlink or device (and back)"),
        OPT_END,
};

static const struct opt rebuild_options[] = {
        EDIT_OPTIONS("the new image"),
        OPT_FN(0, "remove", struct edit, removes, "PATH", opt_remove, "remove PATH and everything below it (repeatable)"),
        OPT_END,
};

static const struct opt create_options[] = {
        EDIT_OPTIONS("the new image"),
        OPT_END,
};

#define DETERMINISTIC                                                                                                  \
        "Output is deterministic: entries sorted, uid/gid 0, mtimes clamped to\n"                                       \
        "$SOURCE_DATE_EPOCH (or 0).  OUT is written beside itself and renamed at the end."

static const struct opt_command append_command = {
        .tool = &initrd_tool,
        .name = "append",
        .usage = "INITRD --output OUT [--compress C] [--replace] (--add SRC:DEST[:MODE])... (--tree DIR:DEST)...",
        .about = "Append one segment after the existing bytes, which are kept as they are;\n"
                 "its entries override earlier ones of the same path when the kernel unpacks.\n"
                 "Paths are written as the kernel resolves them through the earlier segments'\n"
                 "symlinks (lib/X as usr/lib/X when lib -> usr/lib); an entry that would replace\n"
                 "an earlier one of another type is refused (files of other types: --replace).\n"
                 "C is none, gzip, zstd, xz, lzma or bzip2 (default: that of the main segment,\n"
                 "the first compressed one, which the running kernel is known to read).",
        .options = append_options,
        .notes = DETERMINISTIC,
};

static const struct opt_command rebuild_command = {
        .tool = &initrd_tool,
        .name = "rebuild",
        .usage = "INITRD --output OUT [--remove PATH]... [--add SRC:DEST[:MODE]]... [--tree DIR:DEST]... [--compress C]",
        .about = "Rewrite the last (main) segment with the same compression (or C): remove\n"
                 "PATHs and everything below them, add or replace files.  Earlier segments\n"
                 "(early microcode) are kept byte for byte.",
        .options = rebuild_options,
        .notes = DETERMINISTIC,
};

static const struct opt_command create_command = {
        .tool = &initrd_tool,
        .name = "create",
        .usage = "--output OUT [--compress C] (--add SRC:DEST[:MODE])... (--tree DIR:DEST)...",
        .about = "Write a new image of one segment (C defaults to none: an early-microcode style\n"
                 "segment; gzip, zstd, xz, lzma or bzip2 for a main one).",
        .options = create_options,
        .notes = DETERMINISTIC,
};

/* 1 to go on, else minus the exit code (0 after --help). */
static int parse(int argc, char **argv, struct edit *e) {
        const struct opt_command *cmd = e->create ? &create_command : e->rebuild ? &rebuild_command : &append_command;
        int ind, ret;

        if (initrd_parse(cmd, argc, argv, e, &ind, &ret) != 0)
                return -ret;
        if (ind + (e->create ? 0 : 1) != argc || !e->out) {
                log_error("%s: expected %s--output OUT (see --help)", cmd->name, e->create ? "" : "INITRD and ");
                return -EXIT_USAGE;
        }
        if (!e->rebuild && e->adds.n == 0) {
                log_error("%s: nothing to add (--add or --tree)", cmd->name);
                return -EXIT_USAGE;
        }
        e->in = e->create ? NULL : argv[ind];
        return 1;
}

struct keep {
        cvm_initrd_fileset *fs;
        cvm_error *err;
};

static int keep_entry(const struct cvm_initrd_entry *e, void *userdata) {
        struct keep *k = userdata;
        return cvm_initrd_fileset_add_entry(k->fs, e, k->err);
}

/* The main segment's entries, then the removals, then the additions (which win). */
static int rebuild_set(const cvm_initrd *rd, struct edit *e, cvm_initrd_fileset **ret, cvm_error *err) {
        size_t last = cvm_initrd_segment_count(rd) - 1;
        cvm_initrd_fileset *fs;
        struct keep k = { .err = err };
        int r;

        if (cvm_initrd_fileset_new(&fs) < 0)
                return cvm_error_set(err, ENOMEM, "out of memory");
        k.fs = fs;
        r = cvm_initrd_foreach(rd, last, true, keep_entry, &k, err);
        for (size_t i = 0; r == 0 && i < e->removes.n; i++)
                if (cvm_initrd_fileset_remove(fs, e->removes.v[i]) == 0)
                        r = cvm_error_set(err, ENOENT, "--remove %s: not in the main segment (segment %zu)",
                                          e->removes.v[i], last);
        if (r < 0) {
                cvm_initrd_fileset_free(fs);
                return r;
        }
        *ret = fs;
        return 0;
}

/* The --add and --tree arguments, applied after what the set holds (so they win). */
static int apply_adds(cvm_initrd_fileset *fs, const struct edit *e) {
        for (size_t i = 0; i < e->adds.n; i++)
                if ((e->adds.is_tree[i] ? parse_tree(fs, e->adds.args[i]) : parse_add(fs, e->adds.args[i])) < 0)
                        return -1;
        return 0;
}

/* Rebuild and create write the whole main segment themselves, so its own parents are enough. */
static int write_image(const struct edit *e, const cvm_initrd *rd, uint64_t keep, cvm_initrd_fileset *set, int64_t epoch) {
        cvm_error err = { 0 };

        if (apply_adds(set, e) < 0)
                return EXIT_BAD_INPUT;
        if (cvm_initrd_fileset_add_parents(set, &err) < 0) {
                log_error("%s", err.msg);
                return EXIT_OUTPUT;
        }
        if (cvm_initrd_write_image(rd, keep, set, e->compress.c, epoch, e->out, &err) < 0) {
                log_error("%s", err.msg);
                return EXIT_OUTPUT;
        }
        return EXIT_OK;
}

static int create(struct edit *e) {
        _cleanup_(cvm_initrd_fileset_freep) cvm_initrd_fileset *set = NULL;
        cvm_error err = { 0 };
        int64_t epoch;

        if (cvm_initrd_source_date_epoch(&epoch, &err) < 0 || cvm_initrd_fileset_new(&set) < 0) {
                log_error("%s", err.msg);
                return EXIT_USAGE;
        }
        if (!e->compress.set)
                e->compress.c = CVM_INITRD_NONE;
        return write_image(e, NULL, 0, set, epoch);
}

/* Without --compress: that of the main segment, which must be one that can be written. */
static int default_compression(struct edit *e, const struct cvm_initrd_segment *last) {
        if (e->compress.set)
                return EXIT_OK;
        e->compress.c = last->compression;
        if (cvm_initrd_can_compress(e->compress.c))
                return EXIT_OK;
        log_error("%s: the main segment is %s, which cannot be written; choose --compress", e->in,
                  cvm_initrd_compression_name(e->compress.c));
        return EXIT_USAGE;
}

/* A new last segment in place of the main one. */
static int edit_rebuild(struct edit *e) {
        _cleanup_(cvm_initrd_fileset_freep) cvm_initrd_fileset *set = NULL;
        _cleanup_(cvm_initrd_closep) cvm_initrd *rd = NULL;
        const struct cvm_initrd_segment *last;
        cvm_error err = { 0 };
        int64_t epoch;
        int r;

        if (check_not_input(e->in, e->out) < 0)
                return EXIT_USAGE;
        if (cvm_initrd_source_date_epoch(&epoch, &err) < 0 || cvm_initrd_open(e->in, &rd, &err) < 0) {
                log_error("%s", err.msg);
                return EXIT_BAD_INPUT;
        }
        last = cvm_initrd_segment(rd, cvm_initrd_segment_count(rd) - 1);
        if ((r = default_compression(e, last)) != EXIT_OK)
                return r;
        if (rebuild_set(rd, e, &set, &err) < 0) {
                log_error("%s", err.msg);
                return EXIT_BAD_INPUT;
        }
        return write_image(e, rd, last->offset, set, epoch);
}

/* One segment after every byte of the input, its paths placed over the earlier segments (cvm_initrd_append). */
static int edit_append(struct edit *e) {
        _cleanup_(cvm_initrd_fileset_freep) cvm_initrd_fileset *set = NULL;
        struct cvm_initrd_append_opts o = {
                .place_flags = e->replace ? CVM_INITRD_PLACE_REPLACE : 0,
                .compression = e->compress.c,
                .compression_set = e->compress.set,
        };
        struct cvm_initrd_append_result res;
        cvm_error err = { 0 };

        if (check_not_input(e->in, e->out) < 0)
                return EXIT_USAGE;
        if (cvm_initrd_source_date_epoch(&o.mtime, &err) < 0) {
                log_error("%s", err.msg);
                return EXIT_BAD_INPUT;
        }
        if (cvm_initrd_fileset_new(&set) < 0)
                return EXIT_OUTPUT;
        if (apply_adds(set, e) < 0)
                return EXIT_BAD_INPUT;
        if (cvm_initrd_append(e->in, set, &o, e->out, &res, &err) < 0) {
                log_error("%s", err.msg);
                return res.bad_input ? EXIT_BAD_INPUT : EXIT_OUTPUT;
        }
        return EXIT_OK;
}

static int run(int argc, char **argv, bool rebuild, bool create_new) {
        _cleanup_(freep) const char **args = calloc((size_t) argc, sizeof(char *));
        _cleanup_(freep) const char **removes = calloc((size_t) argc, sizeof(char *));
        _cleanup_(freep) bool *is_tree = calloc((size_t) argc, sizeof(bool));
        struct edit e = { .rebuild = rebuild, .create = create_new, .adds = { args, is_tree, 0 }, .removes = { removes, 0 } };
        int r;

        if (!args || !removes || !is_tree)
                return EXIT_OUTPUT;
        r = parse(argc, argv, &e);
        if (r <= 0)
                return -r;
        return create_new ? create(&e) : rebuild ? edit_rebuild(&e) : edit_append(&e);
}

int cmd_append(int argc, char **argv) {
        return run(argc, argv, false, false);
}

int cmd_rebuild(int argc, char **argv) {
        return run(argc, argv, true, false);
}

int cmd_create(int argc, char **argv) {
        return run(argc, argv, false, true);
}
