// ggml's block structs (ggml-common.h), byte for byte. f16 fields are raw bit patterns.
#ifndef WHITTLE_CK_BLOCKS_H
#define WHITTLE_CK_BLOCKS_H
#include <stdint.h>
#include <string.h>

#define QK 32    /* elements per block of the 32-element types */
#define QKK 256  /* elements per K-quant super-block */

typedef struct { uint16_t d; int8_t qs[QK]; } blk_q8_0;                 /* activations and Q8_0 weights */
typedef struct { uint16_t d; uint16_t s; int8_t qs[QK]; } blk_q8_1;     /* s = f16(d * sum(qs)) */
typedef struct { float d; int8_t qs[QKK]; int16_t bsums[QKK / 16]; } blk_q8_K;
typedef struct { uint16_t d; uint8_t qs[QK / 2]; } blk_q4_0;           /* low nibble j, high nibble j+16 */
typedef struct { uint16_t d; uint16_t m; uint8_t qs[QK / 2]; } blk_q4_1;
typedef struct { uint16_t d; uint8_t qh[4]; uint8_t qs[QK / 2]; } blk_q5_0;
typedef struct { uint16_t d; uint16_t m; uint8_t qh[4]; uint8_t qs[QK / 2]; } blk_q5_1;
typedef struct { uint8_t scales[QKK / 16]; uint8_t qs[QKK / 4]; uint16_t d; uint16_t dmin; } blk_q2_K;
typedef struct { uint8_t hmask[QKK / 8]; uint8_t qs[QKK / 4]; uint8_t scales[12]; uint16_t d; } blk_q3_K;
typedef struct { uint16_t d; uint16_t dmin; uint8_t scales[12]; uint8_t qs[QKK / 2]; } blk_q4_K;
typedef struct { uint16_t d; uint16_t dmin; uint8_t scales[12]; uint8_t qh[QKK / 8]; uint8_t qs[QKK / 2]; } blk_q5_K;
typedef struct { uint8_t ql[QKK / 2]; uint8_t qh[QKK / 4]; int8_t scales[QKK / 16]; uint16_t d; } blk_q6_K;
typedef struct { uint16_t d; uint8_t qs[QK / 2]; } blk_iq4_nl;
typedef struct { uint16_t d; uint16_t scales_h; uint8_t scales_l[QKK / 64]; uint8_t qs[QKK / 2]; } blk_iq4_xs;

_Static_assert(sizeof(blk_q8_0) == 34, "q8_0");
_Static_assert(sizeof(blk_q8_1) == 36, "q8_1");
_Static_assert(sizeof(blk_q8_K) == 292, "q8_K");
_Static_assert(sizeof(blk_q4_0) == 18, "q4_0");
_Static_assert(sizeof(blk_q4_1) == 20, "q4_1");
_Static_assert(sizeof(blk_q5_0) == 22, "q5_0");
_Static_assert(sizeof(blk_q5_1) == 24, "q5_1");
_Static_assert(sizeof(blk_q2_K) == 84, "q2_K");
_Static_assert(sizeof(blk_q3_K) == 110, "q3_K");
_Static_assert(sizeof(blk_q4_K) == 144, "q4_K");
_Static_assert(sizeof(blk_q5_K) == 176, "q5_K");
_Static_assert(sizeof(blk_q6_K) == 210, "q6_K");
_Static_assert(sizeof(blk_iq4_nl) == 18, "iq4_nl");
_Static_assert(sizeof(blk_iq4_xs) == 136, "iq4_xs");

/* ggml type ids (enum ggml_type). */
enum {
    T_F32 = 0, T_F16 = 1, T_Q4_0 = 2, T_Q4_1 = 3, T_Q5_0 = 6, T_Q5_1 = 7, T_Q8_0 = 8, T_Q8_1 = 9,
    T_Q2_K = 10, T_Q3_K = 11, T_Q4_K = 12, T_Q5_K = 13, T_Q6_K = 14, T_Q8_K = 15,
    T_IQ4_NL = 20, T_IQ4_XS = 23, T_BF16 = 30,
};

/* The IQ4_NL / IQ4_XS codebook. */
static const int8_t ck_kvalues_iq4nl[16] = { -127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113 };

/* f16 bits to f32, exactly, without F16C (the portable path). */
static inline float ck_half_to_float(uint16_t h) {
    uint32_t s = (uint32_t)(h >> 15) << 31, e = (h >> 10) & 31, f = h & 1023, u;
    if (e == 0) {
        if (f == 0) u = s;
        else { e = 113; while (!(f & 1024)) { f <<= 1; e--; } f &= 1023; u = s | (e << 23) | (f << 13); }
    } else if (e == 31) u = s | 0x7F800000 | (f << 13);
    else u = s | ((e + 112) << 23) | (f << 13);
    float out; memcpy(&out, &u, 4); return out;
}

/* Every f16 bit pattern as f32 (256 KB, filled at load time by reference.c): the x86 kernels look
   block scales up here, as ggml-cpu does, which costs one load instead of a GPR-to-vector move and
   a conversion per scale. */
extern float ck_f16_table[65536];

/* f32 to f16 bits, round to nearest even (ggml's GGML_FP32_TO_FP16 on the reference path). */
static inline uint16_t ck_float_to_half(float x) {
    uint32_t u; memcpy(&u, &x, 4);
    uint32_t sign = (u >> 16) & 0x8000, a = u & 0x7FFFFFFF;
    if (a > 0x7F800000) return (uint16_t)(sign | 0x7E00 | ((a >> 13) & 0x3FF));  /* NaN, payload kept */
    if (a >= 0x477FF000) return (uint16_t)(sign | 0x7C00);         /* overflow to inf (incl. rounding up) */
    if (a < 0x38800000) {                                          /* subnormal or zero */
        if (a < 0x33000000) return (uint16_t)sign;                 /* below half the smallest subnormal */
        uint32_t e = a >> 23, m = (a & 0x7FFFFF) | 0x800000;
        uint32_t shift = 126 - e;                                  /* 14 + (113 - e) - 1 */
        uint32_t v = m >> shift, rem = m & ((1u << shift) - 1), half = 1u << (shift - 1);
        if (rem > half || (rem == half && (v & 1))) v++;
        return (uint16_t)(sign | v);
    }
    uint32_t v = ((a >> 13) - (112 << 10)), rem = a & 0x1FFF;
    if (rem > 0x1000 || (rem == 0x1000 && (v & 1))) v++;
    return (uint16_t)(sign | v);
}

#endif
