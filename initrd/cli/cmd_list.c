/* SPDX-License-Identifier: Apache-2.0 */
/* cvm-initrd list: every entry of every segment. */

#include <json-c/json.h>
#include <string.h>
#include <sys/stat.h>

#include "cvm/cvm.h"
#include "initrd_cli.h"

struct list {
        bool json, sha256;
        const cvm_initrd *rd;
        struct json_object *entries;
};

static const char *type_name(mode_t m) {
        switch (m & S_IFMT) {
        case S_IFREG:
                return "file";
        case S_IFDIR:
                return "dir";
        case S_IFLNK:
                return "symlink";
        case S_IFCHR:
                return "char";
        case S_IFBLK:
                return "block";
        case S_IFIFO:
                return "fifo";
        case S_IFSOCK:
                return "socket";
        default:
                return "unknown";
        }
}

static char type_char(mode_t m) {
        static const char c[] = { [S_IFREG >> 12] = '-', [S_IFDIR >> 12] = 'd', [S_IFLNK >> 12] = 'l',
                                  [S_IFCHR >> 12] = 'c', [S_IFBLK >> 12] = 'b', [S_IFIFO >> 12] = 'p',
                                  [S_IFSOCK >> 12] = 's' };
        return c[(m & S_IFMT) >> 12] ? c[(m & S_IFMT) >> 12] : '?';
}

static void sha256_hex(const uint8_t *data, uint64_t size, char out[65]) {
        uint8_t md[32];

        cvm_digest(CVM_ALG_SHA256, data ? data : (const uint8_t *) "", data ? size : 0, md, NULL);
        cvm_hex(md, sizeof(md), out);
}

static int list_one(const struct cvm_initrd_entry *e, void *userdata) {
        struct list *l = userdata;
        const char *comp = cvm_initrd_compression_name(cvm_initrd_segment(l->rd, e->segment)->compression);
        char hex[65] = "";
        bool digest = l->sha256 && S_ISREG(e->mode) && !e->hardlink;

        if (digest)
                sha256_hex(e->data, e->size, hex);
        if (l->json) {
                struct json_object *o = json_object_new_object();
                char mode[8];
                snprintf(mode, sizeof(mode), "%04o", (unsigned) (e->mode & 07777));
                json_object_object_add(o, "segment", json_object_new_int64((int64_t) e->segment));
                json_object_object_add(o, "compression", json_object_new_string(comp));
                json_object_object_add(o, "path", json_object_new_string(e->path));
                json_object_object_add(o, "type", json_object_new_string(type_name(e->mode)));
                json_object_object_add(o, "mode", json_object_new_string(mode));
                json_object_object_add(o, "size", json_object_new_int64((int64_t) e->size));
                if (e->link)
                        json_object_object_add(o, "target", json_object_new_string(e->link));
                if (e->hardlink)
                        json_object_object_add(o, "hardlink", json_object_new_string(e->hardlink));
                if (digest)
                        json_object_object_add(o, "sha256", json_object_new_string(hex));
                json_object_array_add(l->entries, o);
                return 0;
        }
        printf("%zu %-5s %c%04o %10llu %s", e->segment, comp, type_char(e->mode), (unsigned) (e->mode & 07777),
               (unsigned long long) e->size, e->path);
        if (e->link)
                printf(" -> %s", e->link);
        if (e->hardlink)
                printf(" link to %s", e->hardlink);
        if (digest)
                printf(" sha256:%s", hex);
        putchar('\n');
        return 0;
}

static const struct opt options[] = {
        OPT_JSON(struct list, json, "one object: {\"segments\": [...], \"entries\": [...]}"),
        OPT_FLAG(0, "sha256", struct list, sha256, "add each file's content digest"),
        OPT_END,
};

static const struct opt_command command = {
        .tool = &initrd_tool,
        .name = "list",
        .usage = "[--json] [--sha256] INITRD",
        .about = "Every entry of every segment: segment, compression, type and mode, size, path.",
        .options = options,
        .exits = 1u << EXIT_OK | 1u << EXIT_USAGE | 1u << EXIT_BAD_INPUT,
};

static void print_segments_json(const cvm_initrd *rd, struct json_object *entries) {
        struct json_object *top = json_object_new_object(), *segs = json_object_new_array();

        for (size_t i = 0; i < cvm_initrd_segment_count(rd); i++) {
                const struct cvm_initrd_segment *s = cvm_initrd_segment(rd, i);
                struct json_object *o = json_object_new_object();
                json_object_object_add(o, "index", json_object_new_int64((int64_t) i));
                json_object_object_add(o, "offset", json_object_new_int64((int64_t) s->offset));
                json_object_object_add(o, "length", json_object_new_int64((int64_t) s->length));
                json_object_object_add(o, "compression", json_object_new_string(cvm_initrd_compression_name(s->compression)));
                json_object_array_add(segs, o);
        }
        json_object_object_add(top, "segments", segs);
        json_object_object_add(top, "entries", entries);
        puts(json_object_to_json_string_ext(top, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(top);
}

int cmd_list(int argc, char **argv) {
        _cleanup_(cvm_initrd_closep) cvm_initrd *rd = NULL;
        struct list l = { 0 };
        cvm_error err = { 0 };
        int ind, ret;

        if (initrd_parse(&command, argc, argv, &l, &ind, &ret) != 0)
                return ret;
        if (ind + 1 != argc) {
                log_error("list: expected one INITRD (see --help)");
                return EXIT_USAGE;
        }
        if (cvm_initrd_open(argv[ind], &rd, &err) < 0) {
                log_error("%s", err.msg);
                return EXIT_BAD_INPUT;
        }
        l.rd = rd;
        if (l.json)
                l.entries = json_object_new_array();
        if (cvm_initrd_foreach(rd, SIZE_MAX, l.sha256, list_one, &l, &err) < 0) {
                json_object_put(l.entries);
                log_error("%s", err.msg);
                return EXIT_BAD_INPUT;
        }
        if (l.json)
                print_segments_json(rd, l.entries);
        return EXIT_OK;
}
