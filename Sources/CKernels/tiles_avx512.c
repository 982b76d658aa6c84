// The batched Q8_0 tiles (tiles_x86.h) and the Q4_0/Q5_0 products (tiles_offset_x86.h) for the
// AVX-512 level: VNNI on ymm registers (Zen 4 splits zmm work in two anyway). Q8_0 takes 2 weight
// rows x 4 activation rows, two accumulator sets in 16 of the 32 vector registers.
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#include "blocks.h"
#include "internal.h"
#pragma clang attribute push(__attribute__((target("avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni"))), apply_to = function)
#define TILE_PREFIX ck_avx512_
#define TILE_VNNI 1
#define TR 2
#define TC 4
#define TILE_SINGLE ck_avx512_dot_fn
#include "tiles_x86.h"
#include "tiles_offset_x86.h"
#pragma clang attribute pop
#endif
