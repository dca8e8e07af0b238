/* conv2d_im2col: 3x3 'same' convolution as batch im2col + one sgemm.
 * The column matrix has one row per (input channel, kernel tap) and one
 * column per (image, pixel): col[(ci*9 + k)][b*HW + p]. With the weight as
 * a (c_out, c_in*9) matrix, the output for the whole batch is one product
 * weight x col, laid out (c_out, B*HW), which is then transposed into NCHW. */
#include "nn/layers/conv2d_kernels.h"

#include <cblas.h>
#include <string.h>

size_t conv2d_im2col_kernel_cache(const conv_shape *s)
{
    (void)s;
    return 0;
}

size_t conv2d_im2col_workspace(const conv_shape *s)
{
    size_t columns = (size_t)s->B * s->H * s->W;
    return (size_t)s->c_in * 9 * columns + (size_t)s->c_out * columns;
}

static void im2col(float *col, const float *in, int B, int c_in, int H, int W)
{
    const int HW = H * W;
    const size_t columns = (size_t)B * HW;
    #pragma omp parallel for collapse(2) schedule(static)
    for (int row = 0; row < c_in * 9; row++) {
        for (int b = 0; b < B; b++) {
            const int ci = row / 9, dy = (row % 9) / 3 - 1, dx = row % 3 - 1;
            const float *src = in + ((size_t)b * c_in + ci) * HW;
            float *dst = col + (size_t)row * columns + (size_t)b * HW;
            for (int y = 0; y < H; y++) {
                const int sy = y + dy;
                for (int x = 0; x < W; x++) {
                    const int sx = x + dx;
                    int inside = sy >= 0 && sy < H && sx >= 0 && sx < W;
                    dst[y * W + x] = inside ? src[sy * W + sx] : 0.0f;
                }
            }
        }
    }
}

/* The adjoint of im2col: every input pixel gathers the column entries that
 * were copied from it. Gathering (not scattering) keeps threads apart and
 * the summation order fixed, so results are bit-reproducible. */
static void col2im(float *din, const float *col, int B, int c_in, int H, int W)
{
    const int HW = H * W;
    const size_t columns = (size_t)B * HW;
    #pragma omp parallel for collapse(2) schedule(static)
    for (int b = 0; b < B; b++) {
        for (int ci = 0; ci < c_in; ci++) {
            float *dst = din + ((size_t)b * c_in + ci) * HW;
            for (int y = 0; y < H; y++) {
                for (int x = 0; x < W; x++) {
                    float sum = 0.0f;
                    for (int k = 0; k < 9; k++) {
                        const int oy = y - (k / 3 - 1), ox = x - (k % 3 - 1);
                        if (oy < 0 || oy >= H || ox < 0 || ox >= W)
                            continue;
                        sum += col[(size_t)(ci * 9 + k) * columns + (size_t)b * HW + oy * W + ox];
                    }
                    dst[y * W + x] = sum;
                }
            }
        }
    }
}

void conv2d_im2col_forward(const conv_shape *s, float *out, const float *in,
                          const float *weight, const float *bias, const conv_buffers *buf)
{
    const int B = s->B, c_in = s->c_in, c_out = s->c_out, H = s->H, W = s->W;
    const int HW = H * W, K = c_in * 9;
    const size_t columns = (size_t)B * HW;
    float *col = buf->workspace;
    float *product = buf->workspace + (size_t)K * columns;
    im2col(col, in, B, c_in, H, W);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, c_out, (int)columns, K,
                1.0f, weight, K, col, (int)columns, 0.0f, product, (int)columns);
    /* (c_out, B*HW) to NCHW, with the bias and ReLU on the way */
    #pragma omp parallel for collapse(2) schedule(static)
    for (int b = 0; b < B; b++) {
        for (int co = 0; co < c_out; co++) {
            const float *src = product + (size_t)co * columns + (size_t)b * HW;
            float *dst = out + ((size_t)b * c_out + co) * HW;
            const float shift = bias[co];
            for (int p = 0; p < HW; p++) {
                const float v = src[p] + shift;
                dst[p] = s->relu && v < 0.0f ? 0.0f : v;
            }
        }
    }
}

void conv2d_im2col_backward(const conv_shape *s, float *din, float *dweight, const float *dpre,
                            const float *in, const float *weight, const conv_buffers *buf)
{
    const int B = s->B, c_in = s->c_in, c_out = s->c_out, H = s->H, W = s->W;
    const int HW = H * W, K = c_in * 9;
    const size_t columns = (size_t)B * HW;
    float *col = buf->workspace;
    float *dproduct = buf->workspace + (size_t)K * columns;
    #pragma omp parallel for collapse(2) schedule(static)
    for (int co = 0; co < c_out; co++)
        for (int b = 0; b < B; b++)
            memcpy(dproduct + (size_t)co * columns + (size_t)b * HW,
                   dpre + ((size_t)b * c_out + co) * HW, sizeof(float) * HW);
    /* The forward's columns were overwritten by later layers: rebuild them,
     * which costs far less than keeping one copy per layer. */
    im2col(col, in, B, c_in, H, W);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, c_out, K, (int)columns,
                1.0f, dproduct, (int)columns, col, (int)columns, 1.0f, dweight, K);
    if (!din)
        return;
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, K, (int)columns, c_out,
                1.0f, weight, K, dproduct, (int)columns, 0.0f, col, (int)columns);
    col2im(din, col, B, c_in, H, W);
}
