// The x86 SIMD kernels, written once and compiled twice: by isa_avx2.c for AVX2+FMA+F16C, and by
// isa_avx512.c for AVX-512 (F/BW/VL/VNNI), which switches the u8 x s8 dot products to vpdpbusd and
// the float loops to zmm. Include only from those two files, after their target pragma.
// The block dot products follow ggml-cpu/arch/x86/quants.c (MIT, the ggml authors).
#include <immintrin.h>
#include <stdlib.h>
#include "blocks.h"
#include "internal.h"

#define CK_CAT2(a, b) a##b
#define CK_CAT(a, b) CK_CAT2(a, b)
#define FN(name) CK_CAT(CK_PREFIX, name)
#define QZ_PREFIX CK_PREFIX
#define QZ_X86 1
#include "quantize_impl.h"
#define MM256_SET_M128I(a, b) _mm256_insertf128_si256(_mm256_castsi128_si256(b), (a), 1)
#define HF(x) half_to_float(x)

/* f16 -> f32 from ck_f16_table (see blocks.h). Converting with vcvtph2ps needs the value moved from
   a GPR into a vector register first, and clang's spellings of that merged into whatever register
   was free (often an accumulator), a false dependency between blocks; the table load has neither. */
static inline float half_to_float(uint16_t h) { return ck_f16_table[h]; }

/* The product of a weight block's and an activation block's f16 scales, broadcast to 8 lanes. */
static inline __m256 dscale(uint16_t a, uint16_t b) { return _mm256_set1_ps(ck_f16_table[a] * ck_f16_table[b]); }

/* Q4_1/Q5_1 x Q8_1: the weight's (d, m) and the activation's (d, s) are adjacent f16 pairs, so
   one vcvtph2ps gives [d, m, dy, s]; lane 0 of the result is d*dy, lane 1 is m*s (measured faster
   here than four table loads). */
static inline __m128 dm_products(const void *w, const void *a) {
    uint32_t w32, a32;
    memcpy(&w32, w, 4); memcpy(&a32, a, 4);
    const __m128 v = _mm_cvtph_ps(_mm_set_epi32(0, 0, (int)a32, (int)w32));
    return _mm_mul_ps(v, _mm_movehl_ps(v, v));
}

static inline float hsum_float_8(const __m256 x) {
    __m128 res = _mm256_extractf128_ps(x, 1);
    res = _mm_add_ps(res, _mm256_castps256_ps128(x));
    res = _mm_add_ps(res, _mm_movehl_ps(res, res));
    res = _mm_add_ss(res, _mm_movehdup_ps(res));
    return _mm_cvtss_f32(res);
}

/* 32 bits to 32 bytes of 0x00 / 0xFF. */
static inline __m256i bytes_from_bits_32(const uint8_t *x) {
    uint32_t x32;
    memcpy(&x32, x, sizeof(uint32_t));
#if CK_AVX512
    return _mm256_movm_epi8((__mmask32)x32);  /* vpmovm2b: one instruction from a mask register */
#else
    const __m256i shuf_mask = _mm256_set_epi64x(0x0303030303030303, 0x0202020202020202, 0x0101010101010101, 0x0000000000000000);
    __m256i bytes = _mm256_shuffle_epi8(_mm256_set1_epi32((int)x32), shuf_mask);
    const __m256i bit_mask = _mm256_set1_epi64x(0x7fbfdfeff7fbfdfe);
    bytes = _mm256_or_si256(bytes, bit_mask);
    return _mm256_cmpeq_epi8(bytes, _mm256_set1_epi64x(-1));
#endif
}

/* 16 bytes of nibbles to 32 bytes in [0, 15]: low nibbles first, then high nibbles. */
static inline __m256i bytes_from_nibbles_32(const uint8_t *rsi) {
    const __m128i tmp = _mm_loadu_si128((const __m128i *)rsi);
    const __m256i bytes = MM256_SET_M128I(_mm_srli_epi16(tmp, 4), tmp);
    return _mm256_and_si256(_mm256_set1_epi8(0xF), bytes);
}

/* Keeps vpmaddwd + vpaddd as two instructions: with VNNI enabled LLVM fuses them into vpdpwssd,
   which chains every step of a K-quant loop through one accumulator (measured slower). */
#if CK_VNNI
#define NOFUSE(v) __asm__("" : "+x"(v))
#else
#define NOFUSE(v) ((void)0)
#endif

/* u8 x s8 products summed in groups of 4 to i32 (vpdpbusd, or vpmaddubsw + vpmaddwd). */
static inline __m256i dot_us8(const __m256i ax, const __m256i sy) {
#if CK_VNNI
    return _mm256_dpbusd_epi32(_mm256_setzero_si256(), ax, sy);
#else
    return _mm256_madd_epi16(_mm256_set1_epi16(1), _mm256_maddubs_epi16(ax, sy));
#endif
}

static inline __m256 mul_sum_us8_pairs_float(const __m256i ax, const __m256i sy) {
    return _mm256_cvtepi32_ps(dot_us8(ax, sy));
}

/* s8 x s8 products (x may be -128, y must be in [-127, 127]) summed in groups of 4, as floats. */
static inline __m256 mul_sum_i8_pairs_float(const __m256i x, const __m256i y) {
    const __m256i ax = _mm256_sign_epi8(x, x);
    const __m256i sy = _mm256_sign_epi8(y, x);
    return mul_sum_us8_pairs_float(ax, sy);
}

static inline __m256i mul_add_epi8(const __m256i x, const __m256i y) {
    const __m256i ax = _mm256_sign_epi8(x, x);
    const __m256i sy = _mm256_sign_epi8(y, x);
    return _mm256_maddubs_epi16(ax, sy);
}

static inline __m256i get_scale_shuffle_q3k(int i) {
    static const uint8_t k_shuffle[128] = {
         0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1,     2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3,
         4, 5, 4, 5, 4, 5, 4, 5, 4, 5, 4, 5, 4, 5, 4, 5,     6, 7, 6, 7, 6, 7, 6, 7, 6, 7, 6, 7, 6, 7, 6, 7,
         8, 9, 8, 9, 8, 9, 8, 9, 8, 9, 8, 9, 8, 9, 8, 9,    10,11,10,11,10,11,10,11,10,11,10,11,10,11,10,11,
        12,13,12,13,12,13,12,13,12,13,12,13,12,13,12,13,    14,15,14,15,14,15,14,15,14,15,14,15,14,15,14,15,
    };
    return _mm256_loadu_si256((const __m256i *)k_shuffle + i);
}

static inline __m256i get_scale_shuffle_k4(int i) {
    static const uint8_t k_shuffle[256] = {
         0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1,
         2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3,
         4, 5, 4, 5, 4, 5, 4, 5, 4, 5, 4, 5, 4, 5, 4, 5, 4, 5, 4, 5, 4, 5, 4, 5, 4, 5, 4, 5, 4, 5, 4, 5,
         6, 7, 6, 7, 6, 7, 6, 7, 6, 7, 6, 7, 6, 7, 6, 7, 6, 7, 6, 7, 6, 7, 6, 7, 6, 7, 6, 7, 6, 7, 6, 7,
         8, 9, 8, 9, 8, 9, 8, 9, 8, 9, 8, 9, 8, 9, 8, 9, 8, 9, 8, 9, 8, 9, 8, 9, 8, 9, 8, 9, 8, 9, 8, 9,
        10,11,10,11,10,11,10,11,10,11,10,11,10,11,10,11,10,11,10,11,10,11,10,11,10,11,10,11,10,11,10,11,
        12,13,12,13,12,13,12,13,12,13,12,13,12,13,12,13,12,13,12,13,12,13,12,13,12,13,12,13,12,13,12,13,
        14,15,14,15,14,15,14,15,14,15,14,15,14,15,14,15,14,15,14,15,14,15,14,15,14,15,14,15,14,15,14,15
    };
    return _mm256_loadu_si256((const __m256i *)k_shuffle + i);
}

static inline __m128i get_scale_shuffle(int i) {
    static const uint8_t k_shuffle[128] = {
         0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1,   2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3,
         4, 4, 4, 4, 4, 4, 4, 4, 5, 5, 5, 5, 5, 5, 5, 5,   6, 6, 6, 6, 6, 6, 6, 6, 7, 7, 7, 7, 7, 7, 7, 7,
         8, 8, 8, 8, 8, 8, 8, 8, 9, 9, 9, 9, 9, 9, 9, 9,  10,10,10,10,10,10,10,10, 11,11,11,11,11,11,11,11,
        12,12,12,12,12,12,12,12, 13,13,13,13,13,13,13,13, 14,14,14,14,14,14,14,14, 15,15,15,15,15,15,15,15
    };
    return _mm_loadu_si128((const __m128i *)k_shuffle + i);
}

/* ---------------- Q8_0 / Q4_0 weight quantizers (quantize_impl.h's arithmetic, by hand) ----------------
   The plain C loops did not vectorize across a block's 32 lanes (the f16 conversion and the
   per-element range tests stayed scalar); these keep the same operations in the same order, so the
   bytes are identical: max of |x| as integer bits, d and 1/d in scalar f32, vcvtps2ph with round to
   nearest even for the scale, and round-half-away as trunc(p + copysign(0.5 - 2^-25, p)). */

static inline uint32_t qz_amax_bits(const float *v, __m256 *x) {
    const __m256i absmask = _mm256_set1_epi32(0x7FFFFFFF);
    __m256i m = _mm256_setzero_si256();
    for (int i = 0; i < 4; i++) {
        x[i] = _mm256_loadu_ps(v + 8 * i);
        m = _mm256_max_epu32(m, _mm256_and_si256(_mm256_castps_si256(x[i]), absmask));
    }
    __m128i h = _mm_max_epu32(_mm256_castsi256_si128(m), _mm256_extracti128_si256(m, 1));
    h = _mm_max_epu32(h, _mm_shuffle_epi32(h, 0x4E));
    h = _mm_max_epu32(h, _mm_shuffle_epi32(h, 0xB1));
    return (uint32_t)_mm_cvtsi128_si32(h);
}

static inline uint16_t qz_half_f16c(float d) { return (uint16_t)_mm_extract_epi16(_mm_cvtps_ph(_mm_set_ss(d), 0), 0); }

long FN(quantize_q8_0)(const float *x, uint8_t *out, long nb) {
    const __m256i sign = _mm256_set1_epi32((int)0x80000000u), nearhalf = _mm256_set1_epi32(0x3EFFFFFF);
    const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    for (long b = 0; b < nb; b++) {
        __m256 v[4];
        const uint32_t amax = qz_amax_bits(x + b * 32, v);
        if (amax >= 0x7F800000) return b;
        const float d = qz_float(amax) / 127, id = d == 0 ? 0 : 1 / d;
        uint8_t *dst = out + b * 34;
        const uint16_t h = qz_half_f16c(d);
        memcpy(dst, &h, 2);
        const __m256 idv = _mm256_set1_ps(id);
        __m256i q[4];
        for (int i = 0; i < 4; i++) {
            const __m256 p = _mm256_mul_ps(v[i], idv);
            const __m256 half = _mm256_castsi256_ps(_mm256_or_si256(_mm256_and_si256(_mm256_castps_si256(p), sign), nearhalf));
            q[i] = _mm256_cvttps_epi32(_mm256_add_ps(p, half));
        }
        /* |q| <= 127, so the saturating packs are exact; the permute undoes their lane interleave. */
        const __m256i b16 = _mm256_packs_epi16(_mm256_packs_epi32(q[0], q[1]), _mm256_packs_epi32(q[2], q[3]));
        _mm256_storeu_si256((__m256i *)(dst + 2), _mm256_permutevar8x32_epi32(b16, order));
    }
    return nb;
}

long FN(quantize_q4_0)(const float *x, uint8_t *out, long nb) {
    const __m256i absmask = _mm256_set1_epi32(0x7FFFFFFF), fifteen = _mm256_set1_epi32(15);
    const __m256 off = _mm256_set1_ps(8.5f);
    for (long b = 0; b < nb; b++) {
        __m256 v[4];
        const uint32_t amax = qz_amax_bits(x + b * 32, v);
        if (amax >= 0x7F800000) return b;
        /* the first element of largest magnitude keeps its sign */
        const __m256i am = _mm256_set1_epi32((int)amax);
        uint32_t hit = 0;
        for (int i = 0; i < 4; i++)
            hit |= (uint32_t)_mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpeq_epi32(_mm256_and_si256(_mm256_castps_si256(v[i]), absmask), am))) << (8 * i);
        const float m = x[b * 32 + __builtin_ctz(hit)];
        const float d = m / -8, id = d == 0 ? 0 : 1 / d;
        uint8_t *dst = out + b * 18;
        const uint16_t h = qz_half_f16c(d);
        memcpy(dst, &h, 2);
        const __m256 idv = _mm256_set1_ps(id);
        __m256i q[4];
        for (int i = 0; i < 4; i++)   /* two roundings: product, then + 8.5 */
            q[i] = _mm256_min_epi32(_mm256_cvttps_epi32(_mm256_add_ps(_mm256_mul_ps(v[i], idv), off)), fifteen);
        /* q in [0, 15]: lo = elements 0-15, hi = 16-31, byte j = lo[j] | hi[j] << 4 */
        const __m256i w16 = _mm256_permute4x64_epi64(_mm256_packus_epi16(
            _mm256_permute4x64_epi64(_mm256_packs_epi32(q[0], q[1]), 0xD8),
            _mm256_permute4x64_epi64(_mm256_packs_epi32(q[2], q[3]), 0xD8)), 0xD8);
        const __m128i lo = _mm256_castsi256_si128(w16), hi = _mm256_extracti128_si256(w16, 1);
        _mm_storeu_si128((__m128i *)(dst + 2), _mm_or_si128(lo, _mm_slli_epi16(hi, 4)));
    }
    return nb;
}

/* ---------------- 32-element blocks against Q8_0 / Q8_1 ---------------- */

static float dot_q4_0(long n, const void *vx, const void *vy) {
    const blk_q4_0 *x = vx; const blk_q8_0 *y = vy;
    const long nb = n / QK;
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    const __m256i off = _mm256_set1_epi8(8);
    long ib = 0;
    for (; ib + 2 <= nb; ib += 2) {
        const __m256i qx0 = _mm256_sub_epi8(bytes_from_nibbles_32(x[ib].qs), off);
        const __m256i qx1 = _mm256_sub_epi8(bytes_from_nibbles_32(x[ib + 1].qs), off);
        const __m256 q0 = mul_sum_i8_pairs_float(qx0, _mm256_loadu_si256((const __m256i *)y[ib].qs));
        const __m256 q1 = mul_sum_i8_pairs_float(qx1, _mm256_loadu_si256((const __m256i *)y[ib + 1].qs));
        acc0 = _mm256_fmadd_ps(dscale(x[ib].d, y[ib].d), q0, acc0);
        acc1 = _mm256_fmadd_ps(dscale(x[ib + 1].d, y[ib + 1].d), q1, acc1);
    }
    for (; ib < nb; ib++) {
        const __m256i qx = _mm256_sub_epi8(bytes_from_nibbles_32(x[ib].qs), off);
        const __m256 q = mul_sum_i8_pairs_float(qx, _mm256_loadu_si256((const __m256i *)y[ib].qs));
        acc0 = _mm256_fmadd_ps(dscale(x[ib].d, y[ib].d), q, acc0);
    }
    return hsum_float_8(_mm256_add_ps(acc0, acc1));
}

/* 16 bytes of nibbles to 32 bytes in [0, 15] as bytes_from_nibbles_32 orders them, in three instructions:
   the bytes broadcast to both lanes (a load), the high lane shifted right by 4 as 64-bit words (each
   byte's high nibble lands in its own low nibble; what crosses from the next byte is masked off). */
static inline __m256i nibbles_32_srlv(const uint8_t *rsi) {
    const __m256i b = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)rsi));
    return _mm256_and_si256(_mm256_srlv_epi64(b, _mm256_set_epi64x(4, 4, 0, 0)), _mm256_set1_epi8(0xF));
}

/* One block's d * (integer dot) added to 8 partial lanes; two blocks per step keep two FMA chains. */
static inline __m256 one_q4_1(const blk_q4_1 *x, const blk_q8_1 *y, __m128 *summs, __m256 acc) {
    const __m128 dm = dm_products(x, y);
    *summs = _mm_add_ps(*summs, dm);
    const __m256 q = mul_sum_us8_pairs_float(nibbles_32_srlv(x->qs), _mm256_loadu_si256((const __m256i *)y->qs));
    return _mm256_fmadd_ps(_mm256_broadcastss_ps(dm), q, acc);
}

static inline __m256 one_q5_1(const blk_q5_1 *x, const blk_q8_1 *y, __m128 *summs, __m256 acc) {
    const __m128 dm = dm_products(x, y);
    *summs = _mm_add_ps(*summs, dm);
    const __m256i bxhi = _mm256_and_si256(bytes_from_bits_32(x->qh), _mm256_set1_epi8(0x10));
    const __m256i qx = _mm256_or_si256(nibbles_32_srlv(x->qs), bxhi);
    const __m256 q = mul_sum_us8_pairs_float(qx, _mm256_loadu_si256((const __m256i *)y->qs));
    return _mm256_fmadd_ps(_mm256_broadcastss_ps(dm), q, acc);
}

#define DOT_WITH_MINS(NAME, WT, AT, BLOCK) \
static float NAME(long n, const void *vx, const void *vy) { \
    const WT *x = vx; const AT *y = vy; \
    const long nb = n / QK; \
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps(); \
    __m128 s0 = _mm_setzero_ps(), s1 = _mm_setzero_ps(); \
    long ib = 0; \
    for (; ib + 2 <= nb; ib += 2) { \
        acc0 = BLOCK(x + ib, y + ib, &s0, acc0); \
        acc1 = BLOCK(x + ib + 1, y + ib + 1, &s1, acc1); \
    } \
    if (ib < nb) acc0 = BLOCK(x + ib, y + ib, &s0, acc0); \
    return hsum_float_8(_mm256_add_ps(acc0, acc1)) + _mm_cvtss_f32(_mm_movehdup_ps(_mm_add_ps(s0, s1))); \
}

DOT_WITH_MINS(dot_q4_1, blk_q4_1, blk_q8_1, one_q4_1)
DOT_WITH_MINS(dot_q5_1, blk_q5_1, blk_q8_1, one_q5_1)

static inline __m256 one_q5_0(const blk_q5_0 *x, const blk_q8_0 *y, __m256 acc) {
    const __m256i bxhi = _mm256_andnot_si256(bytes_from_bits_32(x->qh), _mm256_set1_epi8((char)0xF0));
    const __m256i qx = _mm256_or_si256(bytes_from_nibbles_32(x->qs), bxhi);
    return _mm256_fmadd_ps(dscale(x->d, y->d), mul_sum_i8_pairs_float(qx, _mm256_loadu_si256((const __m256i *)y->qs)), acc);
}

static inline __m256 one_iq4_nl(const blk_iq4_nl *x, const blk_q8_0 *y, __m256 acc) {
    const __m128i values128 = _mm_loadu_si128((const __m128i *)ck_kvalues_iq4nl);
    const __m128i m4b = _mm_set1_epi8(0x0f);
    const __m128i q4bits = _mm_loadu_si128((const __m128i *)x->qs);
    const __m256i q4b = MM256_SET_M128I(_mm_shuffle_epi8(values128, _mm_and_si128(_mm_srli_epi16(q4bits, 4), m4b)),
                                        _mm_shuffle_epi8(values128, _mm_and_si128(q4bits, m4b)));
    return _mm256_fmadd_ps(dscale(x->d, y->d), mul_sum_i8_pairs_float(q4b, _mm256_loadu_si256((const __m256i *)y->qs)), acc);
}

#define DOT_PLAIN(NAME, WT, BLOCK) \
static float NAME(long n, const void *vx, const void *vy) { \
    const WT *x = vx; const blk_q8_0 *y = vy; \
    const long nb = n / QK; \
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps(); \
    long ib = 0; \
    for (; ib + 2 <= nb; ib += 2) { \
        acc0 = BLOCK(x + ib, y + ib, acc0); \
        acc1 = BLOCK(x + ib + 1, y + ib + 1, acc1); \
    } \
    if (ib < nb) acc0 = BLOCK(x + ib, y + ib, acc0); \
    return hsum_float_8(_mm256_add_ps(acc0, acc1)); \
}

DOT_PLAIN(dot_q5_0, blk_q5_0, one_q5_0)
DOT_PLAIN(dot_iq4_nl, blk_iq4_nl, one_iq4_nl)

static float dot_q8_0(long n, const void *vx, const void *vy) {
    const blk_q8_0 *x = vx; const blk_q8_0 *y = vy;
    const long nb = n / QK;
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    long ib = 0;
    for (; ib + 2 <= nb; ib += 2) {
        const __m256 q0 = mul_sum_i8_pairs_float(_mm256_loadu_si256((const __m256i *)x[ib].qs), _mm256_loadu_si256((const __m256i *)y[ib].qs));
        const __m256 q1 = mul_sum_i8_pairs_float(_mm256_loadu_si256((const __m256i *)x[ib + 1].qs), _mm256_loadu_si256((const __m256i *)y[ib + 1].qs));
        acc0 = _mm256_fmadd_ps(dscale(x[ib].d, y[ib].d), q0, acc0);
        acc1 = _mm256_fmadd_ps(dscale(x[ib + 1].d, y[ib + 1].d), q1, acc1);
    }
    for (; ib < nb; ib++) {
        const __m256 q = mul_sum_i8_pairs_float(_mm256_loadu_si256((const __m256i *)x[ib].qs), _mm256_loadu_si256((const __m256i *)y[ib].qs));
        acc0 = _mm256_fmadd_ps(dscale(x[ib].d, y[ib].d), q, acc0);
    }
    return hsum_float_8(_mm256_add_ps(acc0, acc1));
}

/* ---------------- K-quants against Q8_K ---------------- */

static float dot_q2_K(long n, const void *vx, const void *vy) {
    const blk_q2_K *x = vx; const blk_q8_K *y = vy;
    const __m256i m3 = _mm256_set1_epi8(3);
    const __m128i m4 = _mm_set1_epi8(0xF);
    __m256 acc = _mm256_setzero_ps();
    for (long i = 0; i < n / QKK; i++) {
        const float d = y[i].d * HF(x[i].d);
        const float dmin = -y[i].d * HF(x[i].dmin);
        const uint8_t *q2 = x[i].qs;
        const int8_t *q8 = y[i].qs;
        const __m128i mins_and_scales = _mm_loadu_si128((const __m128i *)x[i].scales);
        const __m128i scales8 = _mm_and_si128(mins_and_scales, m4);
        const __m128i mins8 = _mm_and_si128(_mm_srli_epi16(mins_and_scales, 4), m4);
        const __m256i mins = _mm256_cvtepi8_epi16(mins8);
        const __m256i prod = _mm256_madd_epi16(mins, _mm256_loadu_si256((const __m256i *)y[i].bsums));
        acc = _mm256_fmadd_ps(_mm256_set1_ps(dmin), _mm256_cvtepi32_ps(prod), acc);
        const __m256i all_scales = _mm256_cvtepi8_epi16(scales8);
        const __m128i l_scales = _mm256_extracti128_si256(all_scales, 0);
        const __m128i h_scales = _mm256_extracti128_si256(all_scales, 1);
        const __m256i scales[2] = {MM256_SET_M128I(l_scales, l_scales), MM256_SET_M128I(h_scales, h_scales)};
        __m256i sumi = _mm256_setzero_si256();
        for (int j = 0; j < QKK / 128; j++) {
            const __m256i q2bits = _mm256_loadu_si256((const __m256i *)q2); q2 += 32;
            const __m256i q8_0 = _mm256_loadu_si256((const __m256i *)q8); q8 += 32;
            const __m256i q8_1 = _mm256_loadu_si256((const __m256i *)q8); q8 += 32;
            const __m256i q8_2 = _mm256_loadu_si256((const __m256i *)q8); q8 += 32;
            const __m256i q8_3 = _mm256_loadu_si256((const __m256i *)q8); q8 += 32;
            const __m256i q2_0 = _mm256_and_si256(q2bits, m3);
            const __m256i q2_1 = _mm256_and_si256(_mm256_srli_epi16(q2bits, 2), m3);
            const __m256i q2_2 = _mm256_and_si256(_mm256_srli_epi16(q2bits, 4), m3);
            const __m256i q2_3 = _mm256_and_si256(_mm256_srli_epi16(q2bits, 6), m3);
            __m256i p0 = _mm256_maddubs_epi16(q2_0, q8_0);
            __m256i p1 = _mm256_maddubs_epi16(q2_1, q8_1);
            __m256i p2 = _mm256_maddubs_epi16(q2_2, q8_2);
            __m256i p3 = _mm256_maddubs_epi16(q2_3, q8_3);
            p0 = _mm256_madd_epi16(_mm256_shuffle_epi8(scales[j], get_scale_shuffle_q3k(0)), p0);
            p1 = _mm256_madd_epi16(_mm256_shuffle_epi8(scales[j], get_scale_shuffle_q3k(1)), p1);
            p2 = _mm256_madd_epi16(_mm256_shuffle_epi8(scales[j], get_scale_shuffle_q3k(2)), p2);
            p3 = _mm256_madd_epi16(_mm256_shuffle_epi8(scales[j], get_scale_shuffle_q3k(3)), p3);
            sumi = _mm256_add_epi32(sumi, _mm256_add_epi32(_mm256_add_epi32(p0, p1), _mm256_add_epi32(p2, p3)));
        }
        acc = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(sumi), acc);
    }
    return hsum_float_8(acc);
}

static float dot_q3_K(long n, const void *vx, const void *vy) {
    const blk_q3_K *x = vx; const blk_q8_K *y = vy;
    const uint32_t kmask1 = 0x03030303, kmask2 = 0x0f0f0f0f;
    const __m256i m3 = _mm256_set1_epi8(3);
    const __m256i mone = _mm256_set1_epi8(1);
    const __m128i m32 = _mm_set1_epi8(32);
    __m256 acc = _mm256_setzero_ps();
    uint32_t aux[3];
    for (long i = 0; i < n / QKK; i++) {
        const float d = y[i].d * HF(x[i].d);
        const uint8_t *q3 = x[i].qs;
        const int8_t *q8 = y[i].qs;
        memcpy(aux, x[i].scales, 12);
        __m128i scales128 = _mm_set_epi32(
            (int)(((aux[1] >> 4) & kmask2) | (((aux[2] >> 6) & kmask1) << 4)),
            (int)(((aux[0] >> 4) & kmask2) | (((aux[2] >> 4) & kmask1) << 4)),
            (int)((aux[1] & kmask2) | (((aux[2] >> 2) & kmask1) << 4)),
            (int)((aux[0] & kmask2) | (((aux[2] >> 0) & kmask1) << 4)));
        scales128 = _mm_sub_epi8(scales128, m32);
        const __m256i all_scales = _mm256_cvtepi8_epi16(scales128);
        const __m128i l_scales = _mm256_extracti128_si256(all_scales, 0);
        const __m128i h_scales = _mm256_extracti128_si256(all_scales, 1);
        const __m256i scales[2] = {MM256_SET_M128I(l_scales, l_scales), MM256_SET_M128I(h_scales, h_scales)};
        const __m256i hbits = _mm256_loadu_si256((const __m256i *)x[i].hmask);
        __m256i sumi = _mm256_setzero_si256();
        int bit = 0;
        for (int j = 0; j < QKK / 128; j++) {
            const __m256i q3bits = _mm256_loadu_si256((const __m256i *)q3); q3 += 32;
            __m256i p16[4];
            for (int s = 0; s < 4; s++) {
                const __m256i q3l = _mm256_and_si256(_mm256_srli_epi16(q3bits, 2 * s), m3);
                const __m256i q3h = _mm256_slli_epi16(_mm256_srli_epi16(_mm256_andnot_si256(hbits, _mm256_slli_epi16(mone, bit)), bit), 2);
                ++bit;
                const __m256i q8v = _mm256_loadu_si256((const __m256i *)q8); q8 += 32;
                const __m256i p = _mm256_sub_epi16(_mm256_maddubs_epi16(q3l, q8v), _mm256_maddubs_epi16(q3h, q8v));
                p16[s] = _mm256_madd_epi16(_mm256_shuffle_epi8(scales[j], get_scale_shuffle_q3k(s)), p);
            }
            sumi = _mm256_add_epi32(sumi, _mm256_add_epi32(_mm256_add_epi32(p16[0], p16[1]), _mm256_add_epi32(p16[2], p16[3])));
        }
        acc = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(sumi), acc);
    }
    return hsum_float_8(acc);
}

static inline void k4_scales(const uint8_t *packed, uint32_t utmp[4]) {
    const uint32_t kmask1 = 0x3f3f3f3f, kmask2 = 0x0f0f0f0f, kmask3 = 0x03030303;
    memcpy(utmp, packed, 12);
    utmp[3] = ((utmp[2] >> 4) & kmask2) | (((utmp[1] >> 6) & kmask3) << 4);
    const uint32_t uaux = utmp[1] & kmask1;
    utmp[1] = (utmp[2] & kmask2) | (((utmp[0] >> 6) & kmask3) << 4);
    utmp[2] = uaux;
    utmp[0] &= kmask1;
}

static float dot_q4_K(long n, const void *vx, const void *vy) {
    const blk_q4_K *x = vx; const blk_q8_K *y = vy;
    const __m256i m4 = _mm256_set1_epi8(0xF);
    __m256 acc = _mm256_setzero_ps();
    __m128 acc_m = _mm_setzero_ps();
    uint32_t utmp[4];
    for (long i = 0; i < n / QKK; i++) {
        const float d = y[i].d * HF(x[i].d);
        const float dmin = -y[i].d * HF(x[i].dmin);
        k4_scales(x[i].scales, utmp);
        const uint8_t *q4 = x[i].qs;
        const int8_t *q8 = y[i].qs;
        const __m256i mins_and_scales = _mm256_cvtepu8_epi16(_mm_set_epi32((int)utmp[3], (int)utmp[2], (int)utmp[1], (int)utmp[0]));
        const __m256i q8sums = _mm256_loadu_si256((const __m256i *)y[i].bsums);
        const __m128i q8s = _mm_hadd_epi16(_mm256_extracti128_si256(q8sums, 0), _mm256_extracti128_si256(q8sums, 1));
        const __m128i prod = _mm_madd_epi16(_mm256_extracti128_si256(mins_and_scales, 1), q8s);
        acc_m = _mm_fmadd_ps(_mm_set1_ps(dmin), _mm_cvtepi32_ps(prod), acc_m);
        const __m128i sc128 = _mm256_extracti128_si256(mins_and_scales, 0);
        const __m256i scales = MM256_SET_M128I(sc128, sc128);
        __m256i sumi = _mm256_setzero_si256();
        for (int j = 0; j < QKK / 64; j++) {
            const __m256i scale_l = _mm256_shuffle_epi8(scales, get_scale_shuffle_k4(2 * j + 0));
            const __m256i scale_h = _mm256_shuffle_epi8(scales, get_scale_shuffle_k4(2 * j + 1));
            const __m256i q4bits = _mm256_loadu_si256((const __m256i *)q4); q4 += 32;
            const __m256i q4l = _mm256_and_si256(q4bits, m4);
            const __m256i q4h = _mm256_and_si256(_mm256_srli_epi16(q4bits, 4), m4);
            const __m256i q8l = _mm256_loadu_si256((const __m256i *)q8); q8 += 32;
            __m256i p16l = _mm256_madd_epi16(scale_l, _mm256_maddubs_epi16(q4l, q8l));
            const __m256i q8h = _mm256_loadu_si256((const __m256i *)q8); q8 += 32;
            __m256i p16h = _mm256_madd_epi16(scale_h, _mm256_maddubs_epi16(q4h, q8h));
            NOFUSE(p16l); NOFUSE(p16h);
            sumi = _mm256_add_epi32(sumi, _mm256_add_epi32(p16l, p16h));
        }
        acc = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(sumi), acc);
    }
    acc_m = _mm_add_ps(acc_m, _mm_movehl_ps(acc_m, acc_m));
    acc_m = _mm_add_ss(acc_m, _mm_movehdup_ps(acc_m));
    return hsum_float_8(acc) + _mm_cvtss_f32(acc_m);
}

static float dot_q5_K(long n, const void *vx, const void *vy) {
    const blk_q5_K *x = vx; const blk_q8_K *y = vy;
    const __m256i m4 = _mm256_set1_epi8(0xF);
    const __m128i mzero = _mm_setzero_si128();
    const __m256i mone = _mm256_set1_epi8(1);
    __m256 acc = _mm256_setzero_ps();
    float summs = 0.f;
    uint32_t utmp[4];
    for (long i = 0; i < n / QKK; i++) {
        const uint8_t *q5 = x[i].qs;
        const int8_t *q8 = y[i].qs;
        const float d = y[i].d * HF(x[i].d);
        const float dmin = -y[i].d * HF(x[i].dmin);
        k4_scales(x[i].scales, utmp);
        const __m256i mins_and_scales = _mm256_cvtepu8_epi16(_mm_set_epi32((int)utmp[3], (int)utmp[2], (int)utmp[1], (int)utmp[0]));
        const __m256i q8sums = _mm256_loadu_si256((const __m256i *)y[i].bsums);
        const __m128i q8s = _mm_hadd_epi16(_mm256_extracti128_si256(q8sums, 0), _mm256_extracti128_si256(q8sums, 1));
        const __m128i prod = _mm_madd_epi16(_mm256_extracti128_si256(mins_and_scales, 1), q8s);
        const __m128i hsum = _mm_hadd_epi32(_mm_hadd_epi32(prod, mzero), mzero);
        summs += dmin * _mm_extract_epi32(hsum, 0);
        const __m128i sc128 = _mm256_extracti128_si256(mins_and_scales, 0);
        const __m256i scales = MM256_SET_M128I(sc128, sc128);
        const __m256i hbits = _mm256_loadu_si256((const __m256i *)x[i].qh);
        __m256i hmask = mone;
        __m256i sumi = _mm256_setzero_si256();
        int bit = 0;
        for (int j = 0; j < QKK / 64; j++) {
            const __m256i scale_0 = _mm256_shuffle_epi8(scales, get_scale_shuffle_k4(2 * j + 0));
            const __m256i scale_1 = _mm256_shuffle_epi8(scales, get_scale_shuffle_k4(2 * j + 1));
            const __m256i q5bits = _mm256_loadu_si256((const __m256i *)q5); q5 += 32;
            const __m256i q5l_0 = _mm256_and_si256(q5bits, m4);
            const __m256i q5h_0 = _mm256_slli_epi16(_mm256_srli_epi16(_mm256_and_si256(hbits, hmask), bit), 4); bit++;
            const __m256i q5_0 = _mm256_add_epi8(q5l_0, q5h_0);
            hmask = _mm256_slli_epi16(hmask, 1);
            const __m256i q5l_1 = _mm256_and_si256(_mm256_srli_epi16(q5bits, 4), m4);
            const __m256i q5h_1 = _mm256_slli_epi16(_mm256_srli_epi16(_mm256_and_si256(hbits, hmask), bit), 4); bit++;
            const __m256i q5_1 = _mm256_add_epi8(q5l_1, q5h_1);
            hmask = _mm256_slli_epi16(hmask, 1);
            const __m256i q8_0 = _mm256_loadu_si256((const __m256i *)q8); q8 += 32;
            const __m256i q8_1 = _mm256_loadu_si256((const __m256i *)q8); q8 += 32;
            __m256i p16_0 = _mm256_madd_epi16(scale_0, _mm256_maddubs_epi16(q5_0, q8_0));
            __m256i p16_1 = _mm256_madd_epi16(scale_1, _mm256_maddubs_epi16(q5_1, q8_1));
            NOFUSE(p16_0); NOFUSE(p16_1);
            sumi = _mm256_add_epi32(sumi, _mm256_add_epi32(p16_0, p16_1));
        }
        acc = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(sumi), acc);
    }
    return hsum_float_8(acc) + summs;
}

static float dot_q6_K(long n, const void *vx, const void *vy) {
    const blk_q6_K *x = vx; const blk_q8_K *y = vy;
    const __m256i m3 = _mm256_set1_epi8(3);
    const __m256i m15 = _mm256_set1_epi8(15);
    __m256 acc = _mm256_setzero_ps();
    for (long i = 0; i < n / QKK; i++) {
        const float d = y[i].d * HF(x[i].d);
        const uint8_t *q4 = x[i].ql, *qh = x[i].qh;
        const int8_t *q8 = y[i].qs;
        const __m256i q8sums = _mm256_loadu_si256((const __m256i *)y[i].bsums);
        const __m128i scales = _mm_loadu_si128((const __m128i *)x[i].scales);
        const __m256i scales_16 = _mm256_cvtepi8_epi16(scales);
        const __m256i q8sclsub = _mm256_slli_epi32(_mm256_madd_epi16(q8sums, scales_16), 5);
        __m256i sumi = _mm256_setzero_si256();
        int is = 0;
        for (int j = 0; j < QKK / 128; j++) {
            const __m256i q4bits1 = _mm256_loadu_si256((const __m256i *)q4); q4 += 32;
            const __m256i q4bits2 = _mm256_loadu_si256((const __m256i *)q4); q4 += 32;
            const __m256i q4bitsH = _mm256_loadu_si256((const __m256i *)qh); qh += 32;
            const __m256i q4h_0 = _mm256_slli_epi16(_mm256_and_si256(q4bitsH, m3), 4);
            const __m256i q4h_1 = _mm256_slli_epi16(_mm256_and_si256(q4bitsH, _mm256_set1_epi8(12)), 2);
            const __m256i q4h_2 = _mm256_and_si256(q4bitsH, _mm256_set1_epi8(48));
            const __m256i q4h_3 = _mm256_srli_epi16(_mm256_and_si256(q4bitsH, _mm256_set1_epi8(-64)), 2);
            const __m256i q4_0 = _mm256_or_si256(_mm256_and_si256(q4bits1, m15), q4h_0);
            const __m256i q4_1 = _mm256_or_si256(_mm256_and_si256(q4bits2, m15), q4h_1);
            const __m256i q4_2 = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(q4bits1, 4), m15), q4h_2);
            const __m256i q4_3 = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(q4bits2, 4), m15), q4h_3);
            const __m256i q8_0 = _mm256_loadu_si256((const __m256i *)q8); q8 += 32;
            const __m256i q8_1 = _mm256_loadu_si256((const __m256i *)q8); q8 += 32;
            const __m256i q8_2 = _mm256_loadu_si256((const __m256i *)q8); q8 += 32;
            const __m256i q8_3 = _mm256_loadu_si256((const __m256i *)q8); q8 += 32;
            __m256i p16_0 = _mm256_maddubs_epi16(q4_0, q8_0);
            __m256i p16_1 = _mm256_maddubs_epi16(q4_1, q8_1);
            __m256i p16_2 = _mm256_maddubs_epi16(q4_2, q8_2);
            __m256i p16_3 = _mm256_maddubs_epi16(q4_3, q8_3);
            p16_0 = _mm256_madd_epi16(_mm256_cvtepi8_epi16(_mm_shuffle_epi8(scales, get_scale_shuffle(is + 0))), p16_0);
            p16_1 = _mm256_madd_epi16(_mm256_cvtepi8_epi16(_mm_shuffle_epi8(scales, get_scale_shuffle(is + 1))), p16_1);
            p16_2 = _mm256_madd_epi16(_mm256_cvtepi8_epi16(_mm_shuffle_epi8(scales, get_scale_shuffle(is + 2))), p16_2);
            p16_3 = _mm256_madd_epi16(_mm256_cvtepi8_epi16(_mm_shuffle_epi8(scales, get_scale_shuffle(is + 3))), p16_3);
            is += 4;
            sumi = _mm256_add_epi32(sumi, _mm256_add_epi32(p16_0, p16_1));
            sumi = _mm256_add_epi32(sumi, _mm256_add_epi32(p16_2, p16_3));
        }
        sumi = _mm256_sub_epi32(sumi, q8sclsub);
        acc = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(sumi), acc);
    }
    return hsum_float_8(acc);
}

static float dot_iq4_xs(long n, const void *vx, const void *vy) {
    const blk_iq4_xs *x = vx; const blk_q8_K *y = vy;
    const __m128i values128 = _mm_loadu_si128((const __m128i *)ck_kvalues_iq4nl);
    const __m128i m4b = _mm_set1_epi8(0x0f);
    __m256 accum = _mm256_setzero_ps();
    for (long ibl = 0; ibl < n / QKK; ibl++) {
        const uint8_t *qs = x[ibl].qs;
        const int8_t *q8 = y[ibl].qs;
        uint16_t sh = x[ibl].scales_h;
        __m256i sumi1 = _mm256_setzero_si256(), sumi2 = _mm256_setzero_si256();
        for (int ib = 0; ib < QKK / 32; ib += 2) {
            const __m128i q4bits_1 = _mm_loadu_si128((const __m128i *)qs); qs += 16;
            const __m128i q4bits_2 = _mm_loadu_si128((const __m128i *)qs); qs += 16;
            const __m256i q8b_1 = _mm256_loadu_si256((const __m256i *)q8); q8 += 32;
            const __m256i q8b_2 = _mm256_loadu_si256((const __m256i *)q8); q8 += 32;
            const __m256i q4b_1 = MM256_SET_M128I(_mm_shuffle_epi8(values128, _mm_and_si128(_mm_srli_epi16(q4bits_1, 4), m4b)),
                                                  _mm_shuffle_epi8(values128, _mm_and_si128(q4bits_1, m4b)));
            const __m256i q4b_2 = MM256_SET_M128I(_mm_shuffle_epi8(values128, _mm_and_si128(_mm_srli_epi16(q4bits_2, 4), m4b)),
                                                  _mm_shuffle_epi8(values128, _mm_and_si128(q4bits_2, m4b)));
            const __m256i p16_1 = mul_add_epi8(q4b_1, q8b_1);
            const __m256i p16_2 = mul_add_epi8(q4b_2, q8b_2);
            const int16_t ls1 = (int16_t)(((x[ibl].scales_l[ib / 2] & 0xf) | ((sh << 4) & 0x30)) - 32);
            const int16_t ls2 = (int16_t)(((x[ibl].scales_l[ib / 2] >> 4) | ((sh << 2) & 0x30)) - 32);
            sh >>= 4;
            sumi1 = _mm256_add_epi32(_mm256_madd_epi16(p16_1, _mm256_set1_epi16(ls1)), sumi1);
            sumi2 = _mm256_add_epi32(_mm256_madd_epi16(p16_2, _mm256_set1_epi16(ls2)), sumi2);
        }
        accum = _mm256_fmadd_ps(_mm256_set1_ps(HF(x[ibl].d) * y[ibl].d), _mm256_cvtepi32_ps(_mm256_add_epi32(sumi1, sumi2)), accum);
    }
    return hsum_float_8(accum);
}

/* ---------------- float weights against f32 activations ---------------- */

float FN(dot_f32)(long n, const float *a, const float *b) {
    long i = 0;
#if CK_AVX512
    __m512 s0 = _mm512_setzero_ps(), s1 = s0;
    for (; i + 32 <= n; i += 32) {
        s0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), s0);
        s1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16), s1);
    }
    for (; i + 16 <= n; i += 16) s0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), s0);
    float s = _mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
#else
    __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
    for (; i + 32 <= n; i += 32) {
        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
        s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), s1);
        s2 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 16), _mm256_loadu_ps(b + i + 16), s2);
        s3 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 24), _mm256_loadu_ps(b + i + 24), s3);
    }
    for (; i + 8 <= n; i += 8) s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
    float s = hsum_float_8(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
#endif
    for (; i < n; i++) s += a[i] * b[i];
    return s;
}

static float dot_f32w(long n, const void *w, const void *x) { return FN(dot_f32)(n, w, x); }

/* 8 f16 or bf16 values widened to f32. */
static inline __m256 widen8(const uint16_t *p, int bf16) {
    const __m128i h = _mm_loadu_si128((const __m128i *)p);
    if (bf16) return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
    return _mm256_cvtph_ps(h);
}

static inline float bf16_scalar(uint16_t b) { uint32_t u = (uint32_t)b << 16; float f; memcpy(&f, &u, 4); return f; }

static inline float dot_half(long n, const uint16_t *w, const float *x, int bf16) {
    long i = 0;
#if CK_AVX512
    __m512 s0 = _mm512_setzero_ps(), s1 = s0;
    for (; i + 32 <= n; i += 32) {
        const __m256i h0 = _mm256_loadu_si256((const __m256i *)(w + i)), h1 = _mm256_loadu_si256((const __m256i *)(w + i + 16));
        const __m512 w0 = bf16 ? _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h0), 16)) : _mm512_cvtph_ps(h0);
        const __m512 w1 = bf16 ? _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h1), 16)) : _mm512_cvtph_ps(h1);
        s0 = _mm512_fmadd_ps(w0, _mm512_loadu_ps(x + i), s0);
        s1 = _mm512_fmadd_ps(w1, _mm512_loadu_ps(x + i + 16), s1);
    }
    float s = _mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
#else
    __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
    for (; i + 32 <= n; i += 32) {
        s0 = _mm256_fmadd_ps(widen8(w + i, bf16), _mm256_loadu_ps(x + i), s0);
        s1 = _mm256_fmadd_ps(widen8(w + i + 8, bf16), _mm256_loadu_ps(x + i + 8), s1);
        s2 = _mm256_fmadd_ps(widen8(w + i + 16, bf16), _mm256_loadu_ps(x + i + 16), s2);
        s3 = _mm256_fmadd_ps(widen8(w + i + 24, bf16), _mm256_loadu_ps(x + i + 24), s3);
    }
    float s = hsum_float_8(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
#endif
    for (; i < n; i++) s += (bf16 ? bf16_scalar(w[i]) : half_to_float(w[i])) * x[i];
    return s;
}

static float dot_f16(long n, const void *w, const void *x) { return dot_half(n, w, x, 0); }
static float dot_bf16(long n, const void *w, const void *x) { return dot_half(n, w, x, 1); }

void FN(widen)(int bf16, const uint16_t *src, float *dst, long n) {
    long i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(dst + i, widen8(src + i, bf16));
    for (; i < n; i++) dst[i] = bf16 ? bf16_scalar(src[i]) : half_to_float(src[i]);
}

/* ---------------- GEMV with prepared activations (ck_block_gemm) ----------------
   Q4_0 and Q5_0 rows go through the products over prepared activations (tiles_offset_x86.h, built
   with the tiles), whose fixed per-block arithmetic makes a row computed here equal the same row
   in a batch; this prepares the activations for one call. */
#include "ckernels.h"  /* ck_offset_act_bytes, ck_offset_prepare */
int FN(offset_gemm)(int type, long n, const void *w, long rowBytes, long r0, long r1,
                    const void *prep, long m, float *y, long ldy);

int FN(block_gemm_prepared)(int type, long n, const void *w, long rowBytes, long r0, long r1,
                            const void *act, long actBytes, long m, float *y, long ldy) {
    if ((type != T_Q4_0 && type != T_Q5_0) || n % QK != 0) return 0;
    const long rowPrep = ck_offset_act_bytes(n);
    void *prep = malloc((size_t)(rowPrep > 0 ? rowPrep : 1) * (size_t)(m > 0 ? m : 1));
    if (!prep) return 0;
    ck_offset_prepare(type, n, act, actBytes, m, prep);
    const int done = FN(offset_gemm)(type, n, w, rowBytes, r0, r1, prep, m, y, ldy);
    free(prep);
    return done;
}

ck_dot_fn FN(dot_fn)(int type) {
    switch (type) {
    case T_F32: return dot_f32w;
    case T_F16: return dot_f16;
    case T_BF16: return dot_bf16;
    case T_Q4_0: return dot_q4_0;
    case T_Q4_1: return dot_q4_1;
    case T_Q5_0: return dot_q5_0;
    case T_Q5_1: return dot_q5_1;
    case T_Q8_0: return dot_q8_0;
    case T_IQ4_NL: return dot_iq4_nl;
    case T_Q2_K: return dot_q2_K;
    case T_Q3_K: return dot_q3_K;
    case T_Q4_K: return dot_q4_K;
    case T_Q5_K: return dot_q5_K;
    case T_Q6_K: return dot_q6_K;
    case T_IQ4_XS: return dot_iq4_xs;
    default: return 0;
    }
}

/* ---------------- f32 GEMM micro-kernel and axpy ---------------- */

#if CK_AVX512
/* 8 x 32 tile in 16 zmm accumulators. */
#define SG_MR 8
#define SG_NR 32
#define SG_VEC __m512
#define SG_W 16
#define SG_LOAD _mm512_loadu_ps
#define SG_STORE _mm512_storeu_ps
#define SG_SET1 _mm512_set1_ps
#define SG_FMA _mm512_fmadd_ps
#define SG_ADD _mm512_add_ps
#define SG_ZERO _mm512_setzero_ps
#else
/* 6 x 16 tile in 12 ymm accumulators: AVX2 has 16 registers. */
#define SG_MR 6
#define SG_NR 16
#define SG_VEC __m256
#define SG_W 8
#define SG_LOAD _mm256_loadu_ps
#define SG_STORE _mm256_storeu_ps
#define SG_SET1 _mm256_set1_ps
#define SG_FMA _mm256_fmadd_ps
#define SG_ADD _mm256_add_ps
#define SG_ZERO _mm256_setzero_ps
#endif

void FN(sgemm_tile)(long kc, const float *a, const float *b, float *c, long ldc, int rows, int cols, float beta) {
    SG_VEC acc[SG_MR][2];
    for (int r = 0; r < SG_MR; r++) { acc[r][0] = SG_ZERO(); acc[r][1] = SG_ZERO(); }
    for (long p = 0; p < kc; p++) {
        const SG_VEC b0 = SG_LOAD(b), b1 = SG_LOAD(b + SG_W);
        for (int r = 0; r < SG_MR; r++) {
            const SG_VEC av = SG_SET1(a[r]);
            acc[r][0] = SG_FMA(av, b0, acc[r][0]);
            acc[r][1] = SG_FMA(av, b1, acc[r][1]);
        }
        a += SG_MR; b += SG_NR;
    }
    if (rows == SG_MR && cols == SG_NR) {
        for (int r = 0; r < SG_MR; r++) {
            float *row = c + r * ldc;
            if (beta == 0) {
                SG_STORE(row, acc[r][0]); SG_STORE(row + SG_W, acc[r][1]);
            } else if (beta == 1) {
                SG_STORE(row, SG_ADD(acc[r][0], SG_LOAD(row))); SG_STORE(row + SG_W, SG_ADD(acc[r][1], SG_LOAD(row + SG_W)));
            } else {
                const SG_VEC bv = SG_SET1(beta);
                SG_STORE(row, SG_FMA(bv, SG_LOAD(row), acc[r][0])); SG_STORE(row + SG_W, SG_FMA(bv, SG_LOAD(row + SG_W), acc[r][1]));
            }
        }
        return;
    }
    float t[SG_MR * SG_NR];
    for (int r = 0; r < SG_MR; r++) { SG_STORE(t + r * SG_NR, acc[r][0]); SG_STORE(t + r * SG_NR + SG_W, acc[r][1]); }
    for (int r = 0; r < rows; r++) {
        float *row = c + r * ldc;
        for (int j = 0; j < cols; j++) row[j] = t[r * SG_NR + j] + (beta == 0 ? 0 : beta * row[j]);
    }
}

void FN(axpy_rows)(long rows, long length, const float *m, long ld, const float *x, float *y) {
    long j = 0;
    for (; j + 4 * SG_W <= length; j += 4 * SG_W) {
        SG_VEC y0 = SG_LOAD(y + j), y1 = SG_LOAD(y + j + SG_W), y2 = SG_LOAD(y + j + 2 * SG_W), y3 = SG_LOAD(y + j + 3 * SG_W);
        for (long p = 0; p < rows; p++) {
            const SG_VEC s = SG_SET1(x[p]);
            const float *r = m + p * ld + j;
            y0 = SG_FMA(s, SG_LOAD(r), y0); y1 = SG_FMA(s, SG_LOAD(r + SG_W), y1);
            y2 = SG_FMA(s, SG_LOAD(r + 2 * SG_W), y2); y3 = SG_FMA(s, SG_LOAD(r + 3 * SG_W), y3);
        }
        SG_STORE(y + j, y0); SG_STORE(y + j + SG_W, y1); SG_STORE(y + j + 2 * SG_W, y2); SG_STORE(y + j + 3 * SG_W, y3);
    }
    for (; j + SG_W <= length; j += SG_W) {
        SG_VEC y0 = SG_LOAD(y + j);
        for (long p = 0; p < rows; p++) y0 = SG_FMA(SG_SET1(x[p]), SG_LOAD(m + p * ld + j), y0);
        SG_STORE(y + j, y0);
    }
    for (; j < length; j++) {
        float s = y[j];
        for (long p = 0; p < rows; p++) s += x[p] * m[p * ld + j];
        y[j] = s;
    }
}

/* ---------------- int8 GEMM on packed panels (see ck_i8_gemm) ---------------- */

#if CK_AVX512
/* R rows x 32 columns of C, all of k, with vpdpbusd on u8 = x + 128; the 128 * colsum share is
   taken off at the end so C holds the signed products. */
static inline __attribute__((always_inline)) void i8_tile(const int R, long kq, const uint8_t *a, long lda,
                                                          const int8_t *b, const int32_t *colsum, int32_t *c, long ldc, int cols,
                                                          int accumulate) {
    __m512i acc[8][2];
    for (int r = 0; r < R; r++) { acc[r][0] = _mm512_setzero_si512(); acc[r][1] = _mm512_setzero_si512(); }
    for (long q = 0; q < kq; q++) {
        const __m512i b0 = _mm512_loadu_si512(b + q * 128), b1 = _mm512_loadu_si512(b + q * 128 + 64);
        for (int r = 0; r < R; r++) {
            int32_t v;
            memcpy(&v, a + r * lda + 4 * q, 4);
            const __m512i av = _mm512_set1_epi32(v);
            acc[r][0] = _mm512_dpbusd_epi32(acc[r][0], av, b0);
            acc[r][1] = _mm512_dpbusd_epi32(acc[r][1], av, b1);
        }
    }
    const __mmask16 m0 = cols >= 16 ? 0xFFFF : (__mmask16)((1u << cols) - 1);
    const __mmask16 m1 = cols >= 32 ? 0xFFFF : cols <= 16 ? 0 : (__mmask16)((1u << (cols - 16)) - 1);
    if (accumulate) {
        for (int r = 0; r < R; r++) {
            _mm512_mask_storeu_epi32(c + r * ldc, m0, _mm512_add_epi32(acc[r][0], _mm512_maskz_loadu_epi32(m0, c + r * ldc)));
            _mm512_mask_storeu_epi32(c + r * ldc + 16, m1, _mm512_add_epi32(acc[r][1], _mm512_maskz_loadu_epi32(m1, c + r * ldc + 16)));
        }
        return;
    }
    const __m512i cs0 = _mm512_slli_epi32(_mm512_loadu_si512(colsum), 7), cs1 = _mm512_slli_epi32(_mm512_loadu_si512(colsum + 16), 7);
    for (int r = 0; r < R; r++) {
        _mm512_mask_storeu_epi32(c + r * ldc, m0, _mm512_sub_epi32(acc[r][0], cs0));
        _mm512_mask_storeu_epi32(c + r * ldc + 16, m1, _mm512_sub_epi32(acc[r][1], cs1));
    }
}
#define I8_MAXR 8

/* AVX-512: blocked over rows of A (128 at a time stay in L2 across every panel) and over k (a 64 x 128-byte
   slice of a panel, 8 KB, stays in L1 while those rows pass over it); C accumulates across slices. */
#define I8_KQB 64
#define I8_MC 128

static inline void i8_rows(long m, long kqb, const uint8_t *a0, long lda, const int8_t *b, const int32_t *cs,
                           int32_t *c, long ldc, int cols, int accumulate) {
    long i = 0;
    for (; i + I8_MAXR <= m; i += I8_MAXR) i8_tile(I8_MAXR, kqb, a0 + i * lda, lda, b, cs, c + i * ldc, ldc, cols, accumulate);
    switch (m - i) {
    case 7: i8_tile(7, kqb, a0 + i * lda, lda, b, cs, c + i * ldc, ldc, cols, accumulate); break;
    case 6: i8_tile(6, kqb, a0 + i * lda, lda, b, cs, c + i * ldc, ldc, cols, accumulate); break;
    case 5: i8_tile(5, kqb, a0 + i * lda, lda, b, cs, c + i * ldc, ldc, cols, accumulate); break;
    case 4: i8_tile(4, kqb, a0 + i * lda, lda, b, cs, c + i * ldc, ldc, cols, accumulate); break;
    case 3: i8_tile(3, kqb, a0 + i * lda, lda, b, cs, c + i * ldc, ldc, cols, accumulate); break;
    case 2: i8_tile(2, kqb, a0 + i * lda, lda, b, cs, c + i * ldc, ldc, cols, accumulate); break;
    case 1: i8_tile(1, kqb, a0 + i * lda, lda, b, cs, c + i * ldc, ldc, cols, accumulate); break;
    default: break;
    }
}

void FN(i8_gemm)(long m, long n, long kq, const uint8_t *a, long lda, const int8_t *bp, const int32_t *colsum,
                 long panel0, long panel1, int32_t *c, long ldc) {
    for (long i0 = 0; i0 < m; i0 += I8_MC) {
        const long mc = m - i0 < I8_MC ? m - i0 : I8_MC;
        for (long t = panel0; t < panel1; t++) {
            const long colsl = n - t * 32;
            const int cols = colsl >= 32 ? 32 : (int)colsl;
            for (long q0 = 0; q0 < kq; q0 += I8_KQB) {
                const long kqb = kq - q0 < I8_KQB ? kq - q0 : I8_KQB;
                i8_rows(mc, kqb, a + i0 * lda + 4 * q0, lda, bp + t * kq * 128 + q0 * 128, colsum + t * 32,
                        c + i0 * ldc + t * 32, ldc, cols, q0 > 0);
            }
        }
    }
}

#else
/* ---- AVX2: an exact 16-bit micro-kernel (vpmaddwd) ----
   vpmaddubsw would saturate on u8 x s8 pairs (2 * 255 * 128 > 2^15), so the GEMM widens both sides
   to i16 and multiplies with vpmaddwd, whose pair sums (at most 2 * 128 * 128) and i32 lanes are
   exact for every input. A block of I8W_MC rows is packed once as x = u8 - 128 in i16, k-group q
   of row r at ap + (tile * kq + q) * 6 * 4 + r * 4 (a tile is 6 rows), so the micro-kernel
   broadcasts one row's 4 values with a 64-bit load. Each 32-column panel slice of I8W_KQB
   k-groups is widened to i16 once per row block (cols j..j+3 x 4 k per 32-byte vector, the packed
   weights' own order), then reused by every row tile. The tile is 6 rows x 8 columns: 12
   accumulators + 2 weight vectors + 1 broadcast of AVX2's 16 registers; per k-group it issues 12
   vpmaddwd + 12 vpaddd for 192 multiply-adds, about 30 per cycle on two multiply ports (the
   peak of the vpmaddubsw + vpmaddwd + vpaddd sequence that the inexact kernels use is 32).
   Lane pairs (k0+k1, k2+k3) of one column are summed once at the end of a k slice. */
#define I8W_MR 6
#define I8W_MC 96
#define I8W_KQB 128
#define I8A_KQB 64

/* R (<= 6) rows x 8 columns over kqb k-groups: ap as packed above (tile-local), bw the widened
   8-column strip (64 bytes per k-group, row stride of the widened slice: 256 bytes per k-group). */
static inline __attribute__((always_inline)) void i8w_tile(const int R, long kqb, const int16_t *ap, const int16_t *bw,
                                                           int32_t *c, long ldc, int cols, int accumulate) {
    __m256i acc[I8W_MR][2];
    for (int r = 0; r < R; r++) { acc[r][0] = _mm256_setzero_si256(); acc[r][1] = _mm256_setzero_si256(); }
    for (long q = 0; q < kqb; q++) {
        const __m256i b0 = _mm256_loadu_si256((const __m256i *)(bw + q * 128));
        const __m256i b1 = _mm256_loadu_si256((const __m256i *)(bw + q * 128 + 16));
        for (int r = 0; r < R; r++) {
            long long v;
            memcpy(&v, ap + q * I8W_MR * 4 + r * 4, 8);
            const __m256i x = _mm256_set1_epi64x(v);
            acc[r][0] = _mm256_add_epi32(acc[r][0], _mm256_madd_epi16(x, b0));
            acc[r][1] = _mm256_add_epi32(acc[r][1], _mm256_madd_epi16(x, b1));
        }
    }
    for (int r = 0; r < R; r++) {
        /* lanes (c0 k01, c0 k23, c1.., | c2.., c3..) and (c4.. c7): hadd gives c0 c1 c4 c5 | c2 c3 c6 c7 */
        const __m256i s = _mm256_permute4x64_epi64(_mm256_hadd_epi32(acc[r][0], acc[r][1]), 0xD8);
        int32_t *row = c + r * ldc;
        if (cols == 8) {
            _mm256_storeu_si256((__m256i *)row, accumulate ? _mm256_add_epi32(s, _mm256_loadu_si256((const __m256i *)row)) : s);
        } else {
            int32_t t[8];
            _mm256_storeu_si256((__m256i *)t, s);
            for (int j = 0; j < cols; j++) row[j] = t[j] + (accumulate ? row[j] : 0);
        }
    }
}

/* Packs rows [0, rows) of a (u8) as i16 x - 128, tile-interleaved as described above; k padded to kq
   groups (the padding bytes of a are 128, i.e. 0). Short last tiles are zero-filled. */
static void i8w_pack_a(long rows, long kq, const uint8_t *a, long lda, int16_t *ap) {
    const __m256i bias = _mm256_set1_epi16(128);
    for (long t0 = 0; t0 < rows; t0 += I8W_MR) {
        int16_t *dst = ap + (t0 / I8W_MR) * kq * I8W_MR * 4;
        for (int r = 0; r < I8W_MR; r++) {
            if (t0 + r >= rows) {
                for (long q = 0; q < kq; q++) memset(dst + q * I8W_MR * 4 + r * 4, 0, 8);
                continue;
            }
            const uint8_t *src = a + (t0 + r) * lda;
            long q = 0;
            for (; q + 4 <= kq; q += 4) {
                const __m256i x = _mm256_sub_epi16(_mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(src + 4 * q))), bias);
                for (int u = 0; u < 4; u++) {
                    const __m128i h = u < 2 ? _mm256_castsi256_si128(x) : _mm256_extracti128_si256(x, 1);
                    _mm_storel_epi64((__m128i *)(dst + (q + u) * I8W_MR * 4 + r * 4), (u & 1) ? _mm_unpackhi_epi64(h, h) : h);
                }
            }
            for (; q < kq; q++)
                for (int u = 0; u < 4; u++) dst[q * I8W_MR * 4 + r * 4 + u] = (int16_t)((int)src[4 * q + u] - 128);
        }
    }
}

static inline __attribute__((always_inline)) void i8w_strip(const int R, long kqb, const int16_t *ap, const int16_t *bw,
                                                            int32_t *c, long ldc, long left, int accumulate) {
    for (int h = 0; h < 4 && left > 8 * h; h++) {
        const int cols = left - 8 * h >= 8 ? 8 : (int)(left - 8 * h);
        i8w_tile(R, kqb, ap, bw + h * 32, c + h * 8, ldc, cols, accumulate);
    }
}

static void i8w_gemm(long m, long n, long kq, const uint8_t *a, long lda, const int8_t *bp, const int32_t *colsum,
                     long panel0, long panel1, int32_t *c, long ldc) {
    const long mc0 = m < I8W_MC ? m : I8W_MC;
    const long tiles0 = (mc0 + I8W_MR - 1) / I8W_MR;
    const long kqb0 = kq < I8W_KQB ? kq : I8W_KQB;
    int16_t *ap = aligned_alloc(64, (size_t)((tiles0 * I8W_MR * 4 * (kq > 0 ? kq : 1) * 2 + 63) / 64 * 64));
    int16_t *bw = aligned_alloc(64, (size_t)((kqb0 > 0 ? kqb0 : 1) * 128 * 2));
    if (!ap || !bw) {
        free(ap); free(bw);
        ck_scalar_i8_gemm(m, n, kq, a, lda, bp, colsum, panel0, panel1, c, ldc);
        return;
    }
    for (long i0 = 0; i0 < m; i0 += I8W_MC) {
        const long mc = m - i0 < I8W_MC ? m - i0 : I8W_MC;
        i8w_pack_a(mc, kq, a + i0 * lda, lda, ap);
        for (long t = panel0; t < panel1; t++) {
            const long left = n - t * 32;
            for (long q0 = 0; q0 < kq; q0 += I8W_KQB) {
                const long kqb = kq - q0 < I8W_KQB ? kq - q0 : I8W_KQB;
                const int8_t *src = bp + t * kq * 128 + q0 * 128;
                for (long u = 0; u < kqb * 8; u++)
                    _mm256_store_si256((__m256i *)(bw + u * 16), _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(src + u * 16))));
                const int acc = q0 > 0;
                for (long r0 = 0; r0 < mc; r0 += I8W_MR) {
                    const int16_t *at = ap + (r0 / I8W_MR) * kq * I8W_MR * 4 + q0 * I8W_MR * 4;
                    int32_t *ct = c + (i0 + r0) * ldc + t * 32;
                    switch (mc - r0 < I8W_MR ? mc - r0 : I8W_MR) {
                    case 6: i8w_strip(6, kqb, at, bw, ct, ldc, left, acc); break;
                    case 5: i8w_strip(5, kqb, at, bw, ct, ldc, left, acc); break;
                    case 4: i8w_strip(4, kqb, at, bw, ct, ldc, left, acc); break;
                    case 3: i8w_strip(3, kqb, at, bw, ct, ldc, left, acc); break;
                    case 2: i8w_strip(2, kqb, at, bw, ct, ldc, left, acc); break;
                    default: i8w_strip(1, kqb, at, bw, ct, ldc, left, acc); break;
                    }
                }
            }
        }
    }
    free(ap);
    free(bw);
}

/* Fewer than 4 rows (a GEMV): the 32-column tile on the u8 rows as they come, 1-2 rows at a time,
   measured faster there than repacking for the 4 x 16 tile (four accumulators per row). */
/* R rows x 32 columns: x = u8 - 128 in [-127, 127] signs the weights' partner, |w| <= 128 is the
   unsigned side of vpmaddubsw, so pairs stay below 2^15 and the i32 sums are exact. */
static inline __attribute__((always_inline)) void i8o_tile(const int R, long kq, const uint8_t *a, long lda,
                                                          const int8_t *b, const int32_t *colsum, int32_t *c, long ldc, int cols,
                                                          int accumulate) {
    (void)colsum;
    __m256i acc[2][4];
    for (int r = 0; r < R; r++) for (int v = 0; v < 4; v++) acc[r][v] = _mm256_setzero_si256();
    const __m256i flip = _mm256_set1_epi8((char)0x80), ones = _mm256_set1_epi16(1);
    for (long q = 0; q < kq; q++) {
        __m256i bx[2];
        for (int r = 0; r < R; r++) {
            int32_t v;
            memcpy(&v, a + r * lda + 4 * q, 4);
            bx[r] = _mm256_xor_si256(_mm256_set1_epi32(v), flip);
        }
        for (int v = 0; v < 4; v++) {
            const __m256i w = _mm256_loadu_si256((const __m256i *)(b + q * 128 + 32 * v));
            const __m256i aw = _mm256_abs_epi8(w);
            for (int r = 0; r < R; r++)
                acc[r][v] = _mm256_add_epi32(acc[r][v], _mm256_madd_epi16(_mm256_maddubs_epi16(aw, _mm256_sign_epi8(bx[r], w)), ones));
        }
    }
    for (int r = 0; r < R; r++) {
        if (cols == 32) {
            for (int v = 0; v < 4; v++) {
                __m256i *dst = (__m256i *)(c + r * ldc + 8 * v);
                _mm256_storeu_si256(dst, accumulate ? _mm256_add_epi32(acc[r][v], _mm256_loadu_si256(dst)) : acc[r][v]);
            }
        } else {
            int32_t t[32];
            for (int v = 0; v < 4; v++) _mm256_storeu_si256((__m256i *)(t + 8 * v), acc[r][v]);
            for (int j = 0; j < cols; j++) c[r * ldc + j] = t[j] + (accumulate ? c[r * ldc + j] : 0);
        }
    }
}
static void i8o_gemm(long m, long n, long kq, const uint8_t *a, long lda, const int8_t *bp,
                     long panel0, long panel1, int32_t *c, long ldc) {
    for (long t = panel0; t < panel1; t++) {
        const long colsl = n - t * 32;
        const int cols = colsl >= 32 ? 32 : (int)colsl;
        for (long q0 = 0; q0 < kq; q0 += I8A_KQB) {
            const long kqb = kq - q0 < I8A_KQB ? kq - q0 : I8A_KQB;
            const int8_t *b = bp + t * kq * 128 + q0 * 128;
            long i = 0;
            for (; i + 2 <= m; i += 2) i8o_tile(2, kqb, a + i * lda + 4 * q0, lda, b, 0, c + i * ldc + t * 32, ldc, cols, q0 > 0);
            if (i < m) i8o_tile(1, kqb, a + i * lda + 4 * q0, lda, b, 0, c + i * ldc + t * 32, ldc, cols, q0 > 0);
        }
    }
}

/* True when no activation byte is 0 (x = -128), the one value the vpmaddubsw GEMV kernel cannot take. */
static int i8_no_min(long m, long kq, const uint8_t *a, long lda) {
    for (long i = 0; i < m; i++) {
        const uint8_t *row = a + i * lda;
        long p = 0;
        __m256i z = _mm256_setzero_si256();
        for (; p + 32 <= kq * 4; p += 32) z = _mm256_or_si256(z, _mm256_cmpeq_epi8(_mm256_loadu_si256((const __m256i *)(row + p)), _mm256_setzero_si256()));
        if (!_mm256_testz_si256(z, z)) return 0;
        for (; p < kq * 4; p++) if (row[p] == 0) return 0;
    }
    return 1;
}

void FN(i8_gemm)(long m, long n, long kq, const uint8_t *a, long lda, const int8_t *bp, const int32_t *colsum,
                 long panel0, long panel1, int32_t *c, long ldc) {
    /* A GEMV (1-3 rows) streams the weights once: the 8-bit kernel reads half the bytes of the widened
       one, and is exact whenever no activation is -128 (always, for the symmetric quantizer's [-127, 127]). */
    if (m < 4 && i8_no_min(m, kq, a, lda)) { i8o_gemm(m, n, kq, a, lda, bp, panel0, panel1, c, ldc); return; }
    i8w_gemm(m, n, kq, a, lda, bp, colsum, panel0, panel1, c, ldc);
}
#endif
