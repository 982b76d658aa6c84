// Entry points: route each call to the kernels of the ISA level the caller chose (Swift's
// KernelISA validates the level against the CPU once). Built for the baseline target.
#include "ckernels.h"
#include "blocks.h"
#include "internal.h"

#if defined(__x86_64__) || defined(__i386__)
#define PICK(isa, name) ((isa) == CK_ISA_AVX512 ? ck_avx512_##name : (isa) == CK_ISA_AVX2 ? ck_avx2_##name : ck_scalar_##name)
#else
#define PICK(isa, name) ck_scalar_##name
#endif

/* AVX-VNNI (VEX vpdpbusd), read once: the AVX2 level uses it for the int8 GEMM and Q8_0 dots. */
static int has_avxvnni(void) {
#if defined(__x86_64__) || defined(__i386__)
    static volatile int cached = -1;
    if (cached < 0) cached = (ck_cpu_features() & (CK_FEAT_AVXVNNI | CK_FEAT_AVX2)) == (CK_FEAT_AVXVNNI | CK_FEAT_AVX2);
    return cached;
#else
    return 0;
#endif
}

static int has_vnni256(int variant) {
    const unsigned need = variant == 0 ? CK_FEAT_AVXVNNI | CK_FEAT_AVX2
                                       : CK_FEAT_AVX512VNNI | CK_FEAT_AVX512VL | CK_FEAT_AVX512F | CK_FEAT_AVX2;
    return (variant == 0 || variant == 1) && ck_has_x86_kernels() && (ck_cpu_features() & need) == need;
}

/* The dot product for a type at an ISA level. At the AVX-512 level Q4_K and Q5_K take the AVX2
   kernels: the same code built with AVX-512 enabled measured 20-30% slower on Zen 4. */
static ck_dot_fn dot_for(int isa, int type) {
#if defined(__x86_64__) || defined(__i386__)
    if (isa == CK_ISA_AVX512 && (type == T_Q4_K || type == T_Q5_K)) return ck_avx2_dot_fn(type);
    if (isa == CK_ISA_AVX2 && type == T_Q8_0 && has_avxvnni()) return ck_avxvnni_dot_q8_0;
#endif
    return PICK(isa, dot_fn)(type);
}

float ck_vec_dot(int isa, int type, long n, const void *w, const void *act) {
    ck_dot_fn f = dot_for(isa, type);
    return f ? f(n, w, act) : 0;
}

void ck_block_gemm(int isa, int type, long n, const void *w, long rowBytes, long r0, long r1,
                   const void *act, long actBytes, long m, float *y, long ldy) {
#if defined(__x86_64__) || defined(__i386__)
    if (isa == CK_ISA_AVX512 && ck_avx512_block_gemm_prepared(type, n, w, rowBytes, r0, r1, act, actBytes, m, y, ldy)) return;
    if (isa == CK_ISA_AVX2 && ck_avx2_block_gemm_prepared(type, n, w, rowBytes, r0, r1, act, actBytes, m, y, ldy)) return;
#endif
    ck_dot_fn f = dot_for(isa, type);
    if (!f) return;
    const char *wb = w, *ab = act;
    for (long r = r0; r < r1; r++)
        for (long i = 0; i < m; i++) y[i * ldy + r] = f(n, wb + r * rowBytes, ab + i * actBytes);
}

void ck_widen(int isa, int bf16, const uint16_t *src, float *dst, long n) { PICK(isa, widen)(bf16, src, dst, n); }

int ck_sgemm_mr(int isa) { return isa == CK_ISA_AVX512 ? 8 : 6; }
int ck_sgemm_nr(int isa) { return isa == CK_ISA_AVX512 ? 32 : 16; }

void ck_sgemm_tile(int isa, long kc, const float *a, const float *b, float *c, long ldc, int rows, int cols, float beta) {
    PICK(isa, sgemm_tile)(kc, a, b, c, ldc, rows, cols, beta);
}

float ck_dot_f32(int isa, long n, const float *a, const float *b) { return PICK(isa, dot_f32)(n, a, b); }

void ck_axpy_rows(int isa, long rows, long length, const float *m, long ld, const float *x, float *y) {
    PICK(isa, axpy_rows)(rows, length, m, ld, x, y);
}

void ck_i8_gemm(int isa, long m, long n, long kq, const uint8_t *a, long lda, const int8_t *bp,
                const int32_t *colsum, long panel0, long panel1, int32_t *c, long ldc) {
    if (kq <= 0) {  /* an empty k: the vector kernels write nothing, the products are 0 */
        for (long i = 0; i < m; i++)
            for (long j = panel0 * CK_I8_PANEL_COLS; j < panel1 * CK_I8_PANEL_COLS && j < n; j++) c[i * ldc + j] = 0;
        return;
    }
#if defined(__x86_64__) || defined(__i386__)
    if (isa == CK_ISA_AVX2 && has_avxvnni()) { ck_avxvnni_i8_gemm(m, n, kq, a, lda, bp, colsum, panel0, panel1, c, ldc); return; }
#endif
    PICK(isa, i8_gemm)(m, n, kq, a, lda, bp, colsum, panel0, panel1, c, ldc);
}

int ck_i8_gemm_vnni256(int variant, long m, long n, long kq, const uint8_t *a, long lda, const int8_t *bp,
                       const int32_t *colsum, long panel0, long panel1, int32_t *c, long ldc) {
    if (!has_vnni256(variant)) return 0;
#if defined(__x86_64__) || defined(__i386__)
    if (kq <= 0) { ck_i8_gemm(CK_ISA_SCALAR, m, n, kq, a, lda, bp, colsum, panel0, panel1, c, ldc); return 1; }
    (variant == 0 ? ck_avxvnni_i8_gemm : ck_vnni256e_i8_gemm)(m, n, kq, a, lda, bp, colsum, panel0, panel1, c, ldc);
    return 1;
#else
    return 0;
#endif
}

int ck_dot_q8_0_vnni256(int variant, long n, const void *w, const void *act, float *out) {
    if (!has_vnni256(variant)) return 0;
#if defined(__x86_64__) || defined(__i386__)
    *out = (variant == 0 ? ck_avxvnni_dot_q8_0 : ck_vnni256e_dot_q8_0)(n, w, act);
    return 1;
#else
    return 0;
#endif
}

long ck_quantize_q8_0(int isa, const float *x, uint8_t *out, long nb) { return PICK(isa, quantize_q8_0)(x, out, nb); }
long ck_quantize_q4_0(int isa, const float *x, uint8_t *out, long nb) { return PICK(isa, quantize_q4_0)(x, out, nb); }
