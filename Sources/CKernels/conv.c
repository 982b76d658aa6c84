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

/* ---- Convolution as a GEMM whose B panels are packed straight from the image ----
   im2col followed by a GEMM writes the whole column matrix (patch x positions: 7 MB for a 3x3x64
   layer on 56x56) to memory and reads it back to pack it. Here each kc x nc block of that matrix is
   packed directly into the micro-kernel's panel layout (NR columns per k row) from a zero-padded
   copy of the image, so it never leaves L2, and the f32 micro-kernel (ck_sgemm_tile) runs on it as
   GEMM.sgemm would: same kc blocks, same tiles, so the same sums. */
#include <stdlib.h>

#define CONV_KC 256
#define CONV_NC 384

void ck_conv_pad(const float *img, long channels, long height, long width, long pad, float *dst) {
    const long hp = height + 2 * pad, wp = width + 2 * pad;
    for (long c = 0; c < channels; c++) {
        float *plane = dst + c * hp * wp;
        memset(plane, 0, (size_t)(pad * wp) * sizeof(float));
        for (long y = 0; y < height; y++) {
            float *row = plane + (y + pad) * wp;
            memset(row, 0, (size_t)pad * sizeof(float));
            memcpy(row + pad, img + (c * height + y) * width, (size_t)width * sizeof(float));
            memset(row + pad + width, 0, (size_t)pad * sizeof(float));
        }
        memset(plane + (height + pad) * wp, 0, (size_t)(pad * wp) * sizeof(float));
    }
}

long ck_conv_packed_weights_count(int isa, long cout, long patch) {
    const long mr = ck_sgemm_mr(isa);
    return (cout + mr - 1) / mr * mr * patch;
}

void ck_conv_pack_weights(int isa, const float *w, long cout, long patch, float *ap) {
    const long mr = ck_sgemm_mr(isa), panels = (cout + mr - 1) / mr;
    for (long pc = 0; pc < patch; pc += CONV_KC) {
        const long kcb = patch - pc < CONV_KC ? patch - pc : CONV_KC;
        float *block = ap + pc * panels * mr;
        for (long i = 0; i < panels; i++)
            for (long p = 0; p < kcb; p++)
                for (long r = 0; r < mr; r++) {
                    const long o = i * mr + r;
                    block[(i * kcb + p) * mr + r] = o < cout ? w[o * patch + pc + p] : 0;
                }
    }
}

/* Packs rows [pc, pc + kcb) x columns [jc, jc + ncb) of the column matrix into NR-wide panels.
   off[p] is row p's offset in the padded image at output position (0, 0). */
static void conv_pack_b(const float *padded, long wp, long stride, long ow, const long *off, long kcb,
                        long jc, long ncb, long nr, float *bp) {
    for (long jp = 0; jp < ncb; jp += nr) {
        const long cnt = ncb - jp < nr ? ncb - jp : nr;
        float *panel = bp + jp * kcb;
        const long j0 = jc + jp, oy0 = j0 / ow, ox0 = j0 % ow;
        for (long p = 0; p < kcb; p++) {
            float *d = panel + p * nr;
            long filled = 0, oy = oy0, ox = ox0;
            while (filled < cnt) {
                const long len = cnt - filled < ow - ox ? cnt - filled : ow - ox;
                const float *s = padded + off[p] + oy * stride * wp + ox * stride;
                if (stride == 1 && len == 16) {  /* a whole AVX2 panel row from one image row: fixed-size copies */
                    memcpy(d + filled, s, 16 * sizeof(float));
                } else if (stride == 1 && len == 32) {
                    memcpy(d + filled, s, 32 * sizeof(float));
                } else if (stride == 1) {
                    for (long t = 0; t < len; t++) d[filled + t] = s[t];
                } else {
                    for (long t = 0; t < len; t++) d[filled + t] = s[t * stride];
                }
                filled += len; oy++; ox = 0;
            }
            for (long t = cnt; t < nr; t++) d[t] = 0;
        }
    }
}

int ck_conv_gemm(int isa, const float *padded, long channels, long hp, long wp, long kh, long kw, long stride,
                 long ow, const float *ap, long cout, long j0, long j1, float *out, long ldc, float beta) {
    const long mr = ck_sgemm_mr(isa), nr = ck_sgemm_nr(isa), patch = channels * kh * kw;
    const long panels = (cout + mr - 1) / mr;
    const long kcmax = patch < CONV_KC ? patch : CONV_KC;
    float *bp = malloc((size_t)(kcmax * CONV_NC) * sizeof(float));
    long *off = malloc((size_t)(kcmax > 0 ? kcmax : 1) * sizeof(long));
    if (!bp || !off) { free(bp); free(off); return 0; }
    for (long jc = j0; jc < j1; jc += CONV_NC) {
        const long ncb = j1 - jc < CONV_NC ? j1 - jc : CONV_NC;
        for (long pc = 0; pc < patch; pc += CONV_KC) {
            const long kcb = patch - pc < CONV_KC ? patch - pc : CONV_KC;
            for (long p = 0; p < kcb; p++) {
                const long r = pc + p, c = r / (kh * kw), ky = (r / kw) % kh, kx = r % kw;
                off[p] = (c * hp + ky) * wp + kx;
            }
            conv_pack_b(padded, wp, stride, ow, off, kcb, jc, ncb, nr, bp);
            const float blockBeta = pc == 0 ? beta : 1;
            for (long i = 0; i < panels; i++) {
                const float *a = ap + pc * panels * mr + i * mr * kcb;
                const int rows = cout - i * mr < mr ? (int)(cout - i * mr) : (int)mr;
                for (long jr = 0; jr < ncb; jr += nr)
                    ck_sgemm_tile(isa, kcb, a, bp + jr * kcb, out + i * mr * ldc + jc + jr, ldc, rows,
                                  ncb - jr < nr ? (int)(ncb - jr) : (int)nr, blockBeta);
            }
        }
    }
    free(bp); free(off);
    return 1;
}
