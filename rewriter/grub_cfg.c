/* SPDX-License-Identifier: Apache-2.0 */
/*
 * grub.cfg as a menu (grub_cfg.h).  One pass over the lines finds the
 * menuentry and submenu blocks by their braces (function bodies are skipped
 * the same way), each entry's first linux line, and the last `set default`
 * outside any block.  Words follow GRUB's quoting: '...' literal, "..." and
 * bare words with backslash escapes.
 */

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grub_cfg.h"

#define MAX_ITEMS 4096
#define MAX_DEPTH 64
#define WORD_MAX 512
#define NONE ((size_t) -1)

enum kind { ENTRY, SUBMENU };

struct item {
        enum kind kind;
        int parent;             /* the enclosing submenu's index, -1 at top level */
        size_t start, end;      /* the block: its first line up to after its closing brace */
        size_t linux_at;        /* the entry's first linux line, NONE without one */
        bool closed;            /* its closing brace was seen */
        char title[WORD_MAX], id[WORD_MAX];
};

struct menu {
        struct item *v;
        size_t n;
        char dflt[WORD_MAX];    /* the last `set default` value outside blocks, "" if none */
        bool has_dflt;
};

static bool blank(char c) {
        return c == ' ' || c == '\t';
}

/* The next word of the line [*p, end) dequoted into out (cut at WORD_MAX); false at the line's end. */
static bool next_word(const char **p, const char *end, char *out, size_t *raw_len) {
        const char *s = *p;
        size_t o = 0;
        char q = 0;

        while (s < end && blank(*s))
                s++;
        if (s >= end)
                return false;
        const char *begin = s;
        for (; s < end && (q || !blank(*s)); s++) {
                char c = *s;
                if (q == '\'' && c != '\'') {
                } else if (c == '\'' || c == '"') {
                        if (!q || q == c) {
                                q = q ? 0 : c;
                                continue;
                        }
                } else if (c == '\\' && q != '\'' && s + 1 < end) {
                        c = *++s;
                }
                if (o + 1 < WORD_MAX)
                        out[o++] = c;
        }
        out[o] = '\0';
        if (raw_len)
                *raw_len = (size_t) (s - begin);
        *p = s;
        return true;
}

/* The line starting at off: its end (without the newline) and the next line's offset. */
static size_t line_end(const char *cfg, size_t off, size_t *next) {
        const char *nl = strchr(cfg + off, '\n');
        size_t e = nl ? (size_t) (nl - cfg) : strlen(cfg);
        *next = nl ? e + 1 : e;
        return e;
}

static bool is_linux(const char *w) {
        return !strcmp(w, "linux") || !strcmp(w, "linuxefi") || !strcmp(w, "linux16");
}

static bool is_initrd(const char *w) {
        return !strcmp(w, "initrd") || !strcmp(w, "initrdefi") || !strcmp(w, "initrd16");
}

/* A menuentry/submenu line's title (its first word) and --id / $menuentry_id_option value. */
static void parse_head(const char *p, const char *end, struct item *it) {
        char w[WORD_MAX];
        bool want_id = false, first = true;

        while (next_word(&p, end, w, NULL)) {
                if (first) {
                        snprintf(it->title, sizeof(it->title), "%s", w);
                        first = false;
                } else if (want_id) {
                        snprintf(it->id, sizeof(it->id), "%s", w);
                        want_id = false;
                } else if (!strcmp(w, "--id") || !strcmp(w, "$menuentry_id_option") ||
                           !strcmp(w, "${menuentry_id_option}")) {
                        want_id = true;
                } else if (!strncmp(w, "--id=", 5)) {
                        snprintf(it->id, sizeof(it->id), "%s", w + 5);
                }
        }
}

static void menu_free(struct menu *m) {
        free(m->v);
        m->v = NULL;
}

/* A menuentry or submenu line (its first word w, its text p..e, at off..next) as a new item of m, inside the open blocks. */
static int add_item(struct menu *m, const int *stack, size_t depth, const char *w, const char *p, const char *e,
                    size_t off, size_t next) {
        bool opens = e[-1] == '{';
        int parent = -1;
        struct item *it;

        if (m->n == MAX_ITEMS)
                return -EINVAL;
        if (!(m->n & (m->n - 1))) {
                struct item *v = realloc(m->v, (m->n ? m->n * 2 : 8) * sizeof(*v));
                if (!v)
                        return -ENOMEM;
                m->v = v;
        }
        for (size_t d = depth; d > 0 && parent < 0; d--)
                if (stack[d - 1] >= 0 && m->v[stack[d - 1]].kind == SUBMENU)
                        parent = stack[d - 1];
        it = &m->v[m->n];
        *it = (struct item) { .kind = w[0] == 'm' ? ENTRY : SUBMENU, .parent = parent, .start = off, .end = next, .linux_at = NONE };
        parse_head(p, opens ? e - 1 : e, it);
        return 0;
}

/* A block opens: the item it is (or -1) on the stack; -EINVAL past MAX_DEPTH. */
static int push(int *stack, size_t *depth, int item) {
        if (*depth == MAX_DEPTH)
                return -EINVAL;
        stack[(*depth)++] = item;
        return 0;
}

/* One line (w its first word, p..e the rest) into m: an item, a block's end, a linux line, `set default`. */
static int parse_line(struct menu *m, int *stack, size_t *depth, const char *w, size_t rawlen, const char *p, const char *e,
                      size_t off, size_t next) {
        bool opens = e[-1] == '{';
        int r;

        if (!strcmp(w, "menuentry") || !strcmp(w, "submenu")) {
                if ((r = add_item(m, stack, *depth, w, p, e, off, next)) < 0 ||
                    (opens && (r = push(stack, depth, (int) m->n)) < 0))
                        return r;
                m->n++;
        } else if (w[0] == '}' && rawlen >= 1) {
                if (*depth > 0 && stack[--*depth] >= 0) {
                        m->v[stack[*depth]].end = next;
                        m->v[stack[*depth]].closed = true;
                }
        } else if (opens) {
                return push(stack, depth, -1);
        } else if (is_linux(w) && *depth > 0 && stack[*depth - 1] >= 0 && m->v[stack[*depth - 1]].linux_at == NONE) {
                m->v[stack[*depth - 1]].linux_at = off;
        } else if (!strcmp(w, "set") && *depth == 0) {
                char v[WORD_MAX];
                if (next_word(&p, e, v, NULL) && !strncmp(v, "default=", 8) && strcmp(v + 8, "${next_entry}") != 0 &&
                    strcmp(v + 8, "$next_entry") != 0) {
                        snprintf(m->dflt, sizeof(m->dflt), "%s", v + 8);
                        m->has_dflt = true;
                }
        }
        return 0;
}

/* The blocks and the default of cfg; -ENOMEM, or -EINVAL past MAX_ITEMS or MAX_DEPTH. */
static int parse(const char *cfg, struct menu *m) {
        int stack[MAX_DEPTH];   /* item index, or -1 for a block that is not an item */
        size_t depth = 0, next;
        int r;

        *m = (struct menu) { 0 };
        for (size_t off = 0; cfg[off]; off = next) {
                size_t end = line_end(cfg, off, &next);
                const char *p = cfg + off, *e = cfg + end;
                char w[WORD_MAX];
                size_t rawlen;

                while (e > p && (blank(e[-1]) || e[-1] == '\r'))
                        e--;
                if (!next_word(&p, e, w, &rawlen) || w[0] == '#')
                        continue;
                if ((r = parse_line(m, stack, &depth, w, rawlen, p, e, off, next)) < 0) {
                        menu_free(m);
                        return r;
                }
        }
        return 0;
}

/* The child of parent that one component of a default path names: an index, an id or a title. */
static int find_child(const struct menu *m, int parent, const char *name, size_t len) {
        size_t index = 0;
        bool numeric = len > 0 && len < 6 && strspn(name, "0123456789") >= len;
        long want = numeric ? strtol(name, NULL, 10) : -1;

        for (size_t i = 0; i < m->n; i++) {
                const struct item *it = &m->v[i];
                if (it->parent != parent)
                        continue;
                if (numeric ? (long) index == want
                            : (strlen(it->id) == len && !strncmp(it->id, name, len)) ||
                                      (strlen(it->title) == len && !strncmp(it->title, name, len)))
                        return (int) i;
                index++;
        }
        return -1;
}

/* The entry the default selects (a submenu selects its first entry); -1 if none. */
static int default_entry(const struct menu *m, const char *saved) {
        const char *path = m->has_dflt ? m->dflt : "0";
        int cur = -1;

        if (!strcmp(path, "${saved_entry}") || !strcmp(path, "$saved_entry"))
                path = saved && *saved ? saved : "0";
        for (const char *c = path; c;) {
                const char *gt = strchr(c, '>');
                cur = find_child(m, cur, c, gt ? (size_t) (gt - c) : strlen(c));
                if (cur < 0)
                        return -1;
                c = gt ? gt + 1 : NULL;
        }
        while (cur >= 0 && m->v[cur].kind == SUBMENU)
                cur = find_child(m, cur, "0", 1);
        return cur;
}

/* The linux line of entry i: the kernel word (raw), where it starts, the arguments after it, the line's end. */
static bool linux_words(const char *cfg, const struct item *it, char *kernel, const char **from, const char **args,
                        const char **end) {
        size_t next, e = line_end(cfg, it->linux_at, &next);
        const char *p = cfg + it->linux_at, *stop = cfg + e;
        char w[WORD_MAX];
        size_t raw;

        if (!next_word(&p, stop, w, NULL) || !next_word(&p, stop, w, &raw))
                return false;
        memcpy(kernel, p - raw, raw);
        kernel[raw] = '\0';
        *from = p - raw;
        while (p < stop && blank(*p))
                p++;
        *args = p;
        *end = stop;
        return true;
}

/*
 * The command line GRUB's linux command builds (grub_create_loader_cmdline):
 * "BOOT_IMAGE=" and its arguments, the kernel first, each dequoted, then
 * written with \\, ' and " escaped, in double quotes when it holds a blank,
 * joined by one space.  So "ro  quiet" in grub.cfg is "ro quiet" in /proc/cmdline.
 */
static char *loader_cmdline(const char *args, const char *end) {
        char w[WORD_MAX], *out = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&out, &len);
        bool first = true;

        if (!f)
                return NULL;
        fputs("BOOT_IMAGE=", f);
        while (next_word(&args, end, w, NULL)) {
                bool quote = strchr(w, ' ') != NULL;
                fputs(first ? "" : " ", f);
                fputs(quote ? "\"" : "", f);
                for (const char *c = w; *c; c++)
                        fprintf(f, "%s%c", strchr("\\'\"", *c) ? "\\" : "", *c);
                fputs(quote ? "\"" : "", f);
                first = false;
        }
        if (fclose(f) != 0) {
                free(out);
                return NULL;
        }
        return out;
}

static char *default_linux(const char *cfg, const char *saved, bool whole) {
        struct menu m;
        char kernel[WORD_MAX];
        const char *from, *args, *end;
        char *ret = NULL;
        int d;

        if (parse(cfg, &m) < 0)
                return NULL;
        d = default_entry(&m, saved);
        if (d >= 0 && m.v[d].linux_at != NONE && linux_words(cfg, &m.v[d], kernel, &from, &args, &end))
                ret = whole ? loader_cmdline(from, end) : strdup(kernel);
        menu_free(&m);
        return ret;
}

char *grub_cfg_default_cmdline(const char *cfg, const char *saved_entry) {
        return default_linux(cfg, saved_entry, true);
}

char *grub_cfg_default_kernel(const char *cfg, const char *saved_entry) {
        return default_linux(cfg, saved_entry, false);
}

static const char *base_name(const char *path) {
        const char *s = strrchr(path, '/');
        return s ? s + 1 : path;
}

/* An item's name in a default path: its id, else its title. */
static const char *name_of(const struct item *it) {
        return it->id[0] ? it->id : it->title;
}

int grub_cfg_entry_path(const char *cfg, const char *kernel, char **ret) {
        struct menu m;
        int r = parse(cfg, &m);

        if (r < 0)
                return r;
        r = -ENOENT;
        /* First an entry whose id names the version (pinned), then any: "simple" follows the newest kernel. */
        const char *ver = strncmp(kernel, "vmlinuz-", 8) == 0 ? kernel + 8 : kernel;
        for (size_t n = 0; n < 2 * m.n && r == -ENOENT; n++) {
                const struct item *it = &m.v[n % m.n];
                if (n < m.n && !strstr(it->id, ver))
                        continue;
                char k[WORD_MAX];
                const char *from, *args, *end;
                if (it->kind != ENTRY || it->linux_at == NONE || strstr(it->id, "recovery") ||
                    strstr(it->title, "recovery mode") || !linux_words(cfg, it, k, &from, &args, &end) ||
                    strcmp(base_name(k), kernel))
                        continue;
                /* Up through the submenus: each level's name before '>'. */
                char path[4 * WORD_MAX] = "";
                bool fits = true;
                for (int j = (int) (n % m.n); j >= 0 && fits; j = m.v[j].parent) {
                        const char *name = name_of(&m.v[j]);
                        size_t nl = strlen(name), pl = strlen(path), sep = pl ? 1 : 0;
                        if ((fits = nl + sep + pl < sizeof(path))) {
                                memmove(path + nl + sep, path, pl + 1);
                                memcpy(path, name, nl);
                                if (sep)
                                        path[nl] = '>';
                        }
                }
                r = !fits ? -ENOENT : (*ret = strdup(path)) ? 0 : -ENOMEM;
        }
        menu_free(&m);
        return r;
}

/* Replace the file name of the word after the command on line [p, e) with name; the rest as is. */
static void put_renamed(FILE *f, const char *p, const char *e, bool last_word, const char *name) {
        const char *q = p, *wstart = NULL, *wend = NULL;
        char w[WORD_MAX];
        size_t raw;
        int n = 0;

        while (next_word(&q, e, w, &raw)) {
                if (++n >= 2 && (!wstart || last_word)) {
                        wstart = q - raw;
                        wend = q;
                }
        }
        if (!wstart) {
                fprintf(f, "%.*s\n", (int) (e - p), p);
                return;
        }
        const char *slash = wstart;
        for (const char *c = wstart; c < wend; c++)
                if (*c == '/')
                        slash = c + 1;
        fprintf(f, "%.*s%s%.*s\n", (int) (slash - p), p, name, (int) (e - wend), wend);
}

/* The default entry's block as a new first entry: renamed, with the kernel and initrd replaced. */
static void put_entry(FILE *f, const char *cfg, const struct item *d, const char *version, const char *kernel,
                      const char *initrd) {
        size_t next;

        if (strchr(d->title, '\'') || strchr(d->title, '\\'))
                fprintf(f, "menuentry 'Linux %s' --id 'cvm-kernel-%s' {\n", version, version);
        else
                fprintf(f, "menuentry '%s, with Linux %s' --id 'cvm-kernel-%s' {\n", d->title, version, version);
        line_end(cfg, d->start, &next);
        for (size_t off = next; off < d->end; off = next) {
                size_t e = line_end(cfg, off, &next);
                const char *p = cfg + off, *q = p;
                char w[WORD_MAX];
                bool word = next_word(&q, cfg + e, w, NULL);
                if (word && is_linux(w))
                        put_renamed(f, p, cfg + e, false, kernel);
                else if (word && is_initrd(w))
                        put_renamed(f, p, cfg + e, true, initrd);
                else
                        fprintf(f, "%.*s\n", (int) (e - off), p);
        }
}

static bool name_ok(const char *s) {
        return *s && !strpbrk(s, "'\"\\/ \t\n\r{}$;") && strlen(s) < 200;
}

/* Whether line p..ee (its first word read from q) is a `set default=` outside any block; depth follows the blocks. */
static bool sets_default(const char *p, const char *ee, size_t *depth) {
        const char *q = p;
        char w[WORD_MAX], v[WORD_MAX];

        if (!next_word(&q, ee, w, NULL) || w[0] == '#')
                return false;
        if (w[0] == '}' && *depth > 0)
                --*depth;
        else if (ee[-1] == '{')
                ++*depth;
        else
                return *depth == 0 && !strcmp(w, "set") && next_word(&q, ee, v, NULL) && !strncmp(v, "default=", 8) &&
                       strcmp(v + 8, "${next_entry}") && strcmp(v + 8, "$next_entry");
        return false;
}

/* cfg line by line into f: `set default` outside blocks names id; unless have, the copy of entry d goes before the first entry. */
static void copy_with_entry(FILE *f, const char *cfg, const struct menu *m, int d, size_t first, bool have, const char *id,
                            const char *version, const char *kernel, const char *initrd) {
        size_t depth = 0, next;
        bool set_seen = false;

        for (size_t off = 0; cfg[off]; off = next) {
                size_t e = line_end(cfg, off, &next);
                const char *p = cfg + off, *ee = cfg + e;
                if (off == first && !have) {
                        if (!set_seen)
                                fprintf(f, "set default='%s'\n", id);
                        put_entry(f, cfg, &m->v[d], version, kernel, initrd);
                }
                while (ee > p && (blank(ee[-1]) || ee[-1] == '\r'))
                        ee--;
                if (sets_default(p, ee, &depth)) {
                        fprintf(f, "%.*sset default='%s'\n", (int) (strspn(p, " \t")), p, id);
                        set_seen = true;
                        continue;
                }
                fprintf(f, "%.*s\n", (int) (e - off), p);
        }
}

/* Read back: a file whose blocks this reading and GRUB's could disagree on is refused, not half-edited. */
static bool boots(const char *cfg, const char *kernel) {
        char *got = grub_cfg_default_kernel(cfg, NULL);
        bool ok = got && !strcmp(base_name(got), kernel);

        free(got);
        return ok;
}

int grub_cfg_add_default(const char *cfg, const char *version, const char *kernel, const char *initrd, char **ret) {
        char id[WORD_MAX], k[WORD_MAX];
        const char *from, *args, *end;
        struct menu m;
        char *out = NULL;
        size_t outlen = 0, first = NONE;
        bool have = false;
        FILE *f;
        int r, d;

        if (!name_ok(version) || !name_ok(kernel) || !name_ok(initrd))
                return -EINVAL;
        if ((r = parse(cfg, &m)) < 0)
                return r;
        snprintf(id, sizeof(id), "cvm-kernel-%s", version);
        d = default_entry(&m, NULL);
        for (size_t i = 0; i < m.n; i++) {
                have |= m.v[i].parent < 0 && !strcmp(m.v[i].id, id);
                if (m.v[i].parent < 0 && first == NONE)
                        first = m.v[i].start;
        }
        /* The entry to copy: whole (its closing brace seen) and loading a kernel. */
        if (!have && (d < 0 || m.v[d].linux_at == NONE || !m.v[d].closed || !linux_words(cfg, &m.v[d], k, &from, &args, &end))) {
                menu_free(&m);
                return -ENOENT;
        }
        if (!(f = open_memstream(&out, &outlen))) {
                menu_free(&m);
                return -ENOMEM;
        }
        copy_with_entry(f, cfg, &m, d, first, have, id, version, kernel, initrd);
        menu_free(&m);
        if (fclose(f) != 0) {
                free(out);
                return -ENOMEM;
        }
        if (!boots(out, kernel)) {
                free(out);
                return -EINVAL;
        }
        *ret = out;
        return 0;
}
