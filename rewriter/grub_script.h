/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * grub.cfg parsed into GRUB's script structure (words, command separators,
 * if/elif/else/fi, function NAME { }, commands taking a { } block such as
 * menuentry and submenu), for grub_predict.c.  Words stay raw spans of the
 * text: GRUB expands them when it runs them, and a block keeps its raw text
 * because GRUB measures it as written.  Input is guest text: bounded
 * recursion and sizes.
 */

#include <stddef.h>

enum gs_kind { GS_CMD, GS_IF, GS_FUNC };

struct gs_span {
        size_t start, end;
};

struct gs_list;

struct gs_node {
        enum gs_kind kind;
        struct gs_span *words;          /* GS_CMD: the words before any block; GS_FUNC: its name */
        size_t nwords;
        struct gs_span block;           /* GS_CMD with a block, GS_FUNC: the text between the braces */
        struct gs_list *body;           /* that block parsed; NULL for a plain command */
        struct gs_list **conds, **thens; /* GS_IF: if/elif conditions and their branches */
        size_t nbranches;
        struct gs_list *otherwise;      /* GS_IF: the else branch, or NULL */
};

struct gs_list {
        struct gs_node **v;
        size_t n;
};

/* Parse cfg; *ret is freed with gs_list_free.  -EINVAL with a reason in why (at a byte offset), -ENOMEM. */
int gs_parse(const char *cfg, struct gs_list **ret, char *why, size_t whylen);
void gs_list_free(struct gs_list *l);
