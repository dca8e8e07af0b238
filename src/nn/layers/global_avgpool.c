/* global_avgpool: the mean over each (sample, channel) plane. */
#include "nn/layers/global_avgpool.h"

#include <stddef.h>

/* The sum runs in double: a 75 x 75 plane adds 5625 floats, enough for
 * float rounding to show in the fourth digit of a near-zero mean. */
void global_avgpool_forward(float *out, const float *in, int B, int C, int H, int W)
{
    const int planes = B * C;
    const size_t cells = (size_t)H * W;
    #pragma omp parallel for schedule(static)
    for (int p = 0; p < planes; p++) {
        const float *src = in + (size_t)p * cells;
        double sum = 0.0;
        for (size_t i = 0; i < cells; i++)
            sum += src[i];
        out[p] = (float)(sum / (double)cells);
    }
}

void global_avgpool_backward(float *din, const float *dout, int B, int C, int H, int W)
{
    const int planes = B * C;
    const size_t cells = (size_t)H * W;
    #pragma omp parallel for schedule(static)
    for (int p = 0; p < planes; p++) {
        const float g = dout[p] / (float)cells;
        float *dst = din + (size_t)p * cells;
        for (size_t i = 0; i < cells; i++)
            dst[i] = g;
    }
}
