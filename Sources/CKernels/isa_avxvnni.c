// The AVX-VNNI kernels (VEX-encoded vpdpbusd on AVX2-class CPUs). The dispatcher takes them at the
// AVX2 level when the CPU has AVX-VNNI; only this file's functions carry that target feature.
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

#pragma clang attribute push(__attribute__((target("avx2,fma,f16c,avxvnni"))), apply_to = function)
#define VNNI_PREFIX ck_avxvnni_
#define VNNI_DPBUSD _mm256_dpbusd_avx_epi32
#include "vnni256.h"
#pragma clang attribute pop
#endif
