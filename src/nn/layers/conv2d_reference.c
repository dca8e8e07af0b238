/* conv2d_reference: the convolution as its definition, seven plain loops,
 * one output (or gradient entry) at a time in a fixed order. Slow by
 * design: it is what every fast kernel is tested against, and the one to
 * read to know what they compute.
 *   out[b][co][y][x] = bias[co] + sum over ci, ky, kx of
 *                      w[co][ci][ky][kx] * in[b][ci][y+ky-1][x+kx-1]
 * with in zero outside the image. */
#include "nn/layers/conv2d_kernels.h"

#include <string.h>

size_t conv2d_reference_kernel_cache(const conv_shape *s)
{
    (void)s;
    return 0;
}

size_t conv2d_reference_workspace(const conv_shape *s)
{
    (void)s;
    return 0;
}

/* in[b][ci][y][x], or 0 outside the image. */
static float pixel(const conv_shape *s, const float *in, int b, int ci, int y, int x)
{
    if (y < 0 || y >= s->H || x < 0 || x >= s->W)
        return 0.0f;
    return in[(((size_t)b * s->c_in + ci) * s->H + y) * s->W + x];
}

void conv2d_reference_forward(const conv_shape *s, float *out, const float *in,
                              const float *weight, const float *bias, const conv_buffers *buf)
{
    (void)buf;
    for (int b = 0; b < s->B; b++)
        for (int co = 0; co < s->c_out; co++)
            for (int y = 0; y < s->H; y++)
                for (int x = 0; x < s->W; x++) {
                    float sum = 0.0f;
                    for (int ci = 0; ci < s->c_in; ci++)
                        for (int k = 0; k < 9; k++)
                            sum += weight[((size_t)co * s->c_in + ci) * 9 + k] *
                                   pixel(s, in, b, ci, y + k / 3 - 1, x + k % 3 - 1);
                    sum += bias[co];
                    out[(((size_t)b * s->c_out + co) * s->H + y) * s->W + x] =
                        s->relu && sum < 0.0f ? 0.0f : sum;
                }
}

void conv2d_reference_backward(const conv_shape *s, float *din, float *dweight, const float *dpre,
                               const float *in, const float *weight, const conv_buffers *buf)
{
    (void)buf;
    const size_t HW = (size_t)s->H * s->W;
    if (din)
        memset(din, 0, sizeof(float) * (size_t)s->B * s->c_in * HW);
    for (int b = 0; b < s->B; b++)
        for (int co = 0; co < s->c_out; co++)
            for (int y = 0; y < s->H; y++)
                for (int x = 0; x < s->W; x++) {
                    const float g = dpre[(((size_t)b * s->c_out + co) * s->H + y) * s->W + x];
                    for (int ci = 0; ci < s->c_in; ci++)
                        for (int k = 0; k < 9; k++) {
                            const int sy = y + k / 3 - 1, sx = x + k % 3 - 1;
                            if (sy < 0 || sy >= s->H || sx < 0 || sx >= s->W)
                                continue;
                            const size_t w = ((size_t)co * s->c_in + ci) * 9 + k;
                            const size_t i = ((size_t)b * s->c_in + ci) * HW + (size_t)sy * s->W + sx;
                            dweight[w] += g * in[i];
                            if (din)
                                din[i] += g * weight[w];
                        }
                }
}
