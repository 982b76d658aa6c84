// im2col for the convolution-as-GEMM path. Plain C for the baseline target: with stride 1 each
// (row of the column matrix, output row) is one contiguous run of the image row plus zero edges,
// so it becomes a memcpy and two short memsets instead of a bounds test per element.
#include <string.h>
#include "ckernels.h"

void ck_im2col(const float *img, long channels, long height, long width, long kh, long kw, long stride, long pad,
               long oh, long ow, float *col) {
    for (long c = 0; c < channels; c++) {
        for (long ky = 0; ky < kh; ky++) {
            for (long kx = 0; kx < kw; kx++) {
                float *row = col + ((c * kh + ky) * kw + kx) * oh * ow;
                /* output columns ox in [lo, hi) read inside the image: 0 <= ox*stride + kx - pad < width */
                long lo = 0, hi = ow;
                while (lo < ow && lo * stride + kx - pad < 0) lo++;
                while (hi > lo && (hi - 1) * stride + kx - pad >= width) hi--;
                for (long oy = 0; oy < oh; oy++) {
                    float *dst = row + oy * ow;
                    const long iy = oy * stride + ky - pad;
                    if (iy < 0 || iy >= height || lo >= hi) { memset(dst, 0, (size_t)ow * sizeof(float)); continue; }
                    const float *src = img + (c * height + iy) * width;
                    if (lo > 0) memset(dst, 0, (size_t)lo * sizeof(float));
                    if (stride == 1) {
                        memcpy(dst + lo, src + lo + kx - pad, (size_t)(hi - lo) * sizeof(float));
                    } else {
                        for (long ox = lo; ox < hi; ox++) dst[ox] = src[ox * stride + kx - pad];
                    }
                    if (hi < ow) memset(dst + hi, 0, (size_t)(ow - hi) * sizeof(float));
                }
            }
        }
    }
}
