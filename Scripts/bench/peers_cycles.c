// In-cache cycles per 32 values of Whittle's block dot products, measured the way llama.cpp's
// test-quantize-perf measures its vec_dot (minimum rdtsc count over many calls on one 4096-value row
// whose weights and activations sit in L1), plus the same for the GEMV kernel over 64 weight rows
// (ck_block_gemm, L2-resident), which is what Whittle's GEMV runs. Built and run by peers_cycles.sh.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <x86intrin.h>
#include "ckernels.h"

static const struct { const char *name; int type, block, bytes; } types[] = {
    {"q4_0", 2, 32, 18}, {"q4_1", 3, 32, 20}, {"q5_0", 6, 32, 22}, {"q5_1", 7, 32, 24}, {"q8_0", 8, 32, 34},
    {"iq4_nl", 20, 32, 18}, {"q2_K", 10, 256, 84}, {"q3_K", 11, 256, 110}, {"q4_K", 12, 256, 144},
    {"q5_K", 13, 256, 176}, {"q6_K", 14, 256, 210}, {"iq4_xs", 23, 256, 136}};

int main(int argc, char **argv) {
    const int isa = argc > 1 ? atoi(argv[1]) : 1;
    const long n = 4096, rows = 64;
    float *x = malloc(n * sizeof(float)), y[64];
    srand(3);
    for (long i = 0; i < n; i++) x[i] = rand() / (float)RAND_MAX - 0.5f;
    for (unsigned k = 0; k < sizeof types / sizeof types[0]; k++) {
        const long rowBytes = n / types[k].block * types[k].bytes;
        /* bytes in [0x10, 0x3b): every f16 scale is finite; the codes do not change the speed */
        uint8_t *w = malloc(rowBytes * rows);
        for (long i = 0; i < rowBytes * rows; i++) w[i] = (uint8_t)(0x10 + rand() % 0x2b);
        void *act = malloc(n * 2 + 4096);
        ck_quantize_act(ck_act_type(types[k].type), x, act, n);
        unsigned long dot = ~0ul, gemv = ~0ul;
        volatile float sink = 0;
        for (int it = 0; it < 4000; it++) {
            const unsigned long t0 = __rdtsc();
            sink += ck_vec_dot(isa, types[k].type, n, w, act);
            const unsigned long t = __rdtsc() - t0;
            if (t < dot) dot = t;
        }
        for (int it = 0; it < 300; it++) {
            const unsigned long t0 = __rdtsc();
            ck_block_gemm(isa, types[k].type, n, w, rowBytes, 0, rows, act, 0, 1, y, 1);
            const unsigned long t = __rdtsc() - t0;
            if (t < gemv) gemv = t;
        }
        printf("%s %.2f %.2f\n", types[k].name, dot * 32.0 / n, gemv * 32.0 / n / rows);
        free(w); free(act);
    }
    free(x);
    return 0;
}
