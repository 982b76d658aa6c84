// Tiny C layer for the one instruction family Swift cannot reach: AVX-512 VNNI
// (vpdpbusd, u8 x s8 -> i32). Everything else lives in Swift (WhittleKernels).
#ifndef WHITTLE_CKERNELS_H
#define WHITTLE_CKERNELS_H
#include <stdint.h>

/// 1 when this build has VNNI code paths (compiled with -march on a VNNI host).
int ck_has_vnni(void);

#endif
