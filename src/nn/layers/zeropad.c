/* zeropad: each input row copied into the middle of a zeroed output plane. */
#include "nn/layers/zeropad.h"

#include <stddef.h>
#include <string.h>

void zeropad_forward(float *out, const float *in, int B, int C, int H, int W,
                     zeropad_sides pad)
{
    const int planes = B * C, OH = H + pad.top + pad.bottom, OW = W + pad.left + pad.right;
    #pragma omp parallel for schedule(static)
    for (int p = 0; p < planes; p++) {
        float *dst = out + (size_t)p * OH * OW;
        const float *src = in + (size_t)p * H * W;
        memset(dst, 0, sizeof(float) * (size_t)OH * OW);
        for (int y = 0; y < H; y++)
            memcpy(dst + (size_t)(y + pad.top) * OW + pad.left, src + (size_t)y * W,
                   sizeof(float) * (size_t)W);
    }
}

void zeropad_backward(float *din, const float *dout, int B, int C, int H, int W,
                      zeropad_sides pad)
{
    const int planes = B * C, OH = H + pad.top + pad.bottom, OW = W + pad.left + pad.right;
    #pragma omp parallel for schedule(static)
    for (int p = 0; p < planes; p++) {
        const float *src = dout + (size_t)p * OH * OW;
        float *dst = din + (size_t)p * H * W;
        for (int y = 0; y < H; y++)
            memcpy(dst + (size_t)y * W, src + (size_t)(y + pad.top) * OW + pad.left,
                   sizeof(float) * (size_t)W);
    }
}
