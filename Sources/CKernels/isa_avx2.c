// The AVX2 + FMA + F16C kernels (x86-64-v3). Only this file's functions carry those target features.
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#include "blocks.h"
#include "internal.h"

#pragma clang attribute push(__attribute__((target("avx2,fma,f16c"))), apply_to = function)
#define CK_PREFIX ck_avx2_
#define CK_VNNI 0
#define CK_AVX512 0
#include "kernels_x86.h"
#pragma clang attribute pop
#endif
