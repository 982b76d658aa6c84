// Declarations shared between the per-ISA files and the dispatcher (not part of the module's API).
#ifndef WHITTLE_CK_INTERNAL_H
#define WHITTLE_CK_INTERNAL_H
#include <stdint.h>

/// A weight row dotted with an activation row (n elements).
typedef float (*ck_dot_fn)(long n, const void *w, const void *act);

#define CK_ISA_FUNCTIONS(P) \
    ck_dot_fn P##_dot_fn(int type); \
    void P##_widen(int bf16, const uint16_t *src, float *dst, long n); \
    void P##_sgemm_tile(long kc, const float *a, const float *b, float *c, long ldc, int rows, int cols, float beta); \
    float P##_dot_f32(long n, const float *a, const float *b); \
    void P##_axpy_rows(long rows, long length, const float *m, long ld, const float *x, float *y); \
    long P##_quantize_q8_0(const float *x, uint8_t *out, long nb); \
    long P##_quantize_q4_0(const float *x, uint8_t *out, long nb); \
    void P##_i8_gemm(long m, long n, long kq, const uint8_t *a, long lda, const int8_t *bp, const int32_t *colsum, long panel0, long panel1, int32_t *c, long ldc);

/// Weight rows [r0, r1) x m activation rows with activations prepared once per call, for the types
/// that have such a path (Q4_0, Q5_0); returns 0 (and does nothing) otherwise.
#define CK_PREPARED_GEMM(P) \
    int P##_block_gemm_prepared(int type, long n, const void *w, long rowBytes, long r0, long r1, \
                                const void *act, long actBytes, long m, float *y, long ldy);

CK_PREPARED_GEMM(ck_avx2)
CK_PREPARED_GEMM(ck_avx512)

/// The 256-bit vpdpbusd kernels (vnni256.h): ck_avxvnni_ (VEX, AVX-VNNI) and ck_vnni256e_ (EVEX twin).
#define CK_VNNI256_FUNCTIONS(P) \
    void P##_i8_gemm(long m, long n, long kq, const uint8_t *a, long lda, const int8_t *bp, const int32_t *colsum, long panel0, long panel1, int32_t *c, long ldc); \
    float P##_dot_q8_0(long n, const void *w, const void *act);

CK_VNNI256_FUNCTIONS(ck_avxvnni)
CK_VNNI256_FUNCTIONS(ck_vnni256e)

CK_ISA_FUNCTIONS(ck_scalar)
CK_ISA_FUNCTIONS(ck_avx2)
CK_ISA_FUNCTIONS(ck_avx512)

#endif
