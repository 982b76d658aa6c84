// Batched Q8_0 weight x Q8_0 activation products over tiles of TR weight rows x TC activation
// rows: each weight block is unpacked once for TC activation rows and each activation block loaded
// once for TR weight rows, where the single-row dot products (kernels_x86.h) redo both per pair.
// Compiled twice, by tiles_avx2.c and tiles_avx512.c, after their target pragma.
//
// Every output equals the single-row kernel's bit for bit: each 4-byte lane of a block's integer dot
// product is the same exact integer whatever the instruction sequence, the block scale is the same
// f32 product d_w*d_a, and the blocks go into the same two FMA chains (even and odd blocks) that are
// added and reduced in the same order at the end. So a prompt run in one batch gives the same logits
// as the same tokens run one at a time.
#include <immintrin.h>
#include "blocks.h"
#include "internal.h"

#define T_CAT2(a, b) a##b
#define T_CAT(a, b) T_CAT2(a, b)
#define TFN(name) T_CAT(TILE_PREFIX, name)

static inline float t_hsum8(const __m256 x) {  /* kernels_x86.h's hsum_float_8, same order */
    __m128 res = _mm256_extractf128_ps(x, 1);
    res = _mm_add_ps(res, _mm256_castps256_ps128(x));
    res = _mm_add_ps(res, _mm_movehl_ps(res, res));
    res = _mm_add_ss(res, _mm_movehdup_ps(res));
    return _mm_cvtss_f32(res);
}

static inline float t_half(uint16_t h) { return _mm_cvtss_f32(_mm_cvtph_ps(_mm_cvtsi32_si128((int)h))); }

/* Sum over groups of 4 of u8 x s8 products added to acc (exact while each pair sum fits in i16,
   which holds for the operands used here on AVX2: |u| <= 128 with |s| <= 127). */
static inline __m256i t_dp(__m256i acc, __m256i u, __m256i s) {
#if TILE_VNNI
    return _mm256_dpbusd_epi32(acc, u, s);
#else
    return _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_set1_epi16(1), _mm256_maddubs_epi16(u, s)));
#endif
}

/* Block b of a TR x TC tile added into acc. */
static inline __attribute__((always_inline)) void t_step(__m256 acc[TR][TC], long b, const uint8_t *w, long rowBytes,
                                                       const uint8_t *a, long actBytes) {
    const long wb = (long)sizeof(blk_q8_0);
    __m256i wq[TR], wfix[TR];
    __m256 dw[TR];
    for (int r = 0; r < TR; r++) {
        const uint8_t *blk = w + r * rowBytes + b * wb;
        uint16_t d; memcpy(&d, blk, 2);
        dw[r] = _mm256_set1_ps(t_half(d));
        const __m256i q = _mm256_loadu_si256((const __m256i *)(blk + 2));
#if TILE_VNNI
        /* a·w = (a+128)·w - 128·Σw: activations become the unsigned operand, so a pair costs one vpdpbusd. */
        wq[r] = q;
        wfix[r] = _mm256_sub_epi32(_mm256_setzero_si256(), _mm256_dpbusd_epi32(_mm256_setzero_si256(), _mm256_set1_epi8((char)0x80), q));
#else
        wq[r] = _mm256_sign_epi8(q, q);  /* |w| (u8); the sign moves to the activations */
        wfix[r] = q;
#endif
    }
    for (int c = 0; c < TC; c++) {
        const uint8_t *ablk = a + c * actBytes + b * (long)sizeof(blk_q8_0);
        uint16_t d; memcpy(&d, ablk, 2);
        const __m256 da = _mm256_set1_ps(t_half(d));
        const __m256i aq = _mm256_loadu_si256((const __m256i *)(ablk + 2));
#if TILE_VNNI
        const __m256i au = _mm256_xor_si256(aq, _mm256_set1_epi8((char)0x80));
        for (int r = 0; r < TR; r++) {
            const __m256 f = _mm256_cvtepi32_ps(_mm256_dpbusd_epi32(wfix[r], au, wq[r]));
            acc[r][c] = _mm256_fmadd_ps(_mm256_mul_ps(dw[r], da), f, acc[r][c]);
        }
#else
        for (int r = 0; r < TR; r++) {
            const __m256 f = _mm256_cvtepi32_ps(t_dp(_mm256_setzero_si256(), wq[r], _mm256_sign_epi8(aq, wfix[r])));
            acc[r][c] = _mm256_fmadd_ps(_mm256_mul_ps(dw[r], da), f, acc[r][c]);
        }
#endif
    }
}

/* One TR x TC tile over all nb blocks, written to y[c*ldy + r]: even blocks into acc0, odd into
   acc1, as the single-row kernels do. */
static inline __attribute__((always_inline)) void t_tile(long nb, const uint8_t *w, long rowBytes,
                                                       const uint8_t *a, long actBytes, float *y, long ldy) {
    __m256 acc0[TR][TC], acc1[TR][TC];
    for (int r = 0; r < TR; r++) for (int c = 0; c < TC; c++) acc0[r][c] = acc1[r][c] = _mm256_setzero_ps();
    long b = 0;
    for (; b + 2 <= nb; b += 2) {
        t_step(acc0, b, w, rowBytes, a, actBytes);
        t_step(acc1, b + 1, w, rowBytes, a, actBytes);
    }
    if (b < nb) t_step(acc0, b, w, rowBytes, a, actBytes);
    for (int r = 0; r < TR; r++)
        for (int c = 0; c < TC; c++) y[c * ldy + r] = t_hsum8(_mm256_add_ps(acc0[r][c], acc1[r][c]));
}

/* Rows [r0, r1) of W against activation rows [0, m): full tiles here, the edges by the single-row
   kernel. Activation rows go in chunks that stay in L1/L2 while every weight row of the range passes. */
int TFN(block_gemm_tiles)(int type, long n, const void *w, long rowBytes, long r0, long r1,
                          const void *act, long actBytes, long m, float *y, long ldy) {
    if (type != T_Q8_0 || m < TC || n % QK != 0) return 0;
    const long nb = n / QK;
    ck_dot_fn single = TILE_SINGLE(type);
    const uint8_t *wb = w, *ab = act;
    long chunk = (24 * 1024 / (actBytes > 0 ? actBytes : 1)) / TC * TC;
    if (chunk < TC) chunk = TC;
    const long mfull = m / TC * TC;
    for (long i0 = 0; i0 < mfull; i0 += chunk) {
        const long i1 = i0 + chunk < mfull ? i0 + chunk : mfull;
        long r = r0;
        for (; r + TR <= r1; r += TR)
            for (long i = i0; i < i1; i += TC) t_tile(nb, wb + r * rowBytes, rowBytes, ab + i * actBytes, actBytes, y + i * ldy + r, ldy);
        for (; r < r1; r++)
            for (long i = i0; i < i1; i++) y[i * ldy + r] = single(n, wb + r * rowBytes, ab + i * actBytes);
    }
    for (long r = r0; r < r1; r++)
        for (long i = mfull; i < m; i++) y[i * ldy + r] = single(n, wb + r * rowBytes, ab + i * actBytes);
    return 1;
}
