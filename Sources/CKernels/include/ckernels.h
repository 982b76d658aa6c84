// The C layer of the kernels: everything that needs a particular x86 vector ISA.
// Swift has no per-function target attributes, so each ISA's kernels live in their own C file
// compiled for that ISA only (isa_avx2.c, isa_avx512.c) and the baseline code picks one at run
// time (dispatch.c). The scalar versions (reference.c) are the specification and the portable path.
// Block layouts are ggml's (ggml-common.h); the dot products follow ggml-cpu's quants.c.
#ifndef WHITTLE_CKERNELS_H
#define WHITTLE_CKERNELS_H
#include <stdint.h>
#include "ck_pool.h"

/// Kernel ISA levels (the values Swift's KernelISA uses).
enum { CK_ISA_SCALAR = 0, CK_ISA_AVX2 = 1, CK_ISA_AVX512 = 2 };

/// CPU feature bits reported by ck_cpu_features (OS support for the register state included).
enum {
    CK_FEAT_AVX2 = 1 << 0, CK_FEAT_FMA = 1 << 1, CK_FEAT_F16C = 1 << 2,
    CK_FEAT_AVX512F = 1 << 3, CK_FEAT_AVX512BW = 1 << 4, CK_FEAT_AVX512VL = 1 << 5,
    CK_FEAT_AVX512VNNI = 1 << 6, CK_FEAT_AVXVNNI = 1 << 7, CK_FEAT_AVX512DQ = 1 << 8,
};

/// The CPU's features (cpuid + xgetbv); 0 on non-x86 builds.
unsigned ck_cpu_features(void);

/// 1 when this build contains the x86 kernels (0 on arm64 and other targets).
int ck_has_x86_kernels(void);

/// ggml type id of the activation blocks a weight type's dot product takes: 8 (Q8_0), 9 (Q8_1),
/// 15 (Q8_K), 0 (plain f32 for f32/f16/bf16 weights), or -1 when the type has no kernel.
int ck_act_type(int type);

/// Quantizes n floats (a multiple of the block size) to activation blocks: ggml's reference
/// quantize_row_q8_0/q8_1/q8_K rounding. act 0 copies the floats.
void ck_quantize_act(int act, const float *x, void *y, long n);

/// One weight row (n elements in `type`) dotted with one activation row in ck_act_type(type).
float ck_vec_dot(int isa, int type, long n, const void *w, const void *act);

/// y[i*ldy + r] = ck_vec_dot(w row r, act row i) for r in [r0, r1), i in [0, m).
/// Weight rows are rowBytes apart, activation rows actBytes apart.
void ck_block_gemm(int isa, int type, long n, const void *w, long rowBytes, long r0, long r1,
                   const void *act, long actBytes, long m, float *y, long ldy);

/// As ck_block_gemm (same arguments, same results bit for bit), but Q8_0 weights with at least a
/// tile of activation rows take tiles of 2 weight rows x 2-4 activation rows (tiles_*.c).
void ck_block_gemm_batched(int isa, int type, long n, const void *w, long rowBytes, long r0, long r1,
                           const void *act, long actBytes, long m, float *y, long ldy);

/// 1 when ck_offset_gemm handles `type` at `isa` (Q4_0 and Q5_0 at the AVX2 and AVX-512 levels).
int ck_offset_supported(int isa, int type);

/// Bytes per activation row of n elements prepared by ck_offset_prepare (40 per block of 32).
long ck_offset_act_bytes(long n);

/// m rows of Q8_0 activations (actBytes apart) prepared for Q4_0/Q5_0 weights (`type`): each
/// block's f32 scale, -offset * sum of its codes, and the codes; rows ck_offset_act_bytes(n) apart.
void ck_offset_prepare(int type, long n, const void *act, long actBytes, long m, void *prep);

/// Q4_0/Q5_0 weight rows [r0, r1) against m prepared activation rows: y[i*ldy + r], the same bits
/// as ck_block_gemm at that level for any m and any row range (tiles_offset_x86.h). Returns 0, and
/// writes nothing, when !ck_offset_supported(isa, type).
int ck_offset_gemm(int isa, int type, long n, const void *w, long rowBytes, long r0, long r1,
                   const void *prep, long m, float *y, long ldy);

/// Widens n f16 (or bf16 when bf16 != 0) values to f32.
void ck_widen(int isa, int bf16, const uint16_t *src, float *dst, long n);

/// f32 GEMM micro-kernel tile shape for an ISA (rows of packed A, columns of packed B).
int ck_sgemm_mr(int isa);
int ck_sgemm_nr(int isa);

/// tile = sum_p a[p*MR + r] * b[p*NR + c]; C[r][c] = tile + beta*C on the rows x cols corner.
void ck_sgemm_tile(int isa, long kc, const float *a, const float *b, float *c, long ldc,
                   int rows, int cols, float beta);

/// f32 dot product of n elements.
float ck_dot_f32(int isa, long n, const float *a, const float *b);

/// y[j] += sum_{p < rows} x[p] * m[p*ld + j] for j < length.
void ck_axpy_rows(int isa, long rows, long length, const float *m, long ld, const float *x, float *y);

/// Bytes of one packed int8 weight panel row group: 32 output channels x 4 consecutive k.
#define CK_I8_PANEL_COLS 32


/// C[i][j] = sum_p (A[i][p] - 128) * B[p][j] as i32 (exact), for i < m and panel columns in [panel0, panel1).
/// A: m rows of u8 = int8 activation + 128 (lda bytes apart), kq*4 bytes used per row; every level is
/// exact on the whole range. At the AVX2 level a CPU with AVX-VNNI runs the vpdpbusd kernel.
/// Bp: packed weights: panel t holds, for q < kq, 32 channels x 4 bytes (channel-major within the 128).
/// colsum: per-channel sums of the weights, padded with zeros to a multiple of 32 channels.
/// C: i32, ldc elements per row; only columns < n are written.
void ck_i8_gemm(int isa, long m, long n, long kq, const uint8_t *a, long lda, const int8_t *bp,
                const int32_t *colsum, long panel0, long panel1, int32_t *c, long ldc);

/// The 256-bit vpdpbusd variants, for tests: variant 0 is the AVX-VNNI (VEX) code the AVX2 level runs on
/// such CPUs, 1 the same code with the EVEX encoding (AVX-512 VNNI + VL). Returns 0, doing nothing, when
/// the CPU lacks the variant's features. ck_dot_q8_0_vnni256 stores the Q8_0 dot product in *out.
int ck_i8_gemm_vnni256(int variant, long m, long n, long kq, const uint8_t *a, long lda, const int8_t *bp,
                       const int32_t *colsum, long panel0, long panel1, int32_t *c, long ldc);
int ck_dot_q8_0_vnni256(int variant, long n, const void *w, const void *act, float *out);

/// f32 -> Q8_0 / Q4_0 weight blocks (Swift's Quantize rules) for nb blocks of 32; stops at the first
/// block holding a NaN or infinity and returns its index (the caller handles it), else nb.
long ck_quantize_q8_0(int isa, const float *x, uint8_t *out, long nb);
long ck_quantize_q4_0(int isa, const float *x, uint8_t *out, long nb);

/// Unfolds one C x H x W image into the (C*kh*kw) x (oh*ow) column matrix of a convolution:
/// row (c, ky, kx), column (oy, ox) holds img[c][oy*stride + ky - pad][ox*stride + kx - pad], 0 outside.
void ck_im2col(const float *img, long channels, long height, long width, long kh, long kw, long stride, long pad,
               long oh, long ow, float *col);

/// Copies one C x H x W image into a zero-padded C x (H + 2 pad) x (W + 2 pad) one.
void ck_conv_pad(const float *img, long channels, long height, long width, long pad, float *dst);

/// Floats of a convolution's weights packed for ck_conv_gemm (cout rows of patch = C*kh*kw values).
long ck_conv_packed_weights_count(int isa, long cout, long patch);
/// Packs the weights (cout x patch, row-major) into the f32 micro-kernel's A panels, per k block.
void ck_conv_pack_weights(int isa, const float *w, long cout, long patch, float *ap);

/// out[o][j] = sum_p W[o][p] * col[p][j] + beta * out[o][j] for output positions j in [j0, j1), where
/// col is the im2col matrix of the padded image (C x hp x wp), read directly: no column buffer.
/// ap from ck_conv_pack_weights at the same isa. Returns 0 (doing nothing) if scratch memory ran out.
int ck_conv_gemm(int isa, const float *padded, long channels, long hp, long wp, long kh, long kw, long stride,
                 long ow, const float *ap, long cout, long j0, long j1, float *out, long ldc, float beta);

#endif
