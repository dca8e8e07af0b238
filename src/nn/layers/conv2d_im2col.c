/* conv2d_im2col: the convolution as batch im2col + one sgemm, for any
 * kernel, stride and padding. The column matrix has one row per (input
 * channel, kernel tap) and one column per (image, output pixel):
 * col[(ci*kh + ky)*kw + kx][b*OHW + p], the input pixel under that tap, or
 * 0 in the padding. With the weight as a (c_out, c_in*kh*kw) matrix (OIHW
 * is already that), the output for the whole batch is one product
 * weight x col, laid out (c_out, B*OHW), which is then transposed into NCHW. */
#include "nn/layers/conv2d_kernels.h"

#include <cblas.h>
#include <string.h>

int conv2d_im2col_supports(const conv_shape *s)
{
    (void)s;
    return 1;
}

size_t conv2d_im2col_kernel_cache(const conv_shape *s)
{
    (void)s;
    return 0;
}

size_t conv2d_im2col_workspace(const conv_shape *s)
{
    size_t columns = (size_t)s->B * s->out_h * s->out_w;
    return (size_t)s->c_in * s->kh * s->kw * columns + (size_t)s->c_out * columns;
}

/* [*first, *last): the outputs o < count whose input pixel o*stride + offset
 * lies in [0, size), i.e. not in the padding. Computed once per row of
 * outputs so the copies below run without a bounds check per pixel. */
static void inside_range(int size, int offset, int stride, int count, int *first, int *last)
{
    int lo = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
    int hi = size - 1 - offset < 0 ? 0 : (size - 1 - offset) / stride + 1;
    hi = hi < count ? hi : count;
    *first = lo < hi ? lo : hi;
    *last = hi;
}

static void im2col(float *col, const float *in, const conv_shape *s)
{
    const int taps = s->kh * s->kw, OW = s->out_w, OHW = s->out_h * s->out_w;
    const size_t columns = (size_t)s->B * OHW;
    #pragma omp parallel for collapse(2) schedule(static)
    for (int row = 0; row < s->c_in * taps; row++) {
        for (int b = 0; b < s->B; b++) {
            const int ci = row / taps, ky = row % taps / s->kw, kx = row % s->kw;
            const int dy = ky - s->pad_top, dx = kx - s->pad_left;
            const float *src = in + ((size_t)b * s->c_in + ci) * s->H * s->W;
            float *dst = col + (size_t)row * columns + (size_t)b * OHW;
            int y0, y1, x0, x1;
            inside_range(s->H, dy, s->sh, s->out_h, &y0, &y1);
            inside_range(s->W, dx, s->sw, OW, &x0, &x1);
            memset(dst, 0, sizeof(float) * (size_t)y0 * OW);
            for (int y = y0; y < y1; y++) {
                const float *line = src + (size_t)(y * s->sh + dy) * s->W;
                float *o = dst + (size_t)y * OW;
                memset(o, 0, sizeof(float) * x0);
                if (s->sw == 1)
                    memcpy(o + x0, line + x0 + dx, sizeof(float) * (x1 - x0));
                else
                    for (int x = x0; x < x1; x++)
                        o[x] = line[x * s->sw + dx];
                memset(o + x1, 0, sizeof(float) * (OW - x1));
            }
            memset(dst + (size_t)y1 * OW, 0, sizeof(float) * (size_t)(s->out_h - y1) * OW);
        }
    }
}

/* The adjoint of im2col: din = the sum, over the column entries copied
 * from each input pixel, of their values. A thread owns whole input
 * planes and adds the taps in a fixed order, so no two threads write one
 * pixel and results are bit-reproducible on any thread count. */
static void col2im(float *din, const float *col, const conv_shape *s)
{
    const int taps = s->kh * s->kw, OW = s->out_w, OHW = s->out_h * s->out_w;
    const size_t columns = (size_t)s->B * OHW;
    #pragma omp parallel for collapse(2) schedule(static)
    for (int b = 0; b < s->B; b++) {
        for (int ci = 0; ci < s->c_in; ci++) {
            float *dst = din + ((size_t)b * s->c_in + ci) * s->H * s->W;
            memset(dst, 0, sizeof(float) * (size_t)s->H * s->W);
            for (int k = 0; k < taps; k++) {
                const int dy = k / s->kw - s->pad_top, dx = k % s->kw - s->pad_left;
                const float *src = col + (size_t)(ci * taps + k) * columns + (size_t)b * OHW;
                int y0, y1, x0, x1;
                inside_range(s->H, dy, s->sh, s->out_h, &y0, &y1);
                inside_range(s->W, dx, s->sw, OW, &x0, &x1);
                for (int y = y0; y < y1; y++) {
                    float *line = dst + (size_t)(y * s->sh + dy) * s->W;
                    const float *g = src + (size_t)y * OW;
                    if (s->sw == 1)
                        for (int x = x0; x < x1; x++)
                            line[x + dx] += g[x];
                    else
                        for (int x = x0; x < x1; x++)
                            line[x * s->sw + dx] += g[x];
                }
            }
        }
    }
}

void conv2d_im2col_forward(const conv_shape *s, float *out, const float *in,
                          const float *weight, const float *bias, const conv_buffers *buf)
{
    const int B = s->B, c_out = s->c_out, OHW = s->out_h * s->out_w;
    const int K = s->c_in * s->kh * s->kw;
    const size_t columns = (size_t)B * OHW;
    float *col = buf->workspace;
    float *product = buf->workspace + (size_t)K * columns;
    im2col(col, in, s);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, c_out, (int)columns, K,
                1.0f, weight, K, col, (int)columns, 0.0f, product, (int)columns);
    /* (c_out, B*OHW) to NCHW, with the bias and ReLU on the way */
    #pragma omp parallel for collapse(2) schedule(static)
    for (int b = 0; b < B; b++) {
        for (int co = 0; co < c_out; co++) {
            const float *src = product + (size_t)co * columns + (size_t)b * OHW;
            float *dst = out + ((size_t)b * c_out + co) * OHW;
            const float shift = bias[co];
            for (int p = 0; p < OHW; p++) {
                const float v = src[p] + shift;
                dst[p] = s->relu && v < 0.0f ? 0.0f : v;
            }
        }
    }
}

void conv2d_im2col_backward(const conv_shape *s, float *din, float *dweight, const float *dpre,
                            const float *in, const float *weight, const conv_buffers *buf)
{
    const int B = s->B, c_out = s->c_out, OHW = s->out_h * s->out_w;
    const int K = s->c_in * s->kh * s->kw;
    const size_t columns = (size_t)B * OHW;
    float *col = buf->workspace;
    float *dproduct = buf->workspace + (size_t)K * columns;
    #pragma omp parallel for collapse(2) schedule(static)
    for (int co = 0; co < c_out; co++)
        for (int b = 0; b < B; b++)
            memcpy(dproduct + (size_t)co * columns + (size_t)b * OHW,
                   dpre + ((size_t)b * c_out + co) * OHW, sizeof(float) * OHW);
    /* The forward's columns were overwritten by later layers: rebuild them,
     * which costs far less than keeping one copy per layer. */
    im2col(col, in, s);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, c_out, K, (int)columns,
                1.0f, dproduct, (int)columns, col, (int)columns, 1.0f, dweight, K);
    if (!din)
        return;
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, K, (int)columns, c_out,
                1.0f, weight, K, dproduct, (int)columns, 0.0f, col, (int)columns);
    col2im(din, col, s);
}
