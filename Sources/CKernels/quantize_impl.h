// Q8_0 / Q4_0 weight quantizers from f32, the same arithmetic as Swift's Quantize (and gguf's
// numpy rules) for finite blocks. Plain C written once: reference.c compiles it for the baseline
// target, the ISA files for AVX2 / AVX-512 (the loops vectorize to their widths). Included with
// QZ_PREFIX defined; each function stops at the first block holding a NaN or infinity and returns
// its index (the caller quantizes that block itself), or the block count. With QZ_X86 defined the
// includer brings its own intrinsics versions (kernels_x86.h) and only the helpers come from here.
#include <stdint.h>
#include <string.h>

#define QZ_CAT2(a, b) a##b
#define QZ_CAT(a, b) QZ_CAT2(a, b)
#define QZ(name) QZ_CAT(QZ_PREFIX, name)

static inline uint32_t qz_bits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static inline float qz_float(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }

/* f16 bits nearest to a finite x (round to nearest even), as Half.bits. */
static inline uint16_t qz_half(float x) { return ck_float_to_half(x); }

/* cvttps2dq on an in-range value. */
static inline int32_t qz_trunc(float f) { return (f >= -2147483648.0f && f < 2147483648.0f) ? (int32_t)f : INT32_MIN; }

#pragma clang fp contract(off)
#ifndef QZ_X86
long QZ(quantize_q8_0)(const float *x, uint8_t *out, long nb) {
    for (long b = 0; b < nb; b++) {
        const float *v = x + b * 32;
        uint32_t amax = 0;
        for (int j = 0; j < 32; j++) { const uint32_t a = qz_bits(v[j]) & 0x7FFFFFFF; amax = a > amax ? a : amax; }
        if (amax >= 0x7F800000) return b;
        const float d = qz_float(amax) / 127, id = d == 0 ? 0 : 1 / d;
        uint8_t *dst = out + b * 34;
        const uint16_t h = qz_half(d);
        memcpy(dst, &h, 2);
        for (int j = 0; j < 32; j++) {
            const float p = v[j] * id;
            /* round half away from zero: trunc(p + copysign(0.5 - 2^-25, p)), as LLVM lowers roundf */
            const float half = qz_float((qz_bits(p) & 0x80000000u) | 0x3EFFFFFFu);
            dst[2 + j] = (uint8_t)qz_trunc(p + half);
        }
    }
    return nb;
}

long QZ(quantize_q4_0)(const float *x, uint8_t *out, long nb) {
    for (long b = 0; b < nb; b++) {
        const float *v = x + b * 32;
        uint32_t amax = 0;
        for (int j = 0; j < 32; j++) { const uint32_t a = qz_bits(v[j]) & 0x7FFFFFFF; amax = a > amax ? a : amax; }
        if (amax >= 0x7F800000) return b;
        float m = 0;
        for (int j = 0; j < 32; j++)   /* the first element of largest magnitude keeps its sign */
            if ((qz_bits(v[j]) & 0x7FFFFFFF) == amax) { m = v[j]; break; }
        const float d = m / -8, id = d == 0 ? 0 : 1 / d;
        uint8_t *dst = out + b * 18;
        const uint16_t h = qz_half(d);
        memcpy(dst, &h, 2);
        for (int j = 0; j < 16; j++) {
            const float p0 = v[j] * id, p1 = v[j + 16] * id;   /* two roundings: product, then + 8.5 */
            int32_t lo = qz_trunc(p0 + 8.5f), hi = qz_trunc(p1 + 8.5f);
            lo = lo < 15 ? lo : 15; hi = hi < 15 ? hi : 15;
            dst[2 + j] = (uint8_t)(lo | (hi << 4));
        }
    }
    return nb;
}
#endif
#pragma clang fp contract(on)
