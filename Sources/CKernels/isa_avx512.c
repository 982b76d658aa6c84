// The AVX-512 kernels (F/BW/VL/DQ + VNNI): the only object in the package allowed to touch zmm
// registers (Tests/WhittleKernelsTests/ISAObjectTests checks this on the built objects).
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#include "blocks.h"
#include "internal.h"

#pragma clang attribute push(__attribute__((target("avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512dq,avx512vnni"))), apply_to = function)
#define CK_PREFIX ck_avx512_
#define CK_VNNI 1
#define CK_AVX512 1
#include "kernels_x86.h"
/* The AVX-VNNI kernels again, with the EVEX vpdpbusd on ymm: the tests' way to run that code here. */
#define VNNI_PREFIX ck_vnni256e_
#define VNNI_DPBUSD _mm256_dpbusd_epi32
#include "vnni256.h"
#pragma clang attribute pop
#endif
