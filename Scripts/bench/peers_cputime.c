// CPU time (CLOCK_THREAD_CPUTIME_ID, best of several calls) of Whittle's int8 GEMM 1024^3 (i32 out, as
// onnxruntime's MatMulInteger) and conv 3x3x64x64 on 56x56 (pad + pack + GEMM, as Conv2D.forward), at one
// ISA level. On a shared machine wall time measures the process's share of the CPU; thread CPU time
// measures the kernel. Built and run by peers_cputime.sh; prints "<case> <seconds>" lines.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "ckernels.h"

static double cpu_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
    const int isa = argc > 1 ? atoi(argv[1]) : 1, reps = 12;
    srand(5);
    { /* int8 GEMM: A u8 (1024 x 1024), B packed s8 panels */
        const long m = 1024, n = 1024, kq = 256, lda = kq * 4, panels = n / 32;
        uint8_t *a = malloc(m * lda); int8_t *bp = aligned_alloc(64, panels * kq * 128);
        int32_t *cs = calloc(panels * 32, 4), *c = malloc(m * n * 4);
        for (long i = 0; i < m * lda; i++) a[i] = (uint8_t)rand();
        for (long i = 0; i < panels * kq * 128; i++) bp[i] = (int8_t)rand();
        double best = 1e9;
        for (int it = 0; it < reps; it++) {
            const double t0 = cpu_now();
            ck_i8_gemm(isa, m, n, kq, a, lda, bp, cs, 0, panels, c, n);
            const double t = cpu_now() - t0;
            if (t < best) best = t;
        }
        printf("int8_gemm_1024 %.6f\n", best);
        free(a); free(bp); free(cs); free(c);
    }
    { /* conv 3x3, 64 -> 64 channels, 56 x 56, padding 1 */
        const long ch = 64, h = 56, w = 56, k = 3, cout = 64, hp = h + 2, wp = w + 2, sp = h * w, patch = ch * k * k;
        float *img = malloc(ch * h * w * 4), *wt = malloc(cout * patch * 4), *out = malloc(cout * sp * 4);
        float *ap = malloc(ck_conv_packed_weights_count(isa, cout, patch) * 4), *pad = malloc(ch * hp * wp * 4);
        for (long i = 0; i < ch * h * w; i++) img[i] = rand() / (float)RAND_MAX - 0.5f;
        for (long i = 0; i < cout * patch; i++) wt[i] = rand() / (float)RAND_MAX - 0.5f;
        double best = 1e9;
        for (int it = 0; it < reps; it++) {
            const double t0 = cpu_now();
            ck_conv_pack_weights(isa, wt, cout, patch, ap);
            ck_conv_pad(img, ch, h, w, 1, pad);
            ck_conv_gemm(isa, pad, ch, hp, wp, k, k, 1, w, ap, cout, 0, sp, out, sp, 0);
            const double t = cpu_now() - t0;
            if (t < best) best = t;
        }
        printf("conv_3x3x64x64 %.6f\n", best);
        free(img); free(wt); free(out); free(ap); free(pad);
    }
    return 0;
}
