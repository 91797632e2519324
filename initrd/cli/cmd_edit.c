/* SPDX-License-Identifier: Apache-2.0 */
/* cvm-initrd append and rebuild: a new last segment, written atomically beside the output. */

#include <errno.h>
#include <getopt.h>
#include <string.h>

#include "initrd_cli.h"

enum { OPT_OUT = 0x100, OPT_COMPRESS, OPT_ADD, OPT_TREE, OPT_REMOVE };

static const struct option edit_opts[] = {
        { "help", no_argument, NULL, 'h' },
        { "out", required_argument, NULL, OPT_OUT },
        { "compress", required_argument, NULL, OPT_COMPRESS },
        { "add", required_argument, NULL, OPT_ADD },
        { "tree", required_argument, NULL, OPT_TREE },
        { "remove", required_argument, NULL, OPT_REMOVE },
        {},
};

struct edit {
        bool rebuild, create;
        const char *in, *out;
        bool compress_set;
        enum cvm_initrd_compression compress;
        char **args;            /* the --add and --tree arguments, in order */
        bool *is_tree;
        size_t n_args;
        char **removes;
        size_t n_removes;
};

static void help(bool rebuild, bool create) {
        if (create)
                printf("Usage: %s create --out OUT [--compress C] (--add SRC:DEST[:MODE])... (--tree DIR:DEST)...\n\n"
                       "Write a new image of one segment (C defaults to none: an early-microcode style\n"
                       "segment; gzip, zstd, xz, lzma or bzip2 for a main one).\n",
                       program_name);
        else if (rebuild)
                printf("Usage: %s rebuild INITRD --out OUT [--remove PATH]... [--add SRC:DEST[:MODE]]...\n"
                       "                  [--tree DIR:DEST]... [--compress C]\n\n"
                       "Rewrite the last (main) segment with the same compression (or C): remove\n"
                       "PATHs and everything below them, add or replace files.  Earlier segments\n"
                       "(early microcode) are kept byte for byte.\n",
                       program_name);
        else
                printf("Usage: %s append INITRD --out OUT [--compress C] (--add SRC:DEST[:MODE])...\n"
                       "                 (--tree DIR:DEST)...\n\n"
                       "Append one segment after the existing bytes, which are kept as they are;\n"
                       "its entries override earlier ones of the same path when the kernel unpacks.\n"
                       "C is none, gzip, zstd, xz, lzma or bzip2 (default: that of the main segment,\n"
                       "the first compressed one, which the running kernel is known to read).\n",
                       program_name);
        printf("\nOutput is deterministic: entries sorted, uid/gid 0, mtimes clamped to\n"
               "$SOURCE_DATE_EPOCH (or 0).  OUT is written beside itself and renamed at the end.\n");
}

static int parse(int argc, char **argv, struct edit *e) {
        int c;

        while ((c = getopt_long(argc, argv, "h", edit_opts, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help(e->rebuild, e->create);
                        return 0;
                case OPT_OUT:
                        e->out = optarg;
                        break;
                case OPT_COMPRESS:
                        if (cvm_initrd_compression_from_name(optarg, &e->compress) < 0 ||
                            !cvm_initrd_can_compress(e->compress)) {
                                log_error("--compress '%s': expected none, gzip, zstd, xz, lzma or bzip2", optarg);
                                return -EXIT_USAGE;
                        }
                        e->compress_set = true;
                        break;
                case OPT_ADD:
                case OPT_TREE:
                        e->is_tree[e->n_args] = c == OPT_TREE;
                        e->args[e->n_args++] = optarg;
                        break;
                case OPT_REMOVE:
                        if (!e->rebuild) {
                                log_error("append: --remove needs rebuild (append can only add)");
                                return -EXIT_USAGE;
                        }
                        e->removes[e->n_removes++] = optarg;
                        break;
                default:
                        return -EXIT_USAGE;
                }
        if (optind + (e->create ? 0 : 1) != argc || !e->out) {
                log_error("%s: expected %s--out OUT (see --help)", e->create ? "create" : e->rebuild ? "rebuild" : "append",
                       e->create ? "" : "INITRD and ");
                return -EXIT_USAGE;
        }
        if (!e->rebuild && e->n_args == 0) {
                log_error("%s: nothing to add (--add or --tree)", e->create ? "create" : "append");
                return -EXIT_USAGE;
        }
        e->in = e->create ? NULL : argv[optind];
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
        for (size_t i = 0; r == 0 && i < e->n_removes; i++)
                if (cvm_initrd_fileset_remove(fs, e->removes[i]) == 0)
                        r = cvm_error_set(err, ENOENT, "--remove %s: not in the main segment (segment %zu)",
                                          e->removes[i], last);
        if (r < 0) {
                cvm_initrd_fileset_free(fs);
                return r;
        }
        *ret = fs;
        return 0;
}

/* The --add and --tree arguments, applied after what the set holds (so they win). */
static int apply_adds(cvm_initrd_fileset *fs, const struct edit *e) {
        for (size_t i = 0; i < e->n_args; i++)
                if ((e->is_tree[i] ? parse_tree(fs, e->args[i]) : parse_add(fs, e->args[i])) < 0)
                        return -1;
        return 0;
}

static int run(int argc, char **argv, bool rebuild, bool create) {
        _cleanup_(cvm_initrd_fileset_freep) cvm_initrd_fileset *set = NULL;
        _cleanup_(cvm_initrd_closep) cvm_initrd *rd = NULL;
        struct edit e = { .rebuild = rebuild, .create = create };
        const struct cvm_initrd_segment *last;
        cvm_error err = { 0 };
        int64_t epoch;
        uint64_t keep;
        int r;

        e.removes = calloc((size_t) argc, sizeof(char *));
        e.args = calloc((size_t) argc, sizeof(char *));
        e.is_tree = calloc((size_t) argc, sizeof(bool));
        if (!e.removes || !e.args || !e.is_tree) {
                r = -EXIT_OUTPUT;
                goto out;
        }
        r = parse(argc, argv, &e);
        if (r <= 0)
                goto out;
        if (create) {
                if (cvm_initrd_source_date_epoch(&epoch, &err) < 0 || cvm_initrd_fileset_new(&set) < 0) {
                        log_error("%s", err.msg);
                        r = -EXIT_USAGE;
                        goto out;
                }
                if (apply_adds(set, &e) < 0) {
                        r = -EXIT_BAD_INPUT;
                        goto out;
                }
                if (cvm_initrd_fileset_add_parents(set, &err) < 0 ||
                    cvm_initrd_write_image(NULL, 0, set, e.compress_set ? e.compress : CVM_INITRD_NONE, epoch, e.out, &err) < 0) {
                        log_error("%s", err.msg);
                        r = -EXIT_OUTPUT;
                        goto out;
                }
                r = 0;
                goto out;
        }
        if (check_not_input(e.in, e.out) < 0) {
                r = -EXIT_USAGE;
                goto out;
        }
        /* Append keeps every byte, so it reads nothing compressed: the prefix walk is enough. */
        if (cvm_initrd_source_date_epoch(&epoch, &err) < 0 ||
            (rebuild ? cvm_initrd_open(e.in, &rd, &err) : cvm_initrd_open_prefix(e.in, &rd, &err)) < 0) {
                log_error("%s", err.msg);
                r = -EXIT_BAD_INPUT;
                goto out;
        }
        last = cvm_initrd_segment(rd, cvm_initrd_segment_count(rd) - 1);
        if (!e.compress_set) {
                e.compress = last->compression;
                if (!cvm_initrd_can_compress(e.compress)) {
                        if (rebuild) {
                                log_error("%s: the main segment is %s, which cannot be written; choose --compress", e.in,
                                       cvm_initrd_compression_name(e.compress));
                                r = -EXIT_USAGE;
                                goto out;
                        }
                        e.compress = CVM_INITRD_NONE;
                }
        }
        if (rebuild) {
                if (rebuild_set(rd, &e, &set, &err) < 0) {
                        log_error("%s", err.msg);
                        r = -EXIT_BAD_INPUT;
                        goto out;
                }
                keep = last->offset;
        } else {
                size_t size;
                if (cvm_initrd_fileset_new(&set) < 0) {
                        r = -EXIT_OUTPUT;
                        goto out;
                }
                cvm_initrd_data(rd, &size);
                keep = size;
        }
        if (apply_adds(set, &e) < 0) {
                r = -EXIT_BAD_INPUT;
                goto out;
        }
        if (cvm_initrd_fileset_add_parents(set, &err) < 0 ||
            cvm_initrd_write_image(rd, keep, set, e.compress, epoch, e.out, &err) < 0) {
                log_error("%s", err.msg);
                r = -EXIT_OUTPUT;
                goto out;
        }
        r = 0;
out:
        free(e.removes);
        free(e.args);
        free(e.is_tree);
        return r < 0 ? -r : EXIT_OK;
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
