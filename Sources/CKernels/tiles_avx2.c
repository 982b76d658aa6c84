// The batched Q8_0 tiles (tiles_x86.h) and the Q4_0/Q5_0 products (tiles_offset_x86.h) for the
// AVX2 level. Q8_0 takes 2 x 2 tiles, so that the 8 accumulators and the operands fit in 16
// vector registers.
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#include "blocks.h"
#include "internal.h"
#pragma clang attribute push(__attribute__((target("avx2,fma,f16c"))), apply_to = function)
#define TILE_PREFIX ck_avx2_
#define TILE_VNNI 0
#define TR 2
#define TC 2
#define TILE_SINGLE ck_avx2_dot_fn
#include "tiles_x86.h"
#include "tiles_offset_x86.h"
#pragma clang attribute pop
#endif
