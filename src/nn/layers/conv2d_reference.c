/* conv2d_reference: the convolution as its definition, plain loops over
 * every index, one output (or gradient entry) at a time in a fixed order.
 * Slow by design: it is what every fast kernel is tested against, and the
 * one to read to know what they compute. With the input zero outside the
 * image and (sy, sx) the input pixel under tap (ky, kx) of output (y, x),
 *   out[b][co][y][x] = bias[co] + sum over ci, ky, kx of
 *                      w[co][ci][ky][kx] * in[b][ci][sy][sx]
 *   sy = y * sh + ky - pad_top,  sx = x * sw + kx - pad_left
 * and the backward adds each product's two partial derivatives. Any
 * kernel, stride and padding (conv_shape_resolve has placed the image). */
#include "nn/layers/conv2d_kernels.h"

#include <string.h>

int conv2d_reference_supports(const conv_shape *s)
{
    (void)s;
    return 1;
}

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

static size_t input_at(const conv_shape *s, int b, int ci, int sy, int sx)
{
    return (((size_t)b * s->c_in + ci) * s->H + sy) * s->W + sx;
}

static size_t output_at(const conv_shape *s, int b, int co, int y, int x)
{
    return (((size_t)b * s->c_out + co) * s->out_h + y) * s->out_w + x;
}

static size_t weight_at(const conv_shape *s, int co, int ci, int ky, int kx)
{
    return (((size_t)co * s->c_in + ci) * s->kh + ky) * s->kw + kx;
}

/* Whether (sy, sx) is in the image, not in the zero padding around it. */
static int inside(const conv_shape *s, int sy, int sx)
{
    return sy >= 0 && sy < s->H && sx >= 0 && sx < s->W;
}

void conv2d_reference_forward(const conv_shape *s, float *out, const float *in,
                              const float *weight, const float *bias, const conv_buffers *buf)
{
    (void)buf;
    for (int b = 0; b < s->B; b++)
        for (int co = 0; co < s->c_out; co++)
            for (int y = 0; y < s->out_h; y++)
                for (int x = 0; x < s->out_w; x++) {
                    float sum = 0.0f;
                    for (int ci = 0; ci < s->c_in; ci++)
                        for (int ky = 0; ky < s->kh; ky++)
                            for (int kx = 0; kx < s->kw; kx++) {
                                const int sy = y * s->sh + ky - s->pad_top;
                                const int sx = x * s->sw + kx - s->pad_left;
                                if (inside(s, sy, sx))
                                    sum += weight[weight_at(s, co, ci, ky, kx)] *
                                           in[input_at(s, b, ci, sy, sx)];
                            }
                    sum += bias[co];
                    out[output_at(s, b, co, y, x)] = s->relu && sum < 0.0f ? 0.0f : sum;
                }
}

void conv2d_reference_backward(const conv_shape *s, float *din, float *dweight, const float *dpre,
                               const float *in, const float *weight, const conv_buffers *buf)
{
    (void)buf;
    if (din)
        memset(din, 0, sizeof(float) * (size_t)s->B * s->c_in * s->H * s->W);
    for (int b = 0; b < s->B; b++)
        for (int co = 0; co < s->c_out; co++)
            for (int y = 0; y < s->out_h; y++)
                for (int x = 0; x < s->out_w; x++) {
                    const float g = dpre[output_at(s, b, co, y, x)];
                    for (int ci = 0; ci < s->c_in; ci++)
                        for (int ky = 0; ky < s->kh; ky++)
                            for (int kx = 0; kx < s->kw; kx++) {
                                const int sy = y * s->sh + ky - s->pad_top;
                                const int sx = x * s->sw + kx - s->pad_left;
                                if (!inside(s, sy, sx))
                                    continue;
                                const size_t w = weight_at(s, co, ci, ky, kx);
                                const size_t i = input_at(s, b, ci, sy, sx);
                                dweight[w] += g * in[i];
                                if (din)
                                    din[i] += g * weight[w];
                            }
                }
}
