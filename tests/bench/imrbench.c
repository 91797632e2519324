/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Register read and extend latency through libcvm, per backend: N reads of
 * one register in the default bank and N extends of one register (all active
 * banks), each timed alone; prints p50/p99/mean in microseconds.
 *
 *   imrbench BACKEND N [TCTI|SIM_STATE]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cvm/cvm.h"

static double now_us(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec * 1e6 + (double) ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b) {
        double x = *(const double *) a, y = *(const double *) b;
        return (x > y) - (x < y);
}

static void report(const char *backend, const char *op, double *t, size_t n) {
        double sum = 0;
        qsort(t, n, sizeof(*t), cmp_double);
        for (size_t i = 0; i < n; i++)
                sum += t[i];
        printf("%-6s %-7s %6zu ops  p50 %9.1f us  p99 %9.1f us  mean %9.1f us\n", backend, op, n, t[n / 2],
               t[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1], sum / (double) n);
}

int main(int argc, char **argv) {
        struct cvm_imr_options o = { 0 };
        struct cvm_event_digest d[8];
        uint8_t bytes[8][CVM_DIGEST_MAX], out[CVM_DIGEST_MAX];
        const uint16_t *banks;
        cvm_imr *imr = NULL;
        cvm_error err = { 0 };
        size_t n, nbanks;
        uint32_t index;
        double *t;

        if (argc < 3 || cvm_backend_from_name(argv[1], &o.backend) < 0 || (n = strtoul(argv[2], NULL, 10)) == 0) {
                fprintf(stderr, "usage: imrbench tpm2|sim N [TCTI|SIM_STATE]\n");
                return 1;
        }
        if (o.backend == CVM_BACKEND_TPM2)
                o.tcti = argc > 3 ? argv[3] : NULL;
        else
                o.sim_state = argc > 3 ? argv[3] : NULL;
        o.sim_space = CVM_SPACE_PCR;
        if (cvm_imr_open(&o, &imr, &err) < 0) {
                fprintf(stderr, "imrbench: %s\n", err.msg);
                return 1;
        }
        nbanks = cvm_imr_banks(imr, &banks);
        index = cvm_imr_space(imr) == CVM_SPACE_PCR ? 16 : 4;
        for (size_t b = 0; b < nbanks && b < 8; b++) {
                memset(bytes[b], (int) b + 1, sizeof(bytes[b]));
                d[b] = (struct cvm_event_digest) { banks[b], (uint16_t) cvm_alg_size(banks[b]), bytes[b] };
        }
        t = calloc(n, sizeof(*t));
        if (!t)
                return 1;
        for (size_t i = 0; i < n; i++) {
                double t0 = now_us();
                if (cvm_imr_read(imr, index, cvm_imr_default_alg(imr), out, &err) < 0) {
                        fprintf(stderr, "imrbench: %s\n", err.msg);
                        return 1;
                }
                t[i] = now_us() - t0;
        }
        report(argv[1], "read", t, n);
        for (size_t i = 0; i < n; i++) {
                double t0 = now_us();
                if (cvm_imr_extend(imr, index, d, nbanks < 8 ? nbanks : 8, &err) < 0) {
                        fprintf(stderr, "imrbench: %s\n", err.msg);
                        return 1;
                }
                t[i] = now_us() - t0;
        }
        report(argv[1], "extend", t, n);
        free(t);
        cvm_imr_close(imr);
        return 0;
}
