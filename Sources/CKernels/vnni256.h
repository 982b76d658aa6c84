// The 256-bit vpdpbusd kernels: the int8 GEMM/GEMV and the Q8_0 dot product for CPUs with AVX-VNNI
// (the VEX encoding on AVX2-class CPUs: Alder Lake and later, Zen 5). Written once and compiled
// twice: by isa_avxvnni.c with VNNI_DPBUSD = _mm256_dpbusd_avx_epi32 (what such a CPU runs), and
// by isa_avx512.c with the EVEX spelling _mm256_dpbusd_epi32, the same instruction semantics on
// ymm registers, so a machine with AVX-512 VNNI but no AVX-VNNI still tests this code.
// Include after the file's target pragma, with VNNI_PREFIX and VNNI_DPBUSD defined.
#include <immintrin.h>
#include <string.h>
#include "blocks.h"
#include "internal.h"

#define VNNI_CAT2(a, b) a##b
#define VNNI_CAT(a, b) VNNI_CAT2(a, b)
#define VFN(name) VNNI_CAT(VNNI_PREFIX, name)

/* R rows x (8 * V) columns of C over kq k-groups: vpdpbusd on the rows' raw u8 (= x + 128) against
   the packed s8 panel (32 columns x 4 k per 128 bytes; this strip starts at b). The 128 * colsum
   share is taken off when the tile is first stored. u8 x s8 products summed in i32 are exact. */
static inline __attribute__((always_inline)) void VFN(tile)(const int R, const int V, long kq, const uint8_t *a, long lda,
                                                           const int8_t *b, const int32_t *colsum, int32_t *c, long ldc,
                                                           int cols, int accumulate) {
    __m256i acc[6][4];
    for (int r = 0; r < R; r++) for (int v = 0; v < V; v++) acc[r][v] = _mm256_setzero_si256();
    for (long q = 0; q < kq; q++) {
        __m256i bv[4];
        for (int v = 0; v < V; v++) bv[v] = _mm256_loadu_si256((const __m256i *)(b + q * 128 + 32 * v));
        for (int r = 0; r < R; r++) {
            int32_t x;
            memcpy(&x, a + r * lda + 4 * q, 4);
            const __m256i xv = _mm256_set1_epi32(x);
            for (int v = 0; v < V; v++) acc[r][v] = VNNI_DPBUSD(acc[r][v], xv, bv[v]);
        }
    }
    for (int r = 0; r < R; r++) {
        int32_t *row = c + r * ldc;
        for (int v = 0; v < V; v++) {
            __m256i s = acc[r][v];
            if (!accumulate) s = _mm256_sub_epi32(s, _mm256_slli_epi32(_mm256_loadu_si256((const __m256i *)(colsum + 8 * v)), 7));
            if (cols >= 8 * (v + 1)) {
                __m256i *dst = (__m256i *)(row + 8 * v);
                _mm256_storeu_si256(dst, accumulate ? _mm256_add_epi32(s, _mm256_loadu_si256(dst)) : s);
            } else {
                int32_t t[8];
                _mm256_storeu_si256((__m256i *)t, s);
                for (int j = 8 * v; j < cols; j++) row[j] = t[j - 8 * v] + (accumulate ? row[j] : 0);
            }
        }
    }
}

/* The rows of one k slice against one 32-column panel: 6 x 16 tiles (12 accumulators) for a GEMM,
   R x 32 (up to 3 rows, 12 accumulators) for a GEMV, so each row has four independent chains. */
static inline void VFN(rows)(long m, long kqb, const uint8_t *a, long lda, const int8_t *b, const int32_t *cs,
                             int32_t *c, long ldc, int cols, int accumulate) {
    if (m < 4) {
        switch (m) {
        case 3: VFN(tile)(3, 4, kqb, a, lda, b, cs, c, ldc, cols, accumulate); break;
        case 2: VFN(tile)(2, 4, kqb, a, lda, b, cs, c, ldc, cols, accumulate); break;
        case 1: VFN(tile)(1, 4, kqb, a, lda, b, cs, c, ldc, cols, accumulate); break;
        default: break;
        }
        return;
    }
    for (int h = 0; h < 2 && cols > 16 * h; h++) {
        const int hc = cols - 16 * h >= 16 ? 16 : cols - 16 * h;
        const int8_t *bh = b + 64 * h;
        const int32_t *ch = cs + 16 * h;
        long i = 0;
        for (; i + 6 <= m; i += 6) VFN(tile)(6, 2, kqb, a + i * lda, lda, bh, ch, c + i * ldc + 16 * h, ldc, hc, accumulate);
        switch (m - i) {
        case 5: VFN(tile)(5, 2, kqb, a + i * lda, lda, bh, ch, c + i * ldc + 16 * h, ldc, hc, accumulate); break;
        case 4: VFN(tile)(4, 2, kqb, a + i * lda, lda, bh, ch, c + i * ldc + 16 * h, ldc, hc, accumulate); break;
        case 3: VFN(tile)(3, 2, kqb, a + i * lda, lda, bh, ch, c + i * ldc + 16 * h, ldc, hc, accumulate); break;
        case 2: VFN(tile)(2, 2, kqb, a + i * lda, lda, bh, ch, c + i * ldc + 16 * h, ldc, hc, accumulate); break;
        case 1: VFN(tile)(1, 2, kqb, a + i * lda, lda, bh, ch, c + i * ldc + 16 * h, ldc, hc, accumulate); break;
        default: break;
        }
    }
}

/* Same contract as ck_i8_gemm. Blocked like the AVX-512 kernel: 96 rows of A stay in L2 across the
   panels, a 64-k-group slice of a panel (8 KB) stays in L1 while those rows pass over it. */
void VFN(i8_gemm)(long m, long n, long kq, const uint8_t *a, long lda, const int8_t *bp, const int32_t *colsum,
                  long panel0, long panel1, int32_t *c, long ldc) {
    const long mcb = 96, kqb0 = 64;
    for (long i0 = 0; i0 < m; i0 += mcb) {
        const long mc = m - i0 < mcb ? m - i0 : mcb;
        for (long t = panel0; t < panel1; t++) {
            const long left = n - t * 32;
            const int cols = left >= 32 ? 32 : (int)left;
            for (long q0 = 0; q0 < kq; q0 += kqb0) {
                const long kqb = kq - q0 < kqb0 ? kq - q0 : kqb0;
                VFN(rows)(mc, kqb, a + i0 * lda + 4 * q0, lda, bp + t * kq * 128 + q0 * 128, colsum + t * 32,
                          c + i0 * ldc + t * 32, ldc, cols, q0 > 0);
            }
        }
    }
}

/* Q8_0 x Q8_0 as the AVX2 kernel computes it (same i32 lanes, same float order, so the same bits),
   with vpdpbusd in place of vpmaddubsw + vpmaddwd. */
static inline __m256 VFN(mul_sum_i8)(const __m256i x, const __m256i y) {
    return _mm256_cvtepi32_ps(VNNI_DPBUSD(_mm256_setzero_si256(), _mm256_sign_epi8(x, x), _mm256_sign_epi8(y, x)));
}

float VFN(dot_q8_0)(long n, const void *vx, const void *vy) {
    const blk_q8_0 *x = vx; const blk_q8_0 *y = vy;
    const long nb = n / QK;
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    long ib = 0;
    for (; ib + 2 <= nb; ib += 2) {
        const __m256 q0 = VFN(mul_sum_i8)(_mm256_loadu_si256((const __m256i *)x[ib].qs), _mm256_loadu_si256((const __m256i *)y[ib].qs));
        const __m256 q1 = VFN(mul_sum_i8)(_mm256_loadu_si256((const __m256i *)x[ib + 1].qs), _mm256_loadu_si256((const __m256i *)y[ib + 1].qs));
        acc0 = _mm256_fmadd_ps(_mm256_set1_ps(ck_f16_table[x[ib].d] * ck_f16_table[y[ib].d]), q0, acc0);
        acc1 = _mm256_fmadd_ps(_mm256_set1_ps(ck_f16_table[x[ib + 1].d] * ck_f16_table[y[ib + 1].d]), q1, acc1);
    }
    for (; ib < nb; ib++) {
        const __m256 q = VFN(mul_sum_i8)(_mm256_loadu_si256((const __m256i *)x[ib].qs), _mm256_loadu_si256((const __m256i *)y[ib].qs));
        acc0 = _mm256_fmadd_ps(_mm256_set1_ps(ck_f16_table[x[ib].d] * ck_f16_table[y[ib].d]), q, acc0);
    }
    const __m256 s8 = _mm256_add_ps(acc0, acc1);
    __m128 r = _mm_add_ps(_mm256_extractf128_ps(s8, 1), _mm256_castps256_ps128(s8));
    r = _mm_add_ps(r, _mm_movehl_ps(r, r));
    r = _mm_add_ss(r, _mm_movehdup_ps(r));
    return _mm_cvtss_f32(r);
}
