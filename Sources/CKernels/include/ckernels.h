// Tiny C layer for the one instruction family Swift cannot reach: AVX-512 VNNI
// (vpdpbusd, u8 x s8 -> i32) and the byte sign trick around it. Everything else
// (packing, quantizing, threading, the f32 kernels) lives in Swift (WhittleKernels).
// Each function has a portable scalar fallback when built without VNNI.
#ifndef WHITTLE_CKERNELS_H
#define WHITTLE_CKERNELS_H
#include <stdint.h>

/// 1 when this build has VNNI code paths (compiled with -march on a VNNI host).
int ck_has_vnni(void);

/// Bytes of one packed int8 weight panel row group: 32 output channels x 4 consecutive k.
#define CK_I8_PANEL_COLS 32

/// C[i][j] = sum_p A[i][p] * B[p][j] as i32, for i < m and panel columns in [panel0, panel1).
/// A: m rows of u8 (lda bytes apart), kq*4 bytes used per row.
/// Bp: packed weights: panel t holds, for q < kq, 32 channels x 4 bytes (channel-major within the 128).
/// C: i32, ldc elements per row; only columns < n are written.
void ck_i8_gemm(long m, long n, long kq, const uint8_t *a, long lda,
                const int8_t *bp, long panel0, long panel1, int32_t *c, long ldc);

/// Q8_0 weights (rows x nb blocks of 34 bytes, ggml layout) times m activation rows quantized to
/// Q8_0 and split into |q| (u8), q (i8) and f32 scales (nb per row): y[i*ldy + r] for r in [r0, r1).
void ck_q8_0_gemm(long r0, long r1, long nb, const uint8_t *w, long m,
                  const uint8_t *xabs, const int8_t *xq, const float *xd, float *y, long ldy);

/// Q4_0 weights (rows x nb blocks of 18 bytes) times m activation rows quantized to Q8_0:
/// xq (i8), xd (f32 scale per block) and xs (f32: 8 * d * sum(q) per block, the code offset's share).
void ck_q4_0_gemm(long r0, long r1, long nb, const uint8_t *w, long m,
                  const int8_t *xq, const float *xd, const float *xs, float *y, long ldy);

#endif
