#include "ckernels.h"
#include <immintrin.h>

int ck_has_vnni(void) {
#if defined(__AVX512VNNI__) && defined(__AVX512BW__)
    return 1;
#else
    return 0;
#endif
}
