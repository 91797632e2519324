/* SPDX-License-Identifier: Apache-2.0 */
/* mklog N OUT: a TCG2 log (SHA-1, SHA-256, SHA-384 banks) of N varied events, for benchmarks. */
#include <stdio.h>
#include <stdlib.h>

#include "cvm/cvm.h"

int main(int argc, char **argv) {
        const struct cvm_log_alg algs[] = { { CVM_ALG_SHA1, 20 }, { CVM_ALG_SHA256, 32 }, { CVM_ALG_SHA384, 48 } };
        uint8_t d[3][CVM_DIGEST_MAX], *buf;
        char data[256];
        cvm_eventlog *log = NULL;
        cvm_error err = { 0 };
        size_t len;
        long n;
        FILE *f;

        if (argc != 3 || (n = strtol(argv[1], NULL, 10)) <= 0) {
                fprintf(stderr, "usage: mklog N OUT\n");
                return 1;
        }
        if (cvm_eventlog_new_tcg2(CVM_SPACE_PCR, algs, 3, &log, &err) < 0)
                goto fail;
        for (long i = 0; i < n; i++) {
                struct cvm_event_digest dig[3];
                int k = snprintf(data, sizeof(data), "measured item %ld: /usr/lib/x86_64-linux-gnu/lib%ld.so", i, i * 7919);
                for (int b = 0; b < 3; b++) {
                        if (cvm_digest(algs[b].alg, data, (size_t) k, d[b], &err) < 0)
                                goto fail;
                        dig[b] = (struct cvm_event_digest) { algs[b].alg, algs[b].size, d[b] };
                }
                if (cvm_eventlog_append(log, (uint32_t) (8 + i % 8), CVM_EV_IPL, dig, 3, data, (size_t) k, &err) < 0)
                        goto fail;
        }
        if (cvm_eventlog_write_tcg2(log, &buf, &len, &err) < 0)
                goto fail;
        f = fopen(argv[2], "wb");
        if (!f || fwrite(buf, 1, len, f) != len || fclose(f) != 0) {
                perror(argv[2]);
                return 1;
        }
        free(buf);
        cvm_eventlog_free(log);
        return 0;
fail:
        fprintf(stderr, "mklog: %s\n", err.msg);
        return 1;
}
