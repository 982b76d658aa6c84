// Batched block products: the tiled Q8_0 kernels where they apply, else the row-by-row
// ck_block_gemm; and the Q4_0/Q5_0 products over prepared activations (tiles_offset_x86.h).
// Built for the baseline target.
#include "ckernels.h"
#include "blocks.h"
#include "tiles_offset.h"

int ck_avx2_block_gemm_tiles(int type, long n, const void *w, long rowBytes, long r0, long r1,
                             const void *act, long actBytes, long m, float *y, long ldy);
int ck_avx512_block_gemm_tiles(int type, long n, const void *w, long rowBytes, long r0, long r1,
                               const void *act, long actBytes, long m, float *y, long ldy);

void ck_block_gemm_batched(int isa, int type, long n, const void *w, long rowBytes, long r0, long r1,
                           const void *act, long actBytes, long m, float *y, long ldy) {
#if defined(__x86_64__) || defined(__i386__)
    /* Q8_0 tiles; Q4_0/Q5_0 go through ck_block_gemm's prepared path, which is tiled itself. */
    if (type == T_Q8_0 && isa == CK_ISA_AVX512 && ck_avx512_block_gemm_tiles(type, n, w, rowBytes, r0, r1, act, actBytes, m, y, ldy)) return;
    if (type == T_Q8_0 && isa == CK_ISA_AVX2 && ck_avx2_block_gemm_tiles(type, n, w, rowBytes, r0, r1, act, actBytes, m, y, ldy)) return;
#endif
    ck_block_gemm(isa, type, n, w, rowBytes, r0, r1, act, actBytes, m, y, ldy);
}

int ck_offset_supported(int isa, int type) {
#if defined(__x86_64__) || defined(__i386__)
    return (isa == CK_ISA_AVX2 || isa == CK_ISA_AVX512) && (type == T_Q4_0 || type == T_Q5_0);
#else
    (void)isa; (void)type;
    return 0;
#endif
}

long ck_offset_act_bytes(long n) { return n / QK * (long)sizeof(blk_q8_off); }

void ck_offset_prepare(int type, long n, const void *act, long actBytes, long m, void *prep) {
    const int32_t offset = type == T_Q5_0 ? 16 : 8;
    const long nb = n / QK;
    blk_q8_off *out = prep;
    for (long i = 0; i < m; i++) {
        const blk_q8_0 *a = (const blk_q8_0 *)((const char *)act + i * actBytes);
        for (long b = 0; b < nb; b++, out++) {
            int32_t s = 0;
            for (int j = 0; j < QK; j++) s += a[b].qs[j];
            out->d = ck_half_to_float(a[b].d);
            out->fix = -offset * s;
            memcpy(out->qs, a[b].qs, QK);
        }
    }
}

int ck_offset_gemm(int isa, int type, long n, const void *w, long rowBytes, long r0, long r1,
                   const void *prep, long m, float *y, long ldy) {
#if defined(__x86_64__) || defined(__i386__)
    if (isa == CK_ISA_AVX512) return ck_avx512_offset_gemm(type, n, w, rowBytes, r0, r1, prep, m, y, ldy);
    if (isa == CK_ISA_AVX2) return ck_avx2_offset_gemm(type, n, w, rowBytes, r0, r1, prep, m, y, ldy);
#else
    (void)isa; (void)type; (void)n; (void)w; (void)rowBytes; (void)r0; (void)r1; (void)prep; (void)m; (void)y; (void)ldy;
#endif
    return 0;
}
