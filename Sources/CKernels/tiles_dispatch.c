// Batched block products: the tiled Q8_0/Q4_0 kernels where they apply, else the row-by-row
// ck_block_gemm. Built for the baseline target.
#include "ckernels.h"
#include "blocks.h"

int ck_avx2_block_gemm_tiles(int type, long n, const void *w, long rowBytes, long r0, long r1,
                             const void *act, long actBytes, long m, float *y, long ldy);
int ck_avx512_block_gemm_tiles(int type, long n, const void *w, long rowBytes, long r0, long r1,
                               const void *act, long actBytes, long m, float *y, long ldy);

void ck_block_gemm_batched(int isa, int type, long n, const void *w, long rowBytes, long r0, long r1,
                           const void *act, long actBytes, long m, float *y, long ldy) {
#if defined(__x86_64__) || defined(__i386__)
    /* Q8_0 only: the Q4_0 GEMV now sums with prepared (unsigned) activations, in another order than
       the Q4_0 tiles, and a batched row must equal the same row decoded alone. */
    if (type == T_Q8_0 && isa == CK_ISA_AVX512 && ck_avx512_block_gemm_tiles(type, n, w, rowBytes, r0, r1, act, actBytes, m, y, ldy)) return;
    if (type == T_Q8_0 && isa == CK_ISA_AVX2 && ck_avx2_block_gemm_tiles(type, n, w, rowBytes, r0, r1, act, actBytes, m, y, ldy)) return;
#endif
    ck_block_gemm(isa, type, n, w, rowBytes, r0, r1, act, actBytes, m, y, ldy);
}
