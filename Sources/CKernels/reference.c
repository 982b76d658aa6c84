// The scalar specification of every kernel, and the portable path on non-x86 builds.
// Block dot products are ggml-cpu's *_generic functions (quants.c), activation quantizers are
// ggml-quants.c's quantize_row_q8_{0,1,K}_ref; written here against our own block structs.
#include "ckernels.h"
#include "blocks.h"
#include "internal.h"
#include <math.h>

float ck_f16_table[65536];

__attribute__((constructor)) static void ck_fill_f16_table(void) {
    for (uint32_t h = 0; h < 65536; h++) ck_f16_table[h] = ck_half_to_float((uint16_t)h);
}

#define QZ_PREFIX ck_scalar_
#include "quantize_impl.h"
#undef QZ_PREFIX

#define H(x) ck_half_to_float(x)

static inline int nearest_int(float fval) {
    float val = fval + 12582912.f;
    int i; memcpy(&i, &val, sizeof(int));
    return (i & 0x007fffff) - 0x00400000;
}

void ck_quantize_act(int act, const float *x, void *vy, long n) {
    if (act == T_F32) { memcpy(vy, x, (size_t)n * 4); return; }
    if (act == T_Q8_0 || act == T_Q8_1) {
        for (long i = 0; i < n / QK; i++) {
            const float *xb = x + i * QK;
            float amax = 0;
            for (int j = 0; j < QK; j++) amax = fmaxf(amax, fabsf(xb[j]));
            const float d = amax / 127, id = d ? 1.0f / d : 0.0f;
            int8_t *qs;
            if (act == T_Q8_0) { blk_q8_0 *y = (blk_q8_0 *)vy + i; y->d = ck_float_to_half(d); qs = y->qs; }
            else { blk_q8_1 *y = (blk_q8_1 *)vy + i; y->d = ck_float_to_half(d); qs = y->qs; }
            int sum = 0;
            for (int j = 0; j < QK; j++) { qs[j] = (int8_t)roundf(xb[j] * id); sum += qs[j]; }
            if (act == T_Q8_1) ((blk_q8_1 *)vy + i)->s = ck_float_to_half((float)sum * d);
        }
        return;
    }
    /* Q8_K */
    for (long i = 0; i < n / QKK; i++) {
        const float *xb = x + i * QKK;
        blk_q8_K *y = (blk_q8_K *)vy + i;
        float max = 0, amax = 0;
        for (int j = 0; j < QKK; j++) { float ax = fabsf(xb[j]); if (ax > amax) { amax = ax; max = xb[j]; } }
        if (!amax) { memset(y, 0, sizeof *y); continue; }
        const float iscale = -127.f / max;
        for (int j = 0; j < QKK; j++) { int v = nearest_int(iscale * xb[j]); y->qs[j] = (int8_t)(v < 127 ? v : 127); }
        for (int j = 0; j < QKK / 16; j++) {
            int sum = 0;
            for (int l = 0; l < 16; l++) sum += y->qs[j * 16 + l];
            y->bsums[j] = (int16_t)sum;
        }
        y->d = 1 / iscale;
    }
}

int ck_act_type(int type) {
    switch (type) {
    case T_F32: case T_F16: case T_BF16: return T_F32;
    case T_Q4_0: case T_Q5_0: case T_Q8_0: case T_IQ4_NL: return T_Q8_0;
    case T_Q4_1: case T_Q5_1: return T_Q8_1;
    case T_Q2_K: case T_Q3_K: case T_Q4_K: case T_Q5_K: case T_Q6_K: case T_IQ4_XS: return T_Q8_K;
    default: return -1;
    }
}

/* ---- 32-element blocks ---- */

static float dot_q4_0(long n, const void *vx, const void *vy) {
    const blk_q4_0 *x = vx; const blk_q8_0 *y = vy;
    float sumf = 0;
    for (long ib = 0; ib < n / QK; ib++) {
        int s0 = 0, s1 = 0;
        for (int j = 0; j < QK / 2; j++) {
            s0 += ((x[ib].qs[j] & 0x0F) - 8) * y[ib].qs[j];
            s1 += ((x[ib].qs[j] >> 4) - 8) * y[ib].qs[j + QK / 2];
        }
        sumf += (s0 + s1) * H(x[ib].d) * H(y[ib].d);
    }
    return sumf;
}

static float dot_q4_1(long n, const void *vx, const void *vy) {
    const blk_q4_1 *x = vx; const blk_q8_1 *y = vy;
    float sumf = 0;
    for (long ib = 0; ib < n / QK; ib++) {
        int s0 = 0, s1 = 0;
        for (int j = 0; j < QK / 2; j++) {
            s0 += (x[ib].qs[j] & 0x0F) * y[ib].qs[j];
            s1 += (x[ib].qs[j] >> 4) * y[ib].qs[j + QK / 2];
        }
        sumf += (H(x[ib].d) * H(y[ib].d)) * (s0 + s1) + H(x[ib].m) * H(y[ib].s);
    }
    return sumf;
}

static float dot_q5_0(long n, const void *vx, const void *vy) {
    const blk_q5_0 *x = vx; const blk_q8_0 *y = vy;
    float sumf = 0;
    for (long ib = 0; ib < n / QK; ib++) {
        uint32_t qh; memcpy(&qh, x[ib].qh, 4);
        int s0 = 0, s1 = 0;
        for (int j = 0; j < QK / 2; j++) {
            const uint8_t h0 = ((qh & (1u << j)) >> j) << 4, h1 = (qh & (1u << (j + 16))) >> (j + 12);
            s0 += (int8_t)(((x[ib].qs[j] & 0x0F) | h0) - 16) * y[ib].qs[j];
            s1 += (int8_t)(((x[ib].qs[j] >> 4) | h1) - 16) * y[ib].qs[j + QK / 2];
        }
        sumf += (H(x[ib].d) * H(y[ib].d)) * (s0 + s1);
    }
    return sumf;
}

static float dot_q5_1(long n, const void *vx, const void *vy) {
    const blk_q5_1 *x = vx; const blk_q8_1 *y = vy;
    float sumf = 0;
    for (long ib = 0; ib < n / QK; ib++) {
        uint32_t qh; memcpy(&qh, x[ib].qh, 4);
        int s0 = 0, s1 = 0;
        for (int j = 0; j < QK / 2; j++) {
            const uint8_t h0 = ((qh >> j) << 4) & 0x10, h1 = (qh >> (j + 12)) & 0x10;
            s0 += ((x[ib].qs[j] & 0xF) | h0) * y[ib].qs[j];
            s1 += ((x[ib].qs[j] >> 4) | h1) * y[ib].qs[j + QK / 2];
        }
        sumf += (H(x[ib].d) * H(y[ib].d)) * (s0 + s1) + H(x[ib].m) * H(y[ib].s);
    }
    return sumf;
}

static float dot_q8_0(long n, const void *vx, const void *vy) {
    const blk_q8_0 *x = vx; const blk_q8_0 *y = vy;
    float sumf = 0;
    for (long ib = 0; ib < n / QK; ib++) {
        int s = 0;
        for (int j = 0; j < QK; j++) s += x[ib].qs[j] * y[ib].qs[j];
        sumf += s * (H(x[ib].d) * H(y[ib].d));
    }
    return sumf;
}

static float dot_iq4_nl(long n, const void *vx, const void *vy) {
    const blk_iq4_nl *x = vx; const blk_q8_0 *y = vy;
    float sumf = 0;
    for (long ib = 0; ib < n / QK; ib++) {
        int s1 = 0, s2 = 0;
        for (int j = 0; j < QK / 2; j++) {
            s1 += y[ib].qs[j] * ck_kvalues_iq4nl[x[ib].qs[j] & 0xf];
            s2 += y[ib].qs[j + QK / 2] * ck_kvalues_iq4nl[x[ib].qs[j] >> 4];
        }
        sumf += H(y[ib].d) * H(x[ib].d) * (s1 + s2);
    }
    return sumf;
}

/* ---- K-quants (super-blocks of 256) ---- */

static float dot_q2_K(long n, const void *vx, const void *vy) {
    const blk_q2_K *x = vx; const blk_q8_K *y = vy;
    float sumf = 0;
    for (long i = 0; i < n / QKK; i++) {
        const uint8_t *q2 = x[i].qs, *sc = x[i].scales;
        const int8_t *q8 = y[i].qs;
        int summs = 0;
        for (int j = 0; j < 16; j++) summs += y[i].bsums[j] * (sc[j] >> 4);
        const float dall = y[i].d * H(x[i].d), dmin = y[i].d * H(x[i].dmin);
        int isum = 0, is = 0;
        for (int k = 0; k < QKK / 128; k++) {
            int shift = 0;
            for (int j = 0; j < 4; j++) {
                int d = sc[is++] & 0xF, isuml = 0;
                for (int l = 0; l < 16; l++) isuml += q8[l] * ((q2[l] >> shift) & 3);
                isum += d * isuml;
                d = sc[is++] & 0xF; isuml = 0;
                for (int l = 16; l < 32; l++) isuml += q8[l] * ((q2[l] >> shift) & 3);
                isum += d * isuml;
                shift += 2; q8 += 32;
            }
            q2 += 32;
        }
        sumf += dall * isum - dmin * summs;
    }
    return sumf;
}

static float dot_q3_K(long n, const void *vx, const void *vy) {
    const blk_q3_K *x = vx; const blk_q8_K *y = vy;
    const uint32_t kmask1 = 0x03030303, kmask2 = 0x0f0f0f0f;
    float sumf = 0;
    for (long i = 0; i < n / QKK; i++) {
        int8_t a[QKK];
        const uint8_t *q3 = x[i].qs, *hm = x[i].hmask;
        uint8_t m = 1;
        int8_t *p = a;
        for (int j = 0; j < QKK; j += 128) {
            for (int shift = 0; shift < 8; shift += 2) {
                for (int l = 0; l < 32; l++) p[l] = (int8_t)(((q3[l] >> shift) & 3) - (hm[l] & m ? 0 : 4));
                p += 32; m <<= 1;
            }
            q3 += 32;
        }
        uint32_t auxs[4];
        memcpy(auxs, x[i].scales, 12);
        uint32_t tmp = auxs[2];
        auxs[2] = ((auxs[0] >> 4) & kmask2) | (((tmp >> 4) & kmask1) << 4);
        auxs[3] = ((auxs[1] >> 4) & kmask2) | (((tmp >> 6) & kmask1) << 4);
        auxs[0] = (auxs[0] & kmask2) | (((tmp >> 0) & kmask1) << 4);
        auxs[1] = (auxs[1] & kmask2) | (((tmp >> 2) & kmask1) << 4);
        const int8_t *scales = (const int8_t *)auxs;
        int isum = 0;
        for (int j = 0; j < QKK / 16; j++) {
            int s = 0;
            for (int l = 0; l < 16; l++) s += y[i].qs[j * 16 + l] * a[j * 16 + l];
            isum += (scales[j] - 32) * s;
        }
        sumf += H(x[i].d) * y[i].d * isum;
    }
    return sumf;
}

/* The 6-bit scales and mins of Q4_K/Q5_K (ggml's get_scale_min_k4 unpacking into 8 + 8 bytes). */
static void unpack_k4_scales(const uint8_t *packed, uint8_t *scales, uint8_t *mins) {
    const uint32_t kmask1 = 0x3f3f3f3f, kmask2 = 0x0f0f0f0f, kmask3 = 0x03030303;
    uint32_t utmp[4];
    memcpy(utmp, packed, 12);
    utmp[3] = ((utmp[2] >> 4) & kmask2) | (((utmp[1] >> 6) & kmask3) << 4);
    const uint32_t uaux = utmp[1] & kmask1;
    utmp[1] = (utmp[2] & kmask2) | (((utmp[0] >> 6) & kmask3) << 4);
    utmp[2] = uaux;
    utmp[0] &= kmask1;
    memcpy(scales, utmp, 8);
    memcpy(mins, utmp + 2, 8);
}

static float dot_q45_K(long n, const void *vx, const void *vy, int five) {
    const blk_q8_K *y = vy;
    float sumf = 0;
    for (long i = 0; i < n / QKK; i++) {
        const uint8_t *q4, *hm = 0, *packed;
        float xd, xdmin;
        if (five) { const blk_q5_K *x = (const blk_q5_K *)vx + i; q4 = x->qs; hm = x->qh; packed = x->scales; xd = H(x->d); xdmin = H(x->dmin); }
        else { const blk_q4_K *x = (const blk_q4_K *)vx + i; q4 = x->qs; packed = x->scales; xd = H(x->d); xdmin = H(x->dmin); }
        int8_t a[QKK];
        uint8_t m = 1;
        for (int j = 0; j < QKK / 64; j++) {
            for (int l = 0; l < 32; l++) a[64 * j + l] = (int8_t)((q4[l] & 0xF) + (five && (hm[l] & m) ? 16 : 0));
            m <<= 1;
            for (int l = 0; l < 32; l++) a[64 * j + 32 + l] = (int8_t)((q4[l] >> 4) + (five && (hm[l] & m) ? 16 : 0));
            m <<= 1;
            q4 += 32;
        }
        uint8_t scales[8], mins[8];
        unpack_k4_scales(packed, scales, mins);
        int summ = 0;
        for (int j = 0; j < QKK / 16; j++) summ += y[i].bsums[j] * mins[j / 2];
        int isum = 0;
        for (int j = 0; j < QKK / 32; j++) {
            int s = 0;
            for (int l = 0; l < 32; l++) s += y[i].qs[j * 32 + l] * a[j * 32 + l];
            isum += scales[j] * s;
        }
        sumf += xd * y[i].d * isum - xdmin * y[i].d * summ;
    }
    return sumf;
}

static float dot_q4_K(long n, const void *vx, const void *vy) { return dot_q45_K(n, vx, vy, 0); }
static float dot_q5_K(long n, const void *vx, const void *vy) { return dot_q45_K(n, vx, vy, 1); }

static float dot_q6_K(long n, const void *vx, const void *vy) {
    const blk_q6_K *x = vx; const blk_q8_K *y = vy;
    float sumf = 0;
    for (long i = 0; i < n / QKK; i++) {
        int8_t a[QKK];
        const uint8_t *q4 = x[i].ql, *qh = x[i].qh;
        for (int j = 0; j < QKK; j += 128) {
            for (int l = 0; l < 32; l++) {
                a[j + l + 0] = (int8_t)(((q4[l + 0] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32);
                a[j + l + 32] = (int8_t)(((q4[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32);
                a[j + l + 64] = (int8_t)(((q4[l + 0] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32);
                a[j + l + 96] = (int8_t)(((q4[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32);
            }
            q4 += 64; qh += 32;
        }
        int isum = 0;
        for (int j = 0; j < QKK / 16; j++) {
            int s = 0;
            for (int l = 0; l < 16; l++) s += y[i].qs[j * 16 + l] * a[j * 16 + l];
            isum += x[i].scales[j] * s;
        }
        sumf += H(x[i].d) * y[i].d * isum;
    }
    return sumf;
}

static float dot_iq4_xs(long n, const void *vx, const void *vy) {
    const blk_iq4_xs *x = vx; const blk_q8_K *y = vy;
    float sumf = 0;
    for (long ibl = 0; ibl < n / QKK; ibl++) {
        const float d4d8 = H(x[ibl].d) * y[ibl].d;
        uint16_t h = x[ibl].scales_h;
        const uint8_t *qs = x[ibl].qs;
        const int8_t *q8 = y[ibl].qs;
        for (int ib = 0; ib < QKK / 32; ib += 2) {
            const uint8_t ls1 = (x[ibl].scales_l[ib / 2] & 0xf) | ((h << 4) & 0x30);
            const uint8_t ls2 = (x[ibl].scales_l[ib / 2] >> 4) | ((h << 2) & 0x30);
            h >>= 4;
            for (int half = 0; half < 2; half++) {
                int s1 = 0, s2 = 0;
                for (int j = 0; j < 16; j++) {
                    s1 += q8[j] * ck_kvalues_iq4nl[qs[j] & 0xf];
                    s2 += q8[j + 16] * ck_kvalues_iq4nl[qs[j] >> 4];
                }
                sumf += d4d8 * ((half ? ls2 : ls1) - 32) * (s1 + s2);
                qs += 16; q8 += 32;
            }
        }
    }
    return sumf;
}

/* ---- plain float weights against f32 activations ---- */

float ck_scalar_dot_f32(long n, const float *a, const float *b) {
    float s[8] = {0};
    long i = 0;
    for (; i + 8 <= n; i += 8) for (int l = 0; l < 8; l++) s[l] += a[i + l] * b[i + l];
    float r = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
    for (; i < n; i++) r += a[i] * b[i];
    return r;
}

static float dot_f16(long n, const void *w, const void *x) {
    const uint16_t *h = w; const float *f = x;
    float s = 0;
    for (long i = 0; i < n; i++) s += H(h[i]) * f[i];
    return s;
}

static float bf16f(uint16_t b) { uint32_t u = (uint32_t)b << 16; float f; memcpy(&f, &u, 4); return f; }

static float dot_bf16(long n, const void *w, const void *x) {
    const uint16_t *h = w; const float *f = x;
    float s = 0;
    for (long i = 0; i < n; i++) s += bf16f(h[i]) * f[i];
    return s;
}

static float dot_f32w(long n, const void *w, const void *x) { return ck_scalar_dot_f32(n, w, x); }

ck_dot_fn ck_scalar_dot_fn(int type) {
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

void ck_scalar_widen(int bf16, const uint16_t *src, float *dst, long n) {
    for (long i = 0; i < n; i++) dst[i] = bf16 ? bf16f(src[i]) : H(src[i]);
}

/* ---- f32 GEMM micro-kernel and axpy, scalar (6 x 16 tile, like AVX2's) ---- */

void ck_scalar_sgemm_tile(long kc, const float *a, const float *b, float *c, long ldc, int rows, int cols, float beta) {
    float t[6][16] = {{0}};
    for (long p = 0; p < kc; p++)
        for (int r = 0; r < 6; r++)
            for (int j = 0; j < 16; j++) t[r][j] += a[p * 6 + r] * b[p * 16 + j];
    for (int r = 0; r < rows; r++)
        for (int j = 0; j < cols; j++) c[r * ldc + j] = t[r][j] + (beta == 0 ? 0 : beta * c[r * ldc + j]);
}

void ck_scalar_axpy_rows(long rows, long length, const float *m, long ld, const float *x, float *y) {
    for (long p = 0; p < rows; p++) {
        const float s = x[p], *row = m + p * ld;
        for (long j = 0; j < length; j++) y[j] += s * row[j];
    }
}

void ck_scalar_i8_gemm(long m, long n, long kq, const uint8_t *a, long lda, const int8_t *bp,
                       const int32_t *colsum, long panel0, long panel1, int32_t *c, long ldc) {
    (void)colsum;
    for (long t = panel0; t < panel1; t++)
        for (long i = 0; i < m; i++)
            for (int j = 0; j < 32 && t * 32 + j < n; j++) {
                int32_t s = 0;
                for (long q = 0; q < kq; q++)
                    for (int l = 0; l < 4; l++) s += ((int32_t)a[i * lda + 4 * q + l] - 128) * bp[t * kq * 128 + q * 128 + j * 4 + l];
                c[i * ldc + t * 32 + j] = s;
            }
}
