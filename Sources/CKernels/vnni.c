#include "ckernels.h"
#include <immintrin.h>
#include <string.h>

int ck_has_vnni(void) {
#if defined(__AVX512VNNI__) && defined(__AVX512BW__) && defined(__AVX512VL__)
    return 1;
#else
    return 0;
#endif
}

#if defined(__AVX512VNNI__) && defined(__AVX512BW__) && defined(__AVX512VL__)

/* R rows x 32 columns of C, all of k; R is a compile-time constant after inlining. */
static inline __attribute__((always_inline)) void i8_tile(const int R, long kq, const uint8_t *a, long lda,
                                                          const int8_t *b, int32_t *c, long ldc, int cols) {
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
    for (int r = 0; r < R; r++) {
        if (cols == 32) {
            _mm512_storeu_si512(c + r * ldc, acc[r][0]);
            _mm512_storeu_si512(c + r * ldc + 16, acc[r][1]);
        } else {
            __mmask16 m0 = cols >= 16 ? 0xFFFF : (__mmask16)((1u << cols) - 1);
            __mmask16 m1 = cols <= 16 ? 0 : (__mmask16)((1u << (cols - 16)) - 1);
            _mm512_mask_storeu_epi32(c + r * ldc, m0, acc[r][0]);
            _mm512_mask_storeu_epi32(c + r * ldc + 16, m1, acc[r][1]);
        }
    }
}

/* One activation row against two panels at once: four independent accumulator chains. */
static void i8_row2(long kq, const uint8_t *a, const int8_t *b, const int8_t *b2, int32_t *c, int cols2) {
    __m512i s0 = _mm512_setzero_si512(), s1 = s0, s2 = s0, s3 = s0;
    for (long q = 0; q < kq; q++) {
        int32_t v;
        memcpy(&v, a + 4 * q, 4);
        const __m512i av = _mm512_set1_epi32(v);
        s0 = _mm512_dpbusd_epi32(s0, av, _mm512_loadu_si512(b + q * 128));
        s1 = _mm512_dpbusd_epi32(s1, av, _mm512_loadu_si512(b + q * 128 + 64));
        s2 = _mm512_dpbusd_epi32(s2, av, _mm512_loadu_si512(b2 + q * 128));
        s3 = _mm512_dpbusd_epi32(s3, av, _mm512_loadu_si512(b2 + q * 128 + 64));
    }
    _mm512_storeu_si512(c, s0);
    _mm512_storeu_si512(c + 16, s1);
    __mmask16 m0 = cols2 >= 16 ? 0xFFFF : (__mmask16)((1u << cols2) - 1);
    __mmask16 m1 = cols2 <= 16 ? 0 : (__mmask16)((1u << (cols2 - 16)) - 1);
    _mm512_mask_storeu_epi32(c + 32, m0, s2);
    _mm512_mask_storeu_epi32(c + 48, m1, s3);
}

void ck_i8_gemm(long m, long n, long kq, const uint8_t *a, long lda,
                const int8_t *bp, long panel0, long panel1, int32_t *c, long ldc) {
    if (m == 1) {
        long t = panel0;
        for (; t + 2 <= panel1; t += 2) {
            long rest = n - (t + 1) * 32;
            i8_row2(kq, a, bp + t * kq * 128, bp + (t + 1) * kq * 128, c + t * 32, rest >= 32 ? 32 : (int)rest);
        }
        for (; t < panel1; t++) {
            long cols = n - t * 32;
            i8_tile(1, kq, a, lda, bp + t * kq * 128, c + t * 32, ldc, cols >= 32 ? 32 : (int)cols);
        }
        return;
    }
    for (long t = panel0; t < panel1; t++) {
        const int8_t *b = bp + t * kq * 128;
        long colsl = n - t * 32;
        int cols = colsl >= 32 ? 32 : (int)colsl;
        long i = 0;
        for (; i + 8 <= m; i += 8) i8_tile(8, kq, a + i * lda, lda, b, c + i * ldc + t * 32, ldc, cols);
        switch (m - i) {
        case 7: i8_tile(7, kq, a + i * lda, lda, b, c + i * ldc + t * 32, ldc, cols); break;
        case 6: i8_tile(6, kq, a + i * lda, lda, b, c + i * ldc + t * 32, ldc, cols); break;
        case 5: i8_tile(5, kq, a + i * lda, lda, b, c + i * ldc + t * 32, ldc, cols); break;
        case 4: i8_tile(4, kq, a + i * lda, lda, b, c + i * ldc + t * 32, ldc, cols); break;
        case 3: i8_tile(3, kq, a + i * lda, lda, b, c + i * ldc + t * 32, ldc, cols); break;
        case 2: i8_tile(2, kq, a + i * lda, lda, b, c + i * ldc + t * 32, ldc, cols); break;
        case 1: i8_tile(1, kq, a + i * lda, lda, b, c + i * ldc + t * 32, ldc, cols); break;
        default: break;
        }
    }
}

static inline float hsum8(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

static inline float f16(const uint8_t *p) {
    uint16_t h;
    memcpy(&h, p, 2);
    return _cvtsh_ss(h);
}

void ck_q8_0_gemm(long r0, long r1, long nb, const uint8_t *w, long m,
                  const uint8_t *xabs, const int8_t *xq, const float *xd, float *y, long ldy) {
    for (long r = r0; r < r1; r++) {
        const uint8_t *row = w + r * nb * 34;
        for (long i = 0; i < m; i++) {
            const uint8_t *ax = xabs + i * nb * 32;
            const int8_t *qx = xq + i * nb * 32;
            const float *dx = xd + i * nb;
            __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
            long b = 0;
            for (; b + 2 <= nb; b += 2) {
                /* Weights stream from DRAM when they outgrow L3: fetch ~2 KB ahead. */
                _mm_prefetch((const char *)(row + b * 34 + 2048), _MM_HINT_T0);
                /* |x| as u8 times sign(x)*w as s8: the product equals x*w and needs no offset. */
                __m256i w0 = _mm256_loadu_si256((const __m256i *)(row + b * 34 + 2));
                __m256i w1 = _mm256_loadu_si256((const __m256i *)(row + b * 34 + 36));
                __m256i s0 = _mm256_sign_epi8(w0, _mm256_loadu_si256((const __m256i *)(qx + b * 32)));
                __m256i s1 = _mm256_sign_epi8(w1, _mm256_loadu_si256((const __m256i *)(qx + b * 32 + 32)));
                __m256i d0 = _mm256_dpbusd_epi32(_mm256_setzero_si256(), _mm256_loadu_si256((const __m256i *)(ax + b * 32)), s0);
                __m256i d1 = _mm256_dpbusd_epi32(_mm256_setzero_si256(), _mm256_loadu_si256((const __m256i *)(ax + b * 32 + 32)), s1);
                acc0 = _mm256_fmadd_ps(_mm256_set1_ps(f16(row + b * 34) * dx[b]), _mm256_cvtepi32_ps(d0), acc0);
                acc1 = _mm256_fmadd_ps(_mm256_set1_ps(f16(row + b * 34 + 34) * dx[b + 1]), _mm256_cvtepi32_ps(d1), acc1);
            }
            for (; b < nb; b++) {
                __m256i w0 = _mm256_loadu_si256((const __m256i *)(row + b * 34 + 2));
                __m256i s0 = _mm256_sign_epi8(w0, _mm256_loadu_si256((const __m256i *)(qx + b * 32)));
                __m256i d0 = _mm256_dpbusd_epi32(_mm256_setzero_si256(), _mm256_loadu_si256((const __m256i *)(ax + b * 32)), s0);
                acc0 = _mm256_fmadd_ps(_mm256_set1_ps(f16(row + b * 34) * dx[b]), _mm256_cvtepi32_ps(d0), acc0);
            }
            y[i * ldy + r] = hsum8(_mm256_add_ps(acc0, acc1));
        }
    }
}

static inline __m256i q4_codes(const uint8_t *p) {
    __m128i bytes = _mm_loadu_si128((const __m128i *)p);
    __m128i lo = _mm_and_si128(bytes, _mm_set1_epi8(15));
    __m128i hi = _mm_and_si128(_mm_srli_epi16(bytes, 4), _mm_set1_epi8(15));
    return _mm256_set_m128i(hi, lo);
}

void ck_q4_0_gemm(long r0, long r1, long nb, const uint8_t *w, long m,
                  const int8_t *xq, const float *xd, const float *xs, float *y, long ldy) {
    for (long r = r0; r < r1; r++) {
        const uint8_t *row = w + r * nb * 18;
        for (long i = 0; i < m; i++) {
            const int8_t *qx = xq + i * nb * 32;
            const float *dx = xd + i * nb, *sx = xs + i * nb;
            __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
            float corr = 0;
            long b = 0;
            for (; b + 2 <= nb; b += 2) {
                /* codes (0..15, u8) times x (s8); the -8 offset is folded in through sum(x). */
                __m256i d0 = _mm256_dpbusd_epi32(_mm256_setzero_si256(), q4_codes(row + b * 18 + 2), _mm256_loadu_si256((const __m256i *)(qx + b * 32)));
                __m256i d1 = _mm256_dpbusd_epi32(_mm256_setzero_si256(), q4_codes(row + b * 18 + 20), _mm256_loadu_si256((const __m256i *)(qx + b * 32 + 32)));
                float w0 = f16(row + b * 18), w1 = f16(row + b * 18 + 18);
                acc0 = _mm256_fmadd_ps(_mm256_set1_ps(w0 * dx[b]), _mm256_cvtepi32_ps(d0), acc0);
                acc1 = _mm256_fmadd_ps(_mm256_set1_ps(w1 * dx[b + 1]), _mm256_cvtepi32_ps(d1), acc1);
                corr += w0 * sx[b] + w1 * sx[b + 1];
            }
            for (; b < nb; b++) {
                __m256i d0 = _mm256_dpbusd_epi32(_mm256_setzero_si256(), q4_codes(row + b * 18 + 2), _mm256_loadu_si256((const __m256i *)(qx + b * 32)));
                float w0 = f16(row + b * 18);
                acc0 = _mm256_fmadd_ps(_mm256_set1_ps(w0 * dx[b]), _mm256_cvtepi32_ps(d0), acc0);
                corr += w0 * sx[b];
            }
            y[i * ldy + r] = hsum8(_mm256_add_ps(acc0, acc1)) - corr;
        }
    }
}

#else /* portable fallback: same contracts, scalar */

static float f16s(const uint8_t *p) {
    uint16_t h; memcpy(&h, p, 2);
    uint32_t s = (uint32_t)(h >> 15) << 31, e = (h >> 10) & 31, f = h & 1023, u;
    if (e == 0) {
        if (f == 0) u = s;
        else { e = 113; while (!(f & 1024)) { f <<= 1; e--; } f &= 1023; u = s | (e << 23) | (f << 13); }
    } else if (e == 31) u = s | 0x7F800000 | (f << 13);
    else u = s | ((e + 112) << 23) | (f << 13);
    float out; memcpy(&out, &u, 4); return out;
}

void ck_i8_gemm(long m, long n, long kq, const uint8_t *a, long lda,
                const int8_t *bp, long panel0, long panel1, int32_t *c, long ldc) {
    for (long t = panel0; t < panel1; t++)
        for (long i = 0; i < m; i++)
            for (int j = 0; j < 32 && t * 32 + j < n; j++) {
                int32_t s = 0;
                for (long q = 0; q < kq; q++)
                    for (int l = 0; l < 4; l++) s += (int32_t)a[i * lda + 4 * q + l] * bp[t * kq * 128 + q * 128 + j * 4 + l];
                c[i * ldc + t * 32 + j] = s;
            }
}

void ck_q8_0_gemm(long r0, long r1, long nb, const uint8_t *w, long m,
                  const uint8_t *xabs, const int8_t *xq, const float *xd, float *y, long ldy) {
    (void)xabs;
    for (long r = r0; r < r1; r++)
        for (long i = 0; i < m; i++) {
            float acc = 0;
            for (long b = 0; b < nb; b++) {
                const uint8_t *blk = w + (r * nb + b) * 34;
                int32_t s = 0;
                for (int j = 0; j < 32; j++) s += (int32_t)(int8_t)blk[2 + j] * xq[(i * nb + b) * 32 + j];
                acc += f16s(blk) * xd[i * nb + b] * (float)s;
            }
            y[i * ldy + r] = acc;
        }
}

void ck_q4_0_gemm(long r0, long r1, long nb, const uint8_t *w, long m,
                  const int8_t *xq, const float *xd, const float *xs, float *y, long ldy) {
    for (long r = r0; r < r1; r++)
        for (long i = 0; i < m; i++) {
            float acc = 0, corr = 0;
            for (long b = 0; b < nb; b++) {
                const uint8_t *blk = w + (r * nb + b) * 18;
                int32_t s = 0;
                for (int j = 0; j < 16; j++) {
                    s += (int32_t)(blk[2 + j] & 15) * xq[(i * nb + b) * 32 + j];
                    s += (int32_t)(blk[2 + j] >> 4) * xq[(i * nb + b) * 32 + j + 16];
                }
                float dw = f16s(blk);
                acc += dw * xd[i * nb + b] * (float)s;
                corr += dw * xs[i * nb + b];
            }
            y[i * ldy + r] = acc - corr;
        }
}
#endif
