// Q4_0 and Q5_0 weights x Q8_0 activations, for one activation row (generation) and for batches
// (prompt processing), in one fixed arithmetic per (weight row, activation row), so that a batched
// row equals the same row computed alone bit for bit. Compiled twice, by tiles_avx2.c and
// tiles_avx512.c, after their target pragma.
//
// The arithmetic. A weight is d_w (u - o), u a 4-bit (Q4_0) or 5-bit (Q5_0) code and o = 8 or 16;
// an activation is d_a q. For each block b in order, s_b = sum(u q) - o sum(q) is an exact integer
// (|s_b| <= 2^16, so its f32 conversion is exact too) and acc = fma((float)s_b, d_w * d_a, acc),
// from acc = 0. The integer is the same whatever instructions compute it (vpdpbusd, or vpmaddubsw +
// vpmaddwd, exact because u <= 31), and the f32 steps are the same IEEE operations in the same
// order, so AVX2, AVX-512, a single row and any tiling all give the same bits.
//
// The layout. Eight weight rows share a ymm register, one per 32-bit lane: for a block, V[j] holds in
// lane r the 4 codes of row r at elements ot_off[j]..+3, so a vpdpbusd with those 4 activation
// bytes broadcast adds row r's partial sum into lane r and no horizontal sums are needed (as in
// llama.cpp's repacked Q4_0 8x8 GEMM, but the weights stay where they are mapped). A batch unpacks
// each 8-row panel once into a scratch buffer and runs it against OT_COLS activation rows at a time;
// fewer rows than that (generation) unpack each block in registers as they go.
#include <immintrin.h>
#include <stdlib.h>
#include "blocks.h"
#include "tiles_offset.h"

#define OT_ROWS 8
#ifndef OT_COLS
#if TILE_VNNI
#define OT_COLS 8
#else
#define OT_COLS 4
#endif
#endif

#ifndef OT_PREFETCH_BYTES
#define OT_PREFETCH_BYTES 6144
#endif
#ifndef OT_PREFETCH_MAX_PANEL
#define OT_PREFETCH_MAX_PANEL 32768
#endif

/* Element offset of V[j]'s 4 codes: low nibbles of the block's 4-byte group k are elements 4k..,
   high nibbles elements 16 + 4k.. */
static const int ot_off[8] = { 0, 16, 4, 20, 8, 24, 12, 28 };

/* One block of an unpacked 8-row panel: the codes and the 8 rows' f32 scales. */
typedef struct { __m256i v[8]; __m256 d; } ot_panel_blk;

static inline int32_t ot_load32(const int8_t *p) { int32_t v; memcpy(&v, p, 4); return v; }
static inline int32_t ot_load32u(const uint8_t *p) { int32_t v; memcpy(&v, p, 4); return v; }
static inline uint16_t ot_load16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }

/* Bits 0..3 of each lane to bit 4 of its bytes 0..3 (Q5_0's fifth bit): the four shifted copies
   of x in x * 0x02040810 do not overlap, so no carries. */
static inline __m256i ot_spread4(__m256i x) {
    const __m256i nib = _mm256_and_si256(x, _mm256_set1_epi32(0xF));
    return _mm256_and_si256(_mm256_mullo_epi32(nib, _mm256_set1_epi32(0x02040810)), _mm256_set1_epi32(0x10101010));
}

/* Rows are short streams (a few cache lines each when k is a few hundred), too short for the
   hardware prefetcher to pick up when eight are read side by side (the row-by-row GEMV read them as
   one sequential stream). So while block b of a panel is read, the matching share of the panel
   `ahead` bytes on (whole panels, about OT_PREFETCH_BYTES; contiguous when the rows are) is
   prefetched. Measured on Zen 4, 4096-row GEMVs: k = 576 as fast as row by row (3x slower without
   this), k = 1536 and 4096 25-30% faster; k = 11008 is left to the hardware (slower with this),
   and stays 15-25% slower than row by row from memory. */
static inline long ot_prefetch_distance(long rowBytes) {
    const long panel = OT_ROWS * rowBytes;
    if (panel > OT_PREFETCH_MAX_PANEL) return 0;  /* long rows: the hardware prefetcher does better alone */
    return panel * (OT_PREFETCH_BYTES / panel > 1 ? OT_PREFETCH_BYTES / panel : 1);
}

static inline __attribute__((always_inline)) void ot_prefetch(const uint8_t *const p[OT_ROWS], long b, long bsz, long ahead) {
    if (!ahead) return;
    const uint8_t *q = p[0] + ahead + b * OT_ROWS * bsz;
    for (long o = 0; o < OT_ROWS * bsz; o += 64) _mm_prefetch((const char *)(q + o), _MM_HINT_T0);
}

/* Block at byte offset boff of the 8 rows p[0..7]: codes into V, scales returned. */
static inline __attribute__((always_inline)) __m256 ot_unpack(const int q5, const uint8_t *const p[OT_ROWS], long boff, __m256i V[8]) {
    const long qs = q5 ? 6 : 2;
    __m256i R[4];
    for (int r = 0; r < 4; r++)  /* rows r and r + 4: their 16 code bytes as 4 dwords */
        R[r] = _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_loadu_si128((const __m128i *)(p[r] + boff + qs))),
                                       _mm_loadu_si128((const __m128i *)(p[r + 4] + boff + qs)), 1);
    const __m256i t0 = _mm256_unpacklo_epi32(R[0], R[1]), t1 = _mm256_unpackhi_epi32(R[0], R[1]);
    const __m256i t2 = _mm256_unpacklo_epi32(R[2], R[3]), t3 = _mm256_unpackhi_epi32(R[2], R[3]);
    const __m256i W[4] = { _mm256_unpacklo_epi64(t0, t2), _mm256_unpackhi_epi64(t0, t2),
                           _mm256_unpacklo_epi64(t1, t3), _mm256_unpackhi_epi64(t1, t3) };  /* lane r: row r's dword k */
    const __m256i m4 = _mm256_set1_epi8(0x0F);
    for (int k = 0; k < 4; k++) {
        V[2 * k] = _mm256_and_si256(W[k], m4);
        V[2 * k + 1] = _mm256_and_si256(_mm256_srli_epi16(W[k], 4), m4);
    }
    if (q5) {
        const __m256i H = _mm256_setr_epi32(ot_load32u(p[0] + boff + 2), ot_load32u(p[1] + boff + 2), ot_load32u(p[2] + boff + 2),
                                            ot_load32u(p[3] + boff + 2), ot_load32u(p[4] + boff + 2), ot_load32u(p[5] + boff + 2),
                                            ot_load32u(p[6] + boff + 2), ot_load32u(p[7] + boff + 2));
        for (int k = 0; k < 4; k++) {
            V[2 * k] = _mm256_or_si256(V[2 * k], ot_spread4(_mm256_srli_epi32(H, 4 * k)));
            V[2 * k + 1] = _mm256_or_si256(V[2 * k + 1], ot_spread4(_mm256_srli_epi32(H, 16 + 4 * k)));
        }
    }
    const __m128i d = _mm_setr_epi16((short)ot_load16(p[0] + boff), (short)ot_load16(p[1] + boff), (short)ot_load16(p[2] + boff),
                                     (short)ot_load16(p[3] + boff), (short)ot_load16(p[4] + boff), (short)ot_load16(p[5] + boff),
                                     (short)ot_load16(p[6] + boff), (short)ot_load16(p[7] + boff));
    return _mm256_cvtph_ps(d);
}

/* s_b for the 8 rows of V against one activation block (exact integers). */
static inline __attribute__((always_inline)) __m256i ot_isum(const int q5, const __m256i V[8], const blk_q8_off *a) {
#if TILE_VNNI
    (void)q5;
    __m256i s = _mm256_set1_epi32(a->fix);
    for (int j = 0; j < 8; j++) s = _mm256_dpbusd_epi32(s, V[j], _mm256_set1_epi32(ot_load32(a->qs + ot_off[j])));
    return s;
#else
    /* i16 partial sums: each vpmaddubsw lane is at most 2 * 31 * 128 = 7936 in size, so 4 of them
       (Q5_0), or 8 with 4-bit codes (8 * 2 * 15 * 128 = 30720), stay below 2^15. */
    const __m256i ones = _mm256_set1_epi16(1);
    __m256i h0 = _mm256_maddubs_epi16(V[0], _mm256_set1_epi32(ot_load32(a->qs + ot_off[0])));
    for (int j = 1; j < 4; j++) h0 = _mm256_add_epi16(h0, _mm256_maddubs_epi16(V[j], _mm256_set1_epi32(ot_load32(a->qs + ot_off[j]))));
    if (!q5) {
        for (int j = 4; j < 8; j++) h0 = _mm256_add_epi16(h0, _mm256_maddubs_epi16(V[j], _mm256_set1_epi32(ot_load32(a->qs + ot_off[j]))));
        return _mm256_add_epi32(_mm256_set1_epi32(a->fix), _mm256_madd_epi16(h0, ones));
    }
    __m256i h1 = _mm256_maddubs_epi16(V[4], _mm256_set1_epi32(ot_load32(a->qs + ot_off[4])));
    for (int j = 5; j < 8; j++) h1 = _mm256_add_epi16(h1, _mm256_maddubs_epi16(V[j], _mm256_set1_epi32(ot_load32(a->qs + ot_off[j]))));
    return _mm256_add_epi32(_mm256_set1_epi32(a->fix), _mm256_add_epi32(_mm256_madd_epi16(h0, ones), _mm256_madd_epi16(h1, ones)));
#endif
}

/* acc = fma((float)s_b, d_w * d_a, acc): the one f32 step of the fixed arithmetic. */
static inline __attribute__((always_inline)) __m256 ot_step(const int q5, const __m256i V[8], __m256 dw, const blk_q8_off *a, __m256 acc) {
    return _mm256_fmadd_ps(_mm256_cvtepi32_ps(ot_isum(q5, V, a)), _mm256_mul_ps(dw, _mm256_set1_ps(a->d)), acc);
}

/* The 8 rows' results for `cols` activation rows into y (only the first `rows` lanes are written). */
static inline __attribute__((always_inline)) void ot_store(const int cols, const __m256 acc[], float *y, long ldy, int rows) {
    for (int c = 0; c < cols; c++) {
        if (rows == OT_ROWS) _mm256_storeu_ps(y + c * ldy, acc[c]);
        else {
            float t[OT_ROWS];
            _mm256_storeu_ps(t, acc[c]);
            for (int r = 0; r < rows; r++) y[c * ldy + r] = t[r];
        }
    }
}

/* An unpacked panel (nb blocks) against `cols` activation rows (nb blocks apart). */
static inline __attribute__((always_inline)) void ot_panel_tile(const int q5, const int cols, const ot_panel_blk *P, long nb,
                                                             const blk_q8_off *a, float *y, long ldy, int rows) {
    __m256 acc[OT_COLS];
    for (int c = 0; c < cols; c++) acc[c] = _mm256_setzero_ps();
    for (long b = 0; b < nb; b++) {
        __m256i V[8];
        for (int j = 0; j < 8; j++) V[j] = _mm256_load_si256(&P[b].v[j]);
        const __m256 dw = _mm256_load_ps((const float *)&P[b].d);
        for (int c = 0; c < cols; c++) acc[c] = ot_step(q5, V, dw, a + c * nb + b, acc[c]);
    }
    ot_store(cols, acc, y, ldy, rows);
}

/* The 8 rows p[] unpacked block by block in registers against `cols` activation rows. */
static inline __attribute__((always_inline)) void ot_direct_tile(const int q5, const int cols, const uint8_t *const p[OT_ROWS], long ahead, long nb,
                                                              const blk_q8_off *a, float *y, long ldy, int rows) {
    const long bsz = q5 ? (long)sizeof(blk_q5_0) : (long)sizeof(blk_q4_0);
    __m256 acc[OT_COLS];
    for (int c = 0; c < cols; c++) acc[c] = _mm256_setzero_ps();
    for (long b = 0; b < nb; b++) {
        __m256i V[8];
        ot_prefetch(p, b, bsz, ahead);
        const __m256 dw = ot_unpack(q5, p, b * bsz, V);
        for (int c = 0; c < cols; c++) acc[c] = ot_step(q5, V, dw, a + c * nb + b, acc[c]);
    }
    ot_store(cols, acc, y, ldy, rows);
}

/* cols (1..OT_COLS) as a constant, so that each tile keeps its accumulators in registers. */
#if OT_COLS == 8
#define OT_SWITCH_COLS(CALL)                                                               \
    switch (cols) {                                                                        \
    case 1: CALL(1); break; case 2: CALL(2); break; case 3: CALL(3); break;               \
    case 4: CALL(4); break; case 5: CALL(5); break; case 6: CALL(6); break;               \
    case 7: CALL(7); break; default: CALL(8); break;                                      \
    }
#elif OT_COLS == 4
#define OT_SWITCH_COLS(CALL)                                                               \
    switch (cols) {                                                                        \
    case 1: CALL(1); break; case 2: CALL(2); break; case 3: CALL(3); break;               \
    default: CALL(4); break;                                                              \
    }
#endif

static void ot_panel_run(const int q5, const ot_panel_blk *P, long nb, const blk_q8_off *a, long m, float *y, long ldy, int rows) {
    for (long i = 0; i < m; i += OT_COLS) {
        const int cols = (int)(m - i < OT_COLS ? m - i : OT_COLS);
        const blk_q8_off *ai = a + i * nb;
        float *yi = y + i * ldy;
#define OT_PANEL(C) (q5 ? ot_panel_tile(1, (C), P, nb, ai, yi, ldy, rows) : ot_panel_tile(0, (C), P, nb, ai, yi, ldy, rows))
        OT_SWITCH_COLS(OT_PANEL)
#undef OT_PANEL
    }
}

static void ot_direct_run(const int q5, const uint8_t *const p[OT_ROWS], long ahead, long nb, const blk_q8_off *a, long m, float *y, long ldy, int rows) {
    for (long i = 0; i < m; i += OT_COLS) {
        const int cols = (int)(m - i < OT_COLS ? m - i : OT_COLS);
        const blk_q8_off *ai = a + i * nb;
        float *yi = y + i * ldy;
#define OT_DIRECT(C) (q5 ? ot_direct_tile(1, (C), p, ahead, nb, ai, yi, ldy, rows) : ot_direct_tile(0, (C), p, ahead, nb, ai, yi, ldy, rows))
        OT_SWITCH_COLS(OT_DIRECT)
#undef OT_DIRECT
    }
}

static void ot_pack(const int q5, const uint8_t *const p[OT_ROWS], long ahead, long nb, ot_panel_blk *P) {
    const long bsz = q5 ? (long)sizeof(blk_q5_0) : (long)sizeof(blk_q4_0);
    for (long b = 0; b < nb; b++) {
        __m256i V[8];
        ot_prefetch(p, b, bsz, ahead);
        const __m256 dw = q5 ? ot_unpack(1, p, b * bsz, V) : ot_unpack(0, p, b * bsz, V);
        for (int j = 0; j < 8; j++) _mm256_store_si256(&P[b].v[j], V[j]);
        _mm256_store_ps((float *)&P[b].d, dw);
    }
}

/* Weight rows [r0, r1) against m prepared activation rows (ck_offset_prepare: nb blocks each),
   y[i*ldy + r]. Returns 0 for other types. */
int TFN(offset_gemm)(int type, long n, const void *w, long rowBytes, long r0, long r1,
                     const void *prep, long m, float *y, long ldy) {
    if ((type != T_Q4_0 && type != T_Q5_0) || n % QK != 0) return 0;
    const int q5 = type == T_Q5_0;
    const long nb = n / QK;
    if (m <= 0 || r1 <= r0 || nb == 0) {
        for (long i = 0; i < m; i++) for (long r = r0; r < r1; r++) y[i * ldy + r] = 0;
        return 1;
    }
    const blk_q8_off *a = prep;
    /* A batch of at least a tile unpacks each panel once; fewer rows unpack as they go. */
    ot_panel_blk *P = m >= OT_COLS ? aligned_alloc(32, sizeof(ot_panel_blk) * (size_t)nb) : NULL;
    const uint8_t *wb = w;
    const long ahead = ot_prefetch_distance(rowBytes);
    for (long r = r0; r < r1; r += OT_ROWS) {
        const int rows = (int)(r1 - r < OT_ROWS ? r1 - r : OT_ROWS);
        const uint8_t *p[OT_ROWS];
        /* A short panel repeats its last row. The empty asm keeps clang from computing the eight
           pointers in zmm registers: the tile objects stay ymm-only (ISAObjectTests). */
        const uint8_t *q = wb + r * rowBytes;
        for (int i = 0; i < OT_ROWS; i++) {
            p[i] = q;
            if (i + 1 < rows) q += rowBytes;
            __asm__("" : "+r"(q));
        }
        if (P) {
            ot_pack(q5, p, ahead, nb, P);
            ot_panel_run(q5, P, nb, a, m, y + r, ldy, rows);
        } else ot_direct_run(q5, p, ahead, nb, a, m, y + r, ldy, rows);
    }
    free(P);
    return 1;
}
