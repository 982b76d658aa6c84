// CPU feature detection: cpuid for what the processor has, xgetbv for what the OS saves on a
// context switch (ymm, zmm and mask registers); a feature counts only when both agree.
#include "ckernels.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

static unsigned long long xgetbv0(void) {
    unsigned eax, edx;
    __asm__ volatile(".byte 0x0f, 0x01, 0xd0" : "=a"(eax), "=d"(edx) : "c"(0));
    return ((unsigned long long)edx << 32) | eax;
}

unsigned ck_cpu_features(void) {
    unsigned a, b, c, d, f = 0;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    const int osxsave = (c >> 27) & 1, fma = (c >> 12) & 1, f16c = (c >> 29) & 1, avx = (c >> 28) & 1;
    if (!osxsave || !avx) return 0;
    const unsigned long long xcr0 = xgetbv0();
    const int ymm = (xcr0 & 0x6) == 0x6, zmm = (xcr0 & 0xE6) == 0xE6;
    if (!ymm) return 0;
    if (fma) f |= CK_FEAT_FMA;
    if (f16c) f |= CK_FEAT_F16C;
    if (__get_cpuid_max(0, 0) < 7) return f;
    __cpuid_count(7, 0, a, b, c, d);
    if ((b >> 5) & 1) f |= CK_FEAT_AVX2;
    if (zmm) {
        if ((b >> 16) & 1) f |= CK_FEAT_AVX512F;
        if ((b >> 17) & 1) f |= CK_FEAT_AVX512DQ;
        if ((b >> 30) & 1) f |= CK_FEAT_AVX512BW;
        if ((b >> 31) & 1) f |= CK_FEAT_AVX512VL;
        if ((c >> 11) & 1) f |= CK_FEAT_AVX512VNNI;
    }
    __cpuid_count(7, 1, a, b, c, d);
    if ((a >> 4) & 1) f |= CK_FEAT_AVXVNNI;
    return f;
}

int ck_has_x86_kernels(void) { return 1; }
#else
unsigned ck_cpu_features(void) { return 0; }
int ck_has_x86_kernels(void) { return 0; }
#endif
