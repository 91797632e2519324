/* SPDX-License-Identifier: Apache-2.0 */
/*
 * GRUB's default boot path evaluated over grub_script.h's parse, recording
 * what GRUB's tpm module measures (grub_predict.h).  Each command line is
 * expanded as GRUB does (variables, quotes; an unquoted expansion to nothing
 * is no argument) and measured as its words joined by one space, before it
 * runs, whatever it is.  `function` and `if` are grammar, not commands, and
 * are not measured; the `[` of a condition is.
 */

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grub_predict.h"
#include "grub_script.h"
#include "grub_test.h"

#define MAX_CALLS 64
#define MAX_EVENTS 4096
#define CANCEL (-ECANCELED)

struct entry {
        char **args;            /* positional arguments (title first) */
        char *id;
        const struct gs_node *node;
        bool submenu;
};

struct menu {
        struct entry *v;
        size_t n;
};

struct var {
        char *name, *value;
};

struct eval {
        const char *cfg, *env, *device;
        grub_file_size_fn size;
        void *userdata;
        struct var *vars;
        size_t nvars;
        const struct gs_node **funcs;
        size_t nfuncs;
        struct menu *menu;
        int calls;
        bool kernel;
        struct grub_prediction *out;
};

static int stop(struct eval *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The first reason the prediction stops is kept; CANCEL unwinds the evaluation. */
static int stop(struct eval *e, const char *fmt, ...) {
        char buf[512];
        va_list ap;

        if (!e->out->unpredicted) {
                va_start(ap, fmt);
                vsnprintf(buf, sizeof(buf), fmt, ap);
                va_end(ap);
                e->out->unpredicted = strdup(buf);
                if (!e->out->unpredicted)
                        return -ENOMEM;
        }
        return CANCEL;
}

static const char *var_get(const struct eval *e, const char *name) {
        for (size_t i = e->nvars; i > 0; i--)
                if (strcmp(e->vars[i - 1].name, name) == 0)
                        return e->vars[i - 1].value;
        return NULL;
}

static int var_set(struct eval *e, const char *name, const char *value) {
        struct var *v;
        char *val = strdup(value);

        if (!val)
                return -ENOMEM;
        for (size_t i = 0; i < e->nvars; i++)
                if (strcmp(e->vars[i].name, name) == 0) {
                        free(e->vars[i].value);
                        e->vars[i].value = val;
                        return 0;
                }
        v = realloc(e->vars, (e->nvars + 1) * sizeof(*v));
        if (v)
                e->vars = v;
        if (!v || !(e->vars[e->nvars].name = strdup(name))) {
                free(val);
                return -ENOMEM;
        }
        e->vars[e->nvars++].value = val;
        return 0;
}

static int add_event(struct eval *e, enum grub_event_kind kind, const char *text, const char *path) {
        struct grub_event *v;
        char *t, *p;

        if (e->out->n >= MAX_EVENTS)
                return stop(e, "%s", "more than 4096 measurements");
        v = realloc(e->out->v, (e->out->n + 1) * sizeof(*v));
        if (!v)
                return -ENOMEM;
        e->out->v = v;
        t = strdup(text);
        p = path ? strdup(path) : NULL;
        if (!t || (path && !p)) {
                free(t);
                free(p);
                return -ENOMEM;
        }
        e->out->v[e->out->n++] = (struct grub_event) { kind, t, p };
        return 0;
}

/* A growing string. */
struct buf {
        char *s;
        size_t n;
        bool ok;
};

static void buf_add(struct buf *b, const char *s, size_t n) {
        char *t;

        if (!b->ok)
                return;
        t = realloc(b->s, b->n + n + 1);
        if (!t) {
                b->ok = false;
                return;
        }
        memcpy(t + b->n, s, n);
        b->n += n;
        t[b->n] = '\0';
        b->s = t;
}

/* $NAME or ${NAME} at w[*i] (at the '$'): appends its value; false if it is not a variable reference. */
static bool expand_var(const struct eval *e, const char *w, size_t end, size_t *i, struct buf *b) {
        size_t s = *i + 1, n = 0;
        bool braced = s < end && w[s] == '{';
        char name[128];
        const char *v;

        if (braced)
                s++;
        if (s < end && w[s] == '?')
                n = 1;
        else
                while (s + n < end && (isalnum((unsigned char) w[s + n]) || w[s + n] == '_'))
                        n++;
        if (n == 0 || n >= sizeof(name) || (braced && (s + n >= end || w[s + n] != '}')))
                return false;
        memcpy(name, w + s, n);
        name[n] = '\0';
        v = var_get(e, name);
        buf_add(b, v ? v : "", v ? strlen(v) : 0);
        *i = s + n + (braced ? 1 : 0);
        return true;
}

/* One raw word expanded: *quoted says whether any part was quoted (an empty unquoted result is no argument). */
static int expand_word(struct eval *e, struct gs_span sp, struct buf *b, bool *quoted) {
        const char *w = e->cfg;
        size_t i = sp.start;
        char q = 0;

        *quoted = false;
        buf_add(b, "", 0);
        while (i < sp.end) {
                char c = w[i];
                if (q != '\'' && c == '\\' && i + 1 < sp.end) {
                        buf_add(b, w + i + 1, 1);
                        i += 2;
                } else if ((c == '\'' || c == '"') && (!q || q == c)) {
                        q = q ? 0 : c;
                        *quoted = true;
                        i++;
                } else if (c == '$' && q != '\'' && expand_var(e, w, sp.end, &i, b)) {
                        if (!q && b->s && strpbrk(b->s, " \t"))
                                return stop(e, "%s", "an unquoted variable expands to several words");
                } else
                        buf_add(b, w + i++, 1);
        }
        return b->ok ? 0 : -ENOMEM;
}

static void argv_free(char **v) {
        for (size_t i = 0; v && v[i]; i++)
                free(v[i]);
        free(v);
}

/* Append s (taken) to the NULL-terminated v of n strings. */
static int argv_push(char ***v, size_t *n, char *s) {
        char **t = realloc(*v, (*n + 2) * sizeof(*t));

        if (!t) {
                free(s);
                return -ENOMEM;
        }
        t[(*n)++] = s;
        t[*n] = NULL;
        *v = t;
        return 0;
}

/* The node's words expanded into a NULL-terminated vector (never NULL on success). */
static int expand_words(struct eval *e, const struct gs_node *n, char ***ret) {
        char **v = calloc(1, sizeof(*v));
        size_t k = 0;
        int r = v ? 0 : -ENOMEM;

        for (size_t i = 0; i < n->nwords && r == 0; i++) {
                struct buf b = { .ok = true };
                bool quoted;
                r = expand_word(e, n->words[i], &b, &quoted);
                if (r == 0 && (b.n > 0 || quoted))
                        r = argv_push(&v, &k, b.s);
                else
                        free(b.s);
        }
        if (r < 0) {
                argv_free(v);
                return r;
        }
        *ret = v;
        return 0;
}

/* Words joined by one space, as GRUB builds the string it measures. */
static char *join(char *const *v, const char *tail) {
        struct buf b = { .ok = true };

        buf_add(&b, "", 0);
        for (size_t i = 0; v && v[i]; i++) {
                if (i > 0)
                        buf_add(&b, " ", 1);
                buf_add(&b, v[i], strlen(v[i]));
        }
        if (tail)
                buf_add(&b, tail, strlen(tail));
        if (!b.ok) {
                free(b.s);
                return NULL;
        }
        return b.s;
}

static int measure_cmd(struct eval *e, char *const *argv, const char *tail) {
        char *s = join(argv, tail);
        int r;

        if (!s)
                return -ENOMEM;
        r = add_event(e, GRUB_EV_COMMAND, s, NULL);
        free(s);
        return r;
}

static int run_list(struct eval *e, const struct gs_list *l);

/* The image path of a GRUB file name: "(DEVICE)/p" or "/p" on DEVICE; NULL for another device. */
static const char *image_path(const struct eval *e, const char *name) {
        size_t n = strlen(e->device);

        if (name[0] == '/')
                return name;
        if (name[0] == '(' && strncmp(name + 1, e->device, n) == 0 && name[n + 1] == ')' && name[n + 2] == '/')
                return name + n + 2;
        return NULL;
}

/* For [ -f NAME ]: the size of a GRUB file name, -1 if absent, -2 on another device. */
static long long name_size(void *eval, const char *name) {
        struct eval *e = eval;
        const char *p = image_path(e, name);

        return p ? e->size(e->userdata, p) : -2;
}

static int file_event(struct eval *e, const char *name) {
        const char *p = image_path(e, name);

        if (!p)
                return stop(e, "GRUB opens '%s' on a device other than the boot disk's", name);
        if (e->size(e->userdata, p) < 0)
                return stop(e, "GRUB opens '%s', which is not a file in the image", name);
        return add_event(e, GRUB_EV_FILE, name, p);
}

static int cmd_linux(struct eval *e, char **argv) {
        char *s;
        int r;

        if (!argv[1])
                return stop(e, "%s without a kernel", argv[0]);
        for (size_t i = 1; argv[i]; i++)
                if (strpbrk(argv[i], " \t\"'\\"))
                        return stop(e, "kernel argument '%s' needs GRUB's quoting", argv[i]);
        if ((r = file_event(e, argv[1])) < 0)
                return r;
        s = join(argv + 1, NULL);
        if (!s)
                return -ENOMEM;
        r = add_event(e, GRUB_EV_CMDLINE, s, NULL);
        free(s);
        e->kernel = r == 0;
        return r;
}

static int cmd_initrd(struct eval *e, char **argv) {
        int r = 0;

        if (!e->kernel)
                return stop(e, "%s before a kernel", argv[0]);
        for (size_t i = 1; argv[i] && r == 0; i++)
                r = file_event(e, argv[i]);
        return r;
}

static int cmd_set(struct eval *e, char **argv) {
        int r = 0;

        for (size_t i = 1; argv[i] && r == 0; i++) {
                char *eq = strchr(argv[i], '=');
                if (!eq)
                        return stop(e, "'set %s' without a value", argv[i]);
                *eq = '\0';
                r = var_set(e, argv[i], eq + 1);
                *eq = '=';
        }
        return r;
}

/* search ... --set[=]VAR ...: the variable gets the boot device (the VMM assumption). */
static int cmd_search(struct eval *e, char **argv) {
        const char *var = "root";

        for (size_t i = 1; argv[i]; i++) {
                if (strncmp(argv[i], "--set=", 6) == 0)
                        var = argv[i] + 6;
                else if ((strcmp(argv[i], "--set") == 0 || strcmp(argv[i], "-s") == 0) && argv[i + 1] &&
                         argv[i + 1][0] != '-')
                        var = argv[++i];
        }
        return var_set(e, var, e->device);
}

/* grubenv: "NAME=VALUE" lines after the header, '#' padding. */
static int cmd_load_env(struct eval *e, char **argv) {
        int r = 0;

        if (argv[1])
                return stop(e, "%s", "load_env with arguments is not evaluated");
        for (const char *p = e->env; p && *p && r == 0; p += strcspn(p, "\n"), p += *p == '\n') {
                size_t n = strcspn(p, "\n");
                const char *eq = memchr(p, '=', n);
                char *name, *value;
                if (*p == '#' || !eq)
                        continue;
                name = strndup(p, (size_t) (eq - p));
                value = strndup(eq + 1, n - (size_t) (eq - p) - 1);
                r = name && value ? var_set(e, name, value) : -ENOMEM;
                free(name);
                free(value);
        }
        return r;
}

static int cmd_test(struct eval *e, char **argv) {
        size_t n = 0;
        int r;

        while (argv[n])
                n++;
        if (strcmp(argv[0], "[") == 0 && strcmp(argv[--n], "]") != 0)
                return stop(e, "%s", "'[' without ']'");
        r = grub_test_eval(argv + 1, n - 1, name_size, e);
        if (r < 0)
                return stop(e, "test '%s' is not evaluated", argv[1] ? argv[1] : "");
        return r ? 0 : 1;
}

static const struct gs_node *func_find(const struct eval *e, const char *name) {
        size_t n = strlen(name);

        for (size_t i = e->nfuncs; i > 0; i--) {
                struct gs_span w = e->funcs[i - 1]->words[0];
                if (w.end - w.start == n && memcmp(e->cfg + w.start, name, n) == 0)
                        return e->funcs[i - 1];
        }
        return NULL;
}

static int call(struct eval *e, const struct gs_list *body) {
        int r;

        if (++e->calls > MAX_CALLS)
                return stop(e, "%s", "functions or menus nested more than 64 deep");
        r = run_list(e, body);
        e->calls--;
        return r;
}

/* Commands that change nothing the prediction depends on (and read no file GRUB measures). */
static bool inert(const char *cmd) {
        static const char *const v[] = { "echo", "insmod", "export", "terminal_input", "terminal_output",
                                          "save_env", "true", "set_gfxpayload", NULL };

        for (size_t i = 0; v[i]; i++)
                if (strcmp(cmd, v[i]) == 0)
                        return true;
        return false;
}

static int add_entry(struct eval *e, const struct gs_node *n, char **argv);

static int run_argv(struct eval *e, const struct gs_node *n, char **argv) {
        const char *c = argv[0];
        const struct gs_node *f;

        if (n->body)
                return add_entry(e, n, argv);
        if (strcmp(c, "[") == 0 || strcmp(c, "test") == 0)
                return cmd_test(e, argv);
        if (strcmp(c, "set") == 0)
                return cmd_set(e, argv);
        if (strcmp(c, "search") == 0 || strncmp(c, "search.", 7) == 0)
                return cmd_search(e, argv);
        if (strcmp(c, "linux") == 0 || strcmp(c, "linuxefi") == 0)
                return cmd_linux(e, argv);
        if (strcmp(c, "initrd") == 0 || strcmp(c, "initrdefi") == 0)
                return cmd_initrd(e, argv);
        if (strcmp(c, "load_env") == 0)
                return cmd_load_env(e, argv);
        if (strcmp(c, "false") == 0)
                return 1;
        if (inert(c))
                return 0;
        if ((f = func_find(e, c)))
                return call(e, f->body);
        if (strchr(c, '=') && c[0] != '=') {
                char *eq = strchr(argv[0], '=');
                *eq = '\0';
                int r = var_set(e, argv[0], eq + 1);
                *eq = '=';
                return r;
        }
        return stop(e, "GRUB command '%s' is not evaluated", c);
}

/* A command line: expanded, measured, run; returns its status (0 true) or < 0. */
static int run_cmd(struct eval *e, const struct gs_node *n) {
        char **argv = NULL, *tail = NULL;
        int r;

        if ((r = expand_words(e, n, &argv)) < 0)
                return r;
        if (!argv[0]) {
                argv_free(argv);
                return 0;
        }
        if (n->body && asprintf(&tail, " {%.*s}", (int) (n->block.end - n->block.start), e->cfg + n->block.start) < 0)
                r = -ENOMEM;
        if (r == 0)
                r = measure_cmd(e, argv, tail);
        if (r == 0)
                r = run_argv(e, n, argv);
        free(tail);
        argv_free(argv);
        if (r >= 0 && var_set(e, "?", r ? "1" : "0") < 0)
                return -ENOMEM;
        return r;
}

static int run_if(struct eval *e, const struct gs_node *n) {
        int r;

        for (size_t i = 0; i < n->nbranches; i++) {
                if ((r = run_list(e, n->conds[i])) < 0)
                        return r;
                if (r == 0)
                        return run_list(e, n->thens[i]);
        }
        return n->otherwise ? run_list(e, n->otherwise) : 0;
}

static int run_func_def(struct eval *e, const struct gs_node *n) {
        const struct gs_node **v = realloc(e->funcs, (e->nfuncs + 1) * sizeof(*v));

        if (!v)
                return -ENOMEM;
        e->funcs = v;
        e->funcs[e->nfuncs++] = n;
        return 0;
}

static int run_list(struct eval *e, const struct gs_list *l) {
        int r = 0;

        for (size_t i = 0; i < l->n && r >= 0; i++) {
                const struct gs_node *n = l->v[i];
                r = n->kind == GS_IF ? run_if(e, n) : n->kind == GS_FUNC ? run_func_def(e, n) : run_cmd(e, n);
        }
        return r;
}

static void menu_free(struct menu *m) {
        for (size_t i = 0; i < m->n; i++) {
                argv_free(m->v[i].args);
                free(m->v[i].id);
        }
        free(m->v);
        *m = (struct menu) { 0 };
}

/* Options menuentry and submenu take; the rest are positional (the title first). */
static int entry_options(struct eval *e, char **argv, struct entry *en) {
        static const char *const with_value[] = { "--class", "--users", "--hotkey", "--id", NULL };
        size_t k = 0;

        for (size_t i = 1; argv[i]; i++) {
                bool takes = false;
                for (size_t j = 0; with_value[j]; j++)
                        takes |= strcmp(argv[i], with_value[j]) == 0;
                if (takes && !argv[i + 1])
                        return stop(e, "%s without its value", argv[i]);
                if (strcmp(argv[i], "--id") == 0 || strncmp(argv[i], "--id=", 5) == 0) {
                        free(en->id);
                        en->id = strdup(argv[i][4] == '=' ? argv[i] + 5 : argv[i + 1]);
                        if (!en->id)
                                return -ENOMEM;
                } else if (argv[i][0] == '-' && argv[i][1] == '-' && !takes && strcmp(argv[i], "--unrestricted") != 0 &&
                           strncmp(argv[i], "--class=", 8) != 0)
                        return stop(e, "menu entry option '%s' is not evaluated", argv[i]);
                if (takes) {
                        i++;
                        continue;
                }
                if (argv[i][0] != '-') {
                        char *c = strdup(argv[i]);
                        if (!c || argv_push(&en->args, &k, c) < 0)
                                return -ENOMEM;
                }
        }
        return en->args ? 0 : stop(e, "%s without a title", argv[0]);
}

static int add_entry(struct eval *e, const struct gs_node *n, char **argv) {
        struct entry en = { .node = n, .submenu = strcmp(argv[0], "submenu") == 0 };
        struct entry *v;
        int r;

        if (!en.submenu && strcmp(argv[0], "menuentry") != 0)
                return stop(e, "block command '%s' is not evaluated", argv[0]);
        if ((r = entry_options(e, argv, &en)) < 0 || !(v = realloc(e->menu->v, (e->menu->n + 1) * sizeof(*v)))) {
                argv_free(en.args);
                free(en.id);
                return r < 0 ? r : -ENOMEM;
        }
        e->menu->v = v;
        e->menu->v[e->menu->n++] = en;
        return 0;
}

/* The entry `want` names (index, id or title), or NULL. */
static const struct entry *menu_find(const struct menu *m, const char *want) {
        char *end;
        unsigned long i = strtoul(want, &end, 10);

        if (*want && *end == '\0')
                return i < m->n ? &m->v[i] : NULL;
        for (size_t k = 0; k < m->n; k++)
                if (m->v[k].id && strcmp(m->v[k].id, want) == 0)
                        return &m->v[k];
        for (size_t k = 0; k < m->n; k++)
                if (strcmp(m->v[k].args[0], want) == 0)
                        return &m->v[k];
        return NULL;
}

static int run_entry(struct eval *e, const struct entry *en, const char *path);

/* The menu just built: its entry the default path's first part names, run with the rest of the path. */
static int boot_menu(struct eval *e, const char *path) {
        size_t n = strcspn(path, ">");
        char *part = strndup(path, n);
        const struct entry *en;
        int r;

        if (!part)
                return -ENOMEM;
        en = menu_find(e->menu, part);
        r = en ? run_entry(e, en, path[n] ? path + n + 1 : NULL)
               : stop(e, "the default entry '%s' is not in the menu", part);
        free(part);
        return r;
}

/* setparams ARGS: measured, then $1... set. */
static int setparams(struct eval *e, char *const *args) {
        char *s = join(args, NULL), *m = NULL, num[24];
        int r = 0;

        if (!s || asprintf(&m, "setparams %s", s) < 0)
                r = -ENOMEM;
        if (r == 0)
                r = add_event(e, GRUB_EV_COMMAND, m, NULL);
        for (size_t i = 0; args[i] && r == 0; i++) {
                snprintf(num, sizeof(num), "%zu", i + 1);
                r = var_set(e, num, args[i]);
        }
        free(s);
        free(m);
        return r;
}

/* GRUB runs an entry as "setparams ARGS" followed by its block, a submenu's in a menu of its own. */
static int run_entry(struct eval *e, const struct entry *en, const char *path) {
        struct menu sub = { 0 }, *outer = e->menu;
        int r;

        if ((r = setparams(e, en->args)) < 0 || (r = var_set(e, "chosen", en->id ? en->id : en->args[0])) < 0)
                return r;
        if (en->submenu)
                e->menu = &sub;
        r = call(e, en->node->body);
        if (r >= 0 && en->submenu)
                r = boot_menu(e, path ? path : "0");
        e->menu = outer;
        menu_free(&sub);
        return r;
}

/* What GRUB sets before grub.cfg runs (normal mode on x86_64-efi, prefix from the image's early config). */
static int preset(struct eval *e) {
        static const char *const features[] = { "feature_chainloader_bpb", "feature_ntldr", "feature_platform_search_hint",
                                                "feature_default_font_path", "feature_all_video_module",
                                                "feature_menuentry_id", "feature_menuentry_options", "feature_200_final",
                                                "feature_nativedisk_cmd", "feature_timeout_style", NULL };
        char dir[256];
        int r = 0;

        snprintf(dir, sizeof(dir), "(%s)/boot/grub", e->device);
        for (size_t i = 0; features[i] && r == 0; i++)
                r = var_set(e, features[i], "y");
        if (r == 0)
                r = var_set(e, "grub_platform", "efi");
        if (r == 0)
                r = var_set(e, "grub_cpu", "x86_64");
        if (r == 0)
                r = var_set(e, "root", e->device);
        if (r == 0)
                r = var_set(e, "prefix", dir);
        if (r == 0)
                r = var_set(e, "config_directory", dir);
        return r;
}

static int evaluate(struct eval *e, const struct gs_list *script) {
        char cfgname[300];
        const char *dflt;
        int r;

        snprintf(cfgname, sizeof(cfgname), "(%s)/boot/grub/grub.cfg", e->device);
        if ((r = preset(e)) < 0 || (r = var_set(e, "config_file", cfgname)) < 0 || (r = file_event(e, cfgname)) < 0)
                return r;
        if ((r = run_list(e, script)) < 0)
                return r;
        dflt = var_get(e, "default");
        if ((r = boot_menu(e, dflt && *dflt ? dflt : "0")) < 0)
                return r;
        return e->kernel ? 0 : stop(e, "%s", "the default entry loads no kernel");
}

int grub_predict(const char *cfg, const char *env, const char *device, grub_file_size_fn size, void *userdata,
                 struct grub_prediction *ret) {
        struct menu top = { 0 };
        struct eval e = { .cfg = cfg, .env = env, .device = device, .size = size, .userdata = userdata,
                          .menu = &top, .out = ret };
        struct gs_list *script = NULL;
        char why[256];
        int r;

        *ret = (struct grub_prediction) { 0 };
        if (strlen(device) > 200 || strpbrk(device, "()/"))
                return -EINVAL;
        r = gs_parse(cfg, &script, why, sizeof(why));
        if (r == -EINVAL)
                r = stop(&e, "%s", why);
        else if (r == 0)
                r = evaluate(&e, script);
        gs_list_free(script);
        menu_free(&top);
        for (size_t i = 0; i < e.nvars; i++) {
                free(e.vars[i].name);
                free(e.vars[i].value);
        }
        free(e.vars);
        free(e.funcs);
        if (r == CANCEL)
                return 0;
        if (r < 0)
                grub_prediction_clear(ret);
        return r;
}

void grub_prediction_clear(struct grub_prediction *p) {
        for (size_t i = 0; i < p->n; i++) {
                free(p->v[i].text);
                free(p->v[i].path);
        }
        free(p->v);
        free(p->unpredicted);
        *p = (struct grub_prediction) { 0 };
}
