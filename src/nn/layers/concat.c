/* concat: channel-block copies, one sample at a time. */
#include "nn/layers/concat.h"

#include <stddef.h>
#include <string.h>

static int channels_total(const int *channels, int k)
{
    int total = 0;
    for (int i = 0; i < k; i++)
        total += channels[i];
    return total;
}

void concat_forward(float *out, const float *const *ins, const int *channels, int k,
                    int B, int H, int W)
{
    const size_t plane = (size_t)H * W, sample = (size_t)channels_total(channels, k) * plane;
    #pragma omp parallel for schedule(static)
    for (int b = 0; b < B; b++) {
        float *dst = out + (size_t)b * sample;
        for (int i = 0; i < k; i++) {
            const size_t block = (size_t)channels[i] * plane;
            memcpy(dst, ins[i] + (size_t)b * block, sizeof(float) * block);
            dst += block;
        }
    }
}

void concat_backward(float *const *dins, const float *dout, const int *channels, int k,
                     int B, int H, int W)
{
    const size_t plane = (size_t)H * W, sample = (size_t)channels_total(channels, k) * plane;
    #pragma omp parallel for schedule(static)
    for (int b = 0; b < B; b++) {
        const float *src = dout + (size_t)b * sample;
        for (int i = 0; i < k; i++) {
            const size_t block = (size_t)channels[i] * plane;
            if (dins[i])
                memcpy(dins[i] + (size_t)b * block, src, sizeof(float) * block);
            src += block;
        }
    }
}
