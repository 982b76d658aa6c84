// Q8_0 activation blocks prepared for Q4_0 / Q5_0 weights (ck_offset_prepare), shared by the
// baseline preparer (tiles_dispatch.c) and the per-ISA kernels (tiles_offset_x86.h).
#ifndef WHITTLE_CK_TILES_OFFSET_H
#define WHITTLE_CK_TILES_OFFSET_H
#include <stdint.h>
#include "blocks.h"

/* One activation block: its scale as f32, fix = -offset * sum(qs) (offset 8 for Q4_0, 16 for
   Q5_0), and the codes. 40 bytes, so every 4-byte group of qs is 4-byte aligned. */
typedef struct { float d; int32_t fix; int8_t qs[QK]; } blk_q8_off;
_Static_assert(sizeof(blk_q8_off) == 40, "q8_off");

int ck_avx2_offset_gemm(int type, long n, const void *w, long rowBytes, long r0, long r1,
                        const void *prep, long m, float *y, long ldy);
int ck_avx512_offset_gemm(int type, long n, const void *w, long rowBytes, long r0, long r1,
                          const void *prep, long m, float *y, long ldy);

#endif
