/* SPDX-License-Identifier: Apache-2.0 */
/*
 * grub.cfg into GRUB's script structure (grub_script.h).  A tokenizer that
 * follows GRUB's quoting ('...' literal, "..." and bare words with backslash
 * escapes, # comments at a word's start, newline and ';' ending a command),
 * then a recursive descent over the tokens.
 */

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grub_script.h"

#define MAX_DEPTH 32
#define MAX_TOKENS 200000

enum tok_kind { TK_WORD, TK_SEP, TK_END };

struct tok {
        enum tok_kind kind;
        struct gs_span s;
};

struct parser {
        const char *cfg;
        struct tok *t;
        size_t n, i;
        int depth;
        char *why;
        size_t whylen;
};

static int fail(struct parser *p, size_t off, const char *what) {
        snprintf(p->why, p->whylen, "grub.cfg: byte %zu: %s", off, what);
        return -EINVAL;
}

static int push_tok(struct parser *p, enum tok_kind k, size_t s, size_t e) {
        struct tok *t;

        if (p->n >= MAX_TOKENS)
                return fail(p, s, "too many words");
        t = realloc(p->t, (p->n + 1) * sizeof(*t));
        if (!t)
                return -ENOMEM;
        p->t = t;
        p->t[p->n++] = (struct tok) { k, { s, e } };
        return 0;
}

/* The end of the word starting at i, quotes and escapes included; SIZE_MAX if a quote is left open. */
static size_t word_end(const char *c, size_t i) {
        while (c[i] && !strchr(" \t\r\n;", c[i])) {
                if (c[i] == '\\' && c[i + 1])
                        i += 2;
                else if (c[i] == '\'' || c[i] == '"') {
                        char q = c[i++];
                        while (c[i] && c[i] != q)
                                i += (q == '"' && c[i] == '\\' && c[i + 1]) ? 2 : 1;
                        if (!c[i])
                                return SIZE_MAX;
                        i++;
                } else
                        i++;
        }
        return i;
}

static int tokenize(struct parser *p) {
        const char *c = p->cfg;
        size_t i = 0, e;
        int r;

        while (c[i]) {
                if (c[i] == ' ' || c[i] == '\t' || c[i] == '\r')
                        i++;
                else if (c[i] == '#')
                        i += strcspn(c + i, "\n");
                else if (c[i] == '\n' || c[i] == ';') {
                        if ((r = push_tok(p, TK_SEP, i, i + 1)) < 0)
                                return r;
                        i++;
                } else {
                        e = word_end(c, i);
                        if (e == SIZE_MAX)
                                return fail(p, i, "unterminated quote");
                        if ((r = push_tok(p, TK_WORD, i, e)) < 0)
                                return r;
                        i = e;
                }
        }
        return push_tok(p, TK_END, i, i);
}

static bool is_word(const struct parser *p, const char *w) {
        const struct tok *t = &p->t[p->i];
        size_t n = strlen(w);

        return t->kind == TK_WORD && t->s.end - t->s.start == n && memcmp(p->cfg + t->s.start, w, n) == 0;
}

static void skip_seps(struct parser *p) {
        while (p->t[p->i].kind == TK_SEP)
                p->i++;
}

static int parse_list(struct parser *p, const char *const *stops, struct gs_list **ret);

static void node_free(struct gs_node *n) {
        if (!n)
                return;
        free(n->words);
        gs_list_free(n->body);
        for (size_t i = 0; i < n->nbranches; i++) {
                gs_list_free(n->conds[i]);
                gs_list_free(n->thens[i]);
        }
        free(n->conds);
        free(n->thens);
        gs_list_free(n->otherwise);
        free(n);
}

void gs_list_free(struct gs_list *l) {
        if (!l)
                return;
        for (size_t i = 0; i < l->n; i++)
                node_free(l->v[i]);
        free(l->v);
        free(l);
}

/* A { } block: its raw text and its parse; p->i is at "{". */
static int parse_block(struct parser *p, struct gs_node *n) {
        static const char *const stops[] = { "}", NULL };
        int r;

        n->block.start = p->t[p->i].s.end;
        p->i++;
        if ((r = parse_list(p, stops, &n->body)) < 0)
                return r;
        if (!is_word(p, "}"))
                return fail(p, p->t[p->i].s.start, "block not closed with '}'");
        n->block.end = p->t[p->i].s.start;
        p->i++;
        return 0;
}

static int parse_cmd(struct parser *p, struct gs_node *n) {
        n->kind = GS_CMD;
        while (p->t[p->i].kind == TK_WORD && !is_word(p, "{") && !is_word(p, "}")) {
                struct gs_span *w = realloc(n->words, (n->nwords + 1) * sizeof(*w));
                if (!w)
                        return -ENOMEM;
                n->words = w;
                n->words[n->nwords++] = p->t[p->i++].s;
        }
        if (is_word(p, "{"))
                return parse_block(p, n);
        return 0;
}

static int parse_func(struct parser *p, struct gs_node *n) {
        n->kind = GS_FUNC;
        p->i++;
        if (p->t[p->i].kind != TK_WORD)
                return fail(p, p->t[p->i].s.start, "function without a name");
        n->words = malloc(sizeof(*n->words));
        if (!n->words)
                return -ENOMEM;
        n->words[0] = p->t[p->i++].s;
        n->nwords = 1;
        skip_seps(p);
        if (!is_word(p, "{"))
                return fail(p, p->t[p->i].s.start, "function body does not start with '{'");
        return parse_block(p, n);
}

static int add_branch(struct gs_node *n, struct gs_list *cond, struct gs_list *then) {
        struct gs_list **c = realloc(n->conds, (n->nbranches + 1) * sizeof(*c));
        struct gs_list **t;

        if (c)
                n->conds = c;
        t = c ? realloc(n->thens, (n->nbranches + 1) * sizeof(*t)) : NULL;
        if (!t) {
                gs_list_free(cond);
                gs_list_free(then);
                return -ENOMEM;
        }
        n->thens = t;
        n->conds[n->nbranches] = cond;
        n->thens[n->nbranches++] = then;
        return 0;
}

static int parse_if(struct parser *p, struct gs_node *n) {
        static const char *const to_then[] = { "then", NULL }, *const to_end[] = { "elif", "else", "fi", NULL },
                                 *const to_fi[] = { "fi", NULL };
        struct gs_list *cond = NULL, *then = NULL;
        int r;

        n->kind = GS_IF;
        do {
                p->i++;
                cond = then = NULL; /* the previous branch's lists belong to n now */
                if ((r = parse_list(p, to_then, &cond)) < 0 || !is_word(p, "then")) {
                        gs_list_free(cond);
                        return r < 0 ? r : fail(p, p->t[p->i].s.start, "'if' without 'then'");
                }
                p->i++;
                if ((r = parse_list(p, to_end, &then)) < 0) {
                        gs_list_free(cond);
                        return r;
                }
                if ((r = add_branch(n, cond, then)) < 0)
                        return r;
        } while (is_word(p, "elif"));
        if (is_word(p, "else")) {
                p->i++;
                if ((r = parse_list(p, to_fi, &n->otherwise)) < 0)
                        return r;
        }
        if (!is_word(p, "fi"))
                return fail(p, p->t[p->i].s.start, "'if' without 'fi'");
        p->i++;
        return 0;
}

static int parse_node(struct parser *p, struct gs_node **ret) {
        static const char *const unsupported[] = { "for", "while", "until", "case", NULL };
        struct gs_node *n = calloc(1, sizeof(*n));
        int r;

        if (!n)
                return -ENOMEM;
        for (size_t i = 0; unsupported[i]; i++)
                if (is_word(p, unsupported[i])) {
                        free(n);
                        return fail(p, p->t[p->i].s.start, "loops are not evaluated");
                }
        r = is_word(p, "if") ? parse_if(p, n) : is_word(p, "function") ? parse_func(p, n) : parse_cmd(p, n);
        if (r < 0) {
                node_free(n);
                return r;
        }
        *ret = n;
        return 0;
}

static bool at_stop(const struct parser *p, const char *const *stops) {
        for (size_t i = 0; stops[i]; i++)
                if (is_word(p, stops[i]))
                        return true;
        return p->t[p->i].kind == TK_END;
}

static int append_node(struct gs_list *l, struct gs_node *n) {
        struct gs_node **v = realloc(l->v, (l->n + 1) * sizeof(*v));

        if (!v) {
                node_free(n);
                return -ENOMEM;
        }
        l->v = v;
        l->v[l->n++] = n;
        return 0;
}

static int parse_list(struct parser *p, const char *const *stops, struct gs_list **ret) {
        struct gs_list *l = calloc(1, sizeof(*l));
        struct gs_node *n = NULL;
        int r = 0;

        if (!l)
                return -ENOMEM;
        if (++p->depth > MAX_DEPTH)
                r = fail(p, p->t[p->i].s.start, "blocks nested too deep");
        for (skip_seps(p); r == 0 && !at_stop(p, stops); skip_seps(p)) {
                if (is_word(p, "}") || is_word(p, "{"))
                        r = fail(p, p->t[p->i].s.start, "unexpected brace");
                else if ((r = parse_node(p, &n)) == 0)
                        r = append_node(l, n);
        }
        p->depth--;
        if (r < 0) {
                gs_list_free(l);
                return r;
        }
        *ret = l;
        return 0;
}

int gs_parse(const char *cfg, struct gs_list **ret, char *why, size_t whylen) {
        static const char *const none[] = { NULL };
        struct parser p = { .cfg = cfg, .why = why, .whylen = whylen };
        int r;

        r = tokenize(&p);
        if (r == 0)
                r = parse_list(&p, none, ret);
        if (r == 0 && p.t[p.i].kind != TK_END)
                r = fail(&p, p.t[p.i].s.start, "text after the end");
        free(p.t);
        return r;
}
