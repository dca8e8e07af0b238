/* maxpool: 2x2 / stride 2 max pooling. */
#include "nn/layers/maxpool.h"

#include <stddef.h>
#include <string.h>

/* The maxima alone, in the same order of comparison as with argmax (the
 * first of equal values wins, a NaN never replaces a value). */
static void max_only(float *out, const float *in, int B, int C, int H, int W)
{
    const int OH = H / 2, OW = W / 2;
    #pragma omp parallel for collapse(2) schedule(static)
    for (int b = 0; b < B; b++)
        for (int c = 0; c < C; c++) {
            const size_t plane = (size_t)b * C + c;
            const float *src = in + plane * H * W;
            float *dst = out + plane * OH * OW;
            for (int oy = 0; oy < OH; oy++) {
                const float *r0 = src + (size_t)(2 * oy) * W, *r1 = r0 + W;
                #pragma omp simd
                for (int ox = 0; ox < OW; ox++) {
                    float m = r0[2 * ox];
                    m = r0[2 * ox + 1] > m ? r0[2 * ox + 1] : m;
                    m = r1[2 * ox] > m ? r1[2 * ox] : m;
                    m = r1[2 * ox + 1] > m ? r1[2 * ox + 1] : m;
                    dst[oy * OW + ox] = m;
                }
            }
        }
}

void maxpool_forward(float *out, int *argmax, const float *in, int B, int C, int H, int W)
{
    if (!argmax) {
        max_only(out, in, B, C, H, W);
        return;
    }
    const int OH = H / 2, OW = W / 2;
    #pragma omp parallel for collapse(2) schedule(static)
    for (int b = 0; b < B; b++) {
        for (int c = 0; c < C; c++) {
            const size_t plane = (size_t)b * C + c;
            const float *src = in + plane * H * W;
            for (int oy = 0; oy < OH; oy++) {
                for (int ox = 0; ox < OW; ox++) {
                    /* Ties go to the first element in row-major order. */
                    int best = (2 * oy) * W + 2 * ox;
                    const int cand[3] = { best + 1, best + W, best + W + 1 };
                    for (int k = 0; k < 3; k++)
                        if (src[cand[k]] > src[best])
                            best = cand[k];
                    const size_t o = plane * OH * OW + (size_t)oy * OW + ox;
                    out[o] = src[best];
                    argmax[o] = (int)(plane * H * W) + best;
                }
            }
        }
    }
}

void maxpool_backward(float *din, const float *dout, const int *argmax,
                      int B, int C, int H, int W)
{
    const size_t n_out = (size_t)B * C * (H / 2) * (W / 2);
    memset(din, 0, sizeof(float) * (size_t)B * C * H * W);
    /* Windows do not overlap, so each din element has at most one writer. */
    #pragma omp parallel for schedule(static)
    for (size_t o = 0; o < n_out; o++)
        din[argmax[o]] = dout[o];
}
