/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Streamed JSON in json-c's pretty layout.  Hand-written because json-c can
 * only serialize a tree it holds: building one json_object per field of
 * 20,000 events and freeing them cost 10x the printing.  The layout and the
 * string escapes are json-c 0.16's (json_object.c: indent, json_escape_str),
 * and tests/unit/test_json_stream.c holds every fixture's dump to the tree's.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cvm/encoding.h"
#include "json_stream.h"

struct json_stream *js_new(FILE *f) {
        struct json_stream *s = malloc(sizeof(*s));

        if (s) {
                s->f = f;
                s->depth = 0;
                s->members = 0;
                s->len = 0;
        }
        return s;
}

int js_flush(struct json_stream *s) {
        if (s->len > 0)
                fwrite(s->buf, 1, s->len, s->f);
        s->len = 0;
        return ferror(s->f) ? -EIO : 0;
}

static void put(struct json_stream *s, const char *p, size_t n) {
        if (n > sizeof(s->buf) - s->len) {
                js_flush(s);
                if (n > sizeof(s->buf)) {
                        fwrite(p, 1, n, s->f);
                        return;
                }
        }
        memcpy(s->buf + s->len, p, n);
        s->len += n;
}

static void put_char(struct json_stream *s, char c) {
        if (s->len == sizeof(s->buf))
                js_flush(s);
        s->buf[s->len++] = c;
}

static void indent(struct json_stream *s, unsigned depth) {
        static const char spaces[] = "                                                                ";

        for (size_t n = 2 * (size_t) depth; n > 0;) {
                size_t k = n < sizeof(spaces) - 1 ? n : sizeof(spaces) - 1;
                put(s, spaces, k);
                n -= k;
        }
}

/* Before a member or element: the comma after the previous one, a new line, the indent. */
static void next_member(struct json_stream *s) {
        uint64_t bit = UINT64_C(1) << s->depth;

        if (s->members & bit)
                put_char(s, ',');
        put_char(s, '\n');
        indent(s, s->depth);
        s->members |= bit;
}

void js_open(struct json_stream *s, char c) {
        put_char(s, c);
        s->depth++;
        s->members &= ~(UINT64_C(1) << s->depth);
}

/* json-c breaks the line before the closing bracket even of an empty container. */
void js_close(struct json_stream *s, char c) {
        put_char(s, '\n');
        indent(s, s->depth - 1);
        s->depth--;
        put_char(s, c);
}

/* json_escape_str with NOSLASHESCAPE: the seven short escapes, other controls as \u00xx, every other byte as is. */
static void escaped(struct json_stream *s, const char *p, size_t n) {
        static const char hexd[] = "0123456789abcdef";
        size_t from = 0;

        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char) p[i];
                char e[6] = { '\\', 0, '0', '0', 0, 0 };
                size_t k = 2;

                if (c >= 0x20 && c != '"' && c != '\\')
                        continue;
                switch (c) {
                case '\b': e[1] = 'b'; break;
                case '\n': e[1] = 'n'; break;
                case '\r': e[1] = 'r'; break;
                case '\t': e[1] = 't'; break;
                case '\f': e[1] = 'f'; break;
                case '"': e[1] = '"'; break;
                case '\\': e[1] = '\\'; break;
                default:
                        e[1] = 'u';
                        e[4] = hexd[c >> 4];
                        e[5] = hexd[c & 0xf];
                        k = 6;
                }
                put(s, p + from, i - from);
                put(s, e, k);
                from = i + 1;
        }
        put(s, p + from, n - from);
}

void js_key(struct json_stream *s, const char *key) {
        next_member(s);
        put_char(s, '"');
        escaped(s, key, strlen(key));
        put(s, "\": ", 3);
}

void js_item(struct json_stream *s) {
        next_member(s);
}

void js_string(struct json_stream *s, const char *p, size_t n) {
        put_char(s, '"');
        escaped(s, p, n);
        put_char(s, '"');
}

void js_cstring(struct json_stream *s, const char *p) {
        js_string(s, p, strlen(p));
}

void js_uint(struct json_stream *s, uint64_t v) {
        char buf[24], *p = buf + sizeof(buf);

        do
                *--p = (char) ('0' + v % 10);
        while ((v /= 10) > 0);
        put(s, p, (size_t) (buf + sizeof(buf) - p));
}

void js_int(struct json_stream *s, int64_t v) {
        if (v < 0) {
                put_char(s, '-');
                js_uint(s, -(uint64_t) v);
        } else
                js_uint(s, (uint64_t) v);
}

void js_bool(struct json_stream *s, bool v) {
        put(s, v ? "true" : "false", v ? 4 : 5);
}

void js_null(struct json_stream *s) {
        put(s, "null", 4);
}

void js_hex(struct json_stream *s, const uint8_t *p, size_t n) {
        char buf[2 * 64 + 1];

        put_char(s, '"');
        for (size_t i = 0; i < n; i += 64) {
                size_t k = n - i < 64 ? n - i : 64;
                put(s, cvm_hex(p + i, k, buf), 2 * k);
        }
        put_char(s, '"');
}

/* json-c's output of a value at depth d is its output at depth 0 with 2d more spaces after each new line. */
int js_value(struct json_stream *s, struct json_object *o) {
        size_t n;
        const char *text = json_object_to_json_string_length(
                o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE, &n);
        const char *p, *end;

        if (!text)
                return -ENOMEM;
        for (p = text, end = text + n; p < end;) {
                const char *nl = memchr(p, '\n', (size_t) (end - p));
                if (!nl) {
                        put(s, p, (size_t) (end - p));
                        break;
                }
                put(s, p, (size_t) (nl + 1 - p));
                indent(s, s->depth);
                p = nl + 1;
        }
        return 0;
}
