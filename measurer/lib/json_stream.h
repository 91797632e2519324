/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct json_object;

/*
 * A JSON writer that prints what json-c prints for a tree with
 * JSON_C_TO_STRING_PRETTY | SPACED | NOSLASHESCAPE (the CLI's print_json),
 * byte for byte, without building the tree: the event-log dumps stream
 * 20,000 events through it, a few bytes per call, so it gathers them in
 * its own buffer (stdio's per-call cost was most of the time).  Errors stick
 * in f (ferror).
 */
struct json_stream {
        FILE *f;
        unsigned depth;         /* containers open */
        uint64_t members;       /* bit d: the container at depth d has a member */
        size_t len;
        char buf[1 << 15];
};

/* A writer to f, malloc'ed (the buffer is too large for a stack); NULL on allocation failure. */
struct json_stream *js_new(FILE *f);

/* Write out what the buffer holds; -EIO if f has failed. */
int js_flush(struct json_stream *s);

/* Open an object ('{') or array ('['); containers nest at most 63 deep. */
void js_open(struct json_stream *s, char c);

/* Close the innermost container with c ('}' or ']'). */
void js_close(struct json_stream *s, char c);

/* Start a member of the open object: its key; a value call follows. */
void js_key(struct json_stream *s, const char *key);

/* Start an element of the open array; a value call follows. */
void js_item(struct json_stream *s);

void js_string(struct json_stream *s, const char *p, size_t n);
void js_cstring(struct json_stream *s, const char *p);
void js_int(struct json_stream *s, int64_t v);
void js_uint(struct json_stream *s, uint64_t v);
void js_bool(struct json_stream *s, bool v);
void js_null(struct json_stream *s);

/* Lower-case hex of n bytes as a string value. */
void js_hex(struct json_stream *s, const uint8_t *p, size_t n);

/* A json-c value, serialized by json-c and indented to where it stands; -ENOMEM. */
int js_value(struct json_stream *s, struct json_object *o);
