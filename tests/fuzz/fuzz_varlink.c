/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer harness: cvm-evidenced's message reader fed the input in pieces
 * (each piece's length taken from the input itself, as a client picks its
 * writes), every message handed out parsed by json-c as the dispatcher does.
 */
#include <stdint.h>
#include <string.h>

#include <json-c/json.h>

#include "../../measurer/evidenced/varlink.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void drain(struct vl_reader *r) {
        const char *m;
        size_t n;
        int ret;

        while ((ret = vl_reader_next(r, &m, &n)) > 0) {
                json_tokener *tok = json_tokener_new();
                json_object *o;
                if (!tok)
                        return;
                o = json_tokener_parse_ex(tok, m, (int) n);
                json_object_put(o);
                json_tokener_free(tok);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct vl_reader r;

        if (size < 1)
                return 0;
        vl_reader_init(&r, 256 + data[0]);
        data++;
        size--;
        while (size > 0) {
                size_t piece = (size_t) (data[0] % 64) + 1;
                if (piece > size)
                        piece = size;
                if (vl_reader_feed(&r, data, piece) < 0)
                        break;
                drain(&r);
                data += piece;
                size -= piece;
        }
        vl_reader_free(&r);
        return 0;
}
