/* conv2d_direct: the 3x3 stride-1 'same' convolution, and no other, as
 * nine multiply-adds per output pixel from a zero-padded copy of the input
 * planes, for layers with few input channels (the first layer has one).
 * There, im2col + GEMM would write and read a column matrix nine times the
 * input for a product whose inner dimension is only 9 x c_in; these loops
 * read the (H+2) x (W+2) padded planes from cache and write each output
 * once, with no bounds checks.
 * The per-plane loops are compiled for AVX-512, AVX2 and plain x86-64
 * (target_clones) and the CPU picks at load time. */
#include "nn/layers/conv2d_kernels.h"

#include <omp.h>
#include <string.h>

int conv2d_direct_supports(const conv_shape *s) { return conv2d_is_3x3_same(s); }

/* The kernel gradient's sums in double (two floats each), then one
 * padded copy of an image's c_in planes per thread. */
size_t conv2d_direct_kernel_cache(const conv_shape *s)
{
    (void)s;
    return 0;
}

size_t conv2d_direct_workspace(const conv_shape *s)
{
    return 2 * (size_t)s->c_out * s->c_in * 9 +
           (size_t)omp_get_max_threads() * s->c_in * (s->H + 2) * (s->W + 2);
}

/* pad (c_in planes of (H+2) x (W+2)) = image b's planes with a zero border. */
static void pad_image(float *pad, const float *in, const conv_shape *s, int b)
{
    const int PW = s->W + 2, PH = s->H + 2, HW = s->H * s->W;
    memset(pad, 0, sizeof(float) * (size_t)s->c_in * PH * PW);
    for (int ci = 0; ci < s->c_in; ci++)
        for (int y = 0; y < s->H; y++)
            memcpy(pad + ((size_t)ci * PH + y + 1) * PW + 1,
                   in + ((size_t)b * s->c_in + ci) * HW + (size_t)y * s->W, sizeof(float) * s->W);
}

/* o (H x W) = ReLU?(bias + sum over ci of conv(pad[ci], w[ci])). */
VECTOR_CLONES
static void output_plane(float *o, const float *pad, const float *w, float bias, int relu,
                         int c_in, int H, int W)
{
    const int PW = W + 2;
    for (int y = 0; y < H; y++) {
        float *row = o + (size_t)y * W;
        for (int x = 0; x < W; x++)
            row[x] = bias;
        for (int ci = 0; ci < c_in; ci++) {
            const float *p = pad + ((size_t)ci * (H + 2) + y) * PW;
            const float *k = w + ci * 9;
            #pragma omp simd
            for (int x = 0; x < W; x++)
                row[x] += k[0] * p[x] + k[1] * p[x + 1] + k[2] * p[x + 2] +
                          k[3] * p[PW + x] + k[4] * p[PW + x + 1] + k[5] * p[PW + x + 2] +
                          k[6] * p[2 * PW + x] + k[7] * p[2 * PW + x + 1] + k[8] * p[2 * PW + x + 2];
        }
        if (relu)
            for (int x = 0; x < W; x++)
                row[x] = row[x] > 0.0f ? row[x] : 0.0f;
    }
}

/* sums[k] += sum over pixels of g[y][x] pad[y+ky][x+kx], each tap k:
 * one pass over the plane with nine running sums. */
VECTOR_CLONES
static void add_tap_sums(double sums[9], const float *g, const float *pad, int H, int W)
{
    const int PW = W + 2;
    float s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0, s8 = 0;
    for (int y = 0; y < H; y++) {
        const float *gy = g + (size_t)y * W, *p = pad + (size_t)y * PW;
        #pragma omp simd reduction(+ : s0, s1, s2, s3, s4, s5, s6, s7, s8)
        for (int x = 0; x < W; x++) {
            const float v = gy[x];
            s0 += v * p[x];
            s1 += v * p[x + 1];
            s2 += v * p[x + 2];
            s3 += v * p[PW + x];
            s4 += v * p[PW + x + 1];
            s5 += v * p[PW + x + 2];
            s6 += v * p[2 * PW + x];
            s7 += v * p[2 * PW + x + 1];
            s8 += v * p[2 * PW + x + 2];
        }
    }
    const float plane[9] = { s0, s1, s2, s3, s4, s5, s6, s7, s8 };
    for (int k = 0; k < 9; k++)
        sums[k] += plane[k];
}

/* Columns x of a row for which x + dx stays inside [0, W). */
static inline void valid_columns(int W, int dx, int *first, int *last)
{
    *first = dx < 0 ? -dx : 0;
    *last = dx > 0 ? W - dx : W;
}

/* d (H x W) += the transpose of that: d[y+dy][x+dx] += w[k] g[y][x]. */
VECTOR_CLONES
static void add_plane_transposed(float *d, const float *g, const float *w, int H, int W)
{
    for (int y = 0; y < H; y++)
        for (int k = 0; k < 9; k++) {
            const int sy = y + k / 3 - 1, dx = k % 3 - 1;
            if (sy < 0 || sy >= H)
                continue;
            int first, last;
            valid_columns(W, dx, &first, &last);
            const float *gy = g + y * W;
            float *dst = d + sy * W + dx;
            const float wk = w[k];
            #pragma omp simd
            for (int x = first; x < last; x++)
                dst[x] += wk * gy[x];
        }
}

void conv2d_direct_forward(const conv_shape *s, float *out, const float *in,
                           const float *weight, const float *bias, const conv_buffers *buf)
{
    const int HW = s->H * s->W;
    const size_t padded = (size_t)s->c_in * (s->H + 2) * (s->W + 2);
    float *pads = buf->workspace + 2 * (size_t)s->c_out * s->c_in * 9;
    #pragma omp parallel
    {
        float *pad = pads + (size_t)omp_get_thread_num() * padded;
        #pragma omp for schedule(static)
        for (int b = 0; b < s->B; b++) {
            pad_image(pad, in, s, b);
            for (int co = 0; co < s->c_out; co++)
                output_plane(out + ((size_t)b * s->c_out + co) * HW, pad,
                             weight + (size_t)co * s->c_in * 9, bias[co], s->relu, s->c_in,
                             s->H, s->W);
        }
    }
}

void conv2d_direct_backward(const conv_shape *s, float *din, float *dweight, const float *dpre,
                            const float *in, const float *weight, const conv_buffers *buf)
{
    const int HW = s->H * s->W;
    const size_t padded = (size_t)s->c_in * (s->H + 2) * (s->W + 2);
    double *all_sums = (double *)buf->workspace;
    float *pads = buf->workspace + 2 * (size_t)s->c_out * s->c_in * 9;
    /* kernels: each thread owns a range of output channels, so no two
     * threads add into one entry and the summation order is fixed */
    #pragma omp parallel
    {
        const int threads = omp_get_num_threads(), me = omp_get_thread_num();
        const int first = s->c_out * me / threads, last = s->c_out * (me + 1) / threads;
        float *pad = pads + (size_t)me * padded;
        double *sums = all_sums + (size_t)first * s->c_in * 9;
        memset(sums, 0, sizeof(double) * (size_t)(last - first) * s->c_in * 9);
        for (int b = 0; b < s->B; b++) {
            pad_image(pad, in, s, b);
            for (int co = first; co < last; co++)
                for (int ci = 0; ci < s->c_in; ci++)
                    add_tap_sums(sums + ((size_t)(co - first) * s->c_in + ci) * 9,
                                 dpre + ((size_t)b * s->c_out + co) * HW,
                                 pad + (size_t)ci * (s->H + 2) * (s->W + 2), s->H, s->W);
        }
        for (size_t i = 0; i < (size_t)(last - first) * s->c_in * 9; i++)
            dweight[(size_t)first * s->c_in * 9 + i] += (float)sums[i];
    }
    if (!din)
        return;
    #pragma omp parallel for collapse(2) schedule(static)
    for (int b = 0; b < s->B; b++)
        for (int ci = 0; ci < s->c_in; ci++) {
            float *d = din + ((size_t)b * s->c_in + ci) * HW;
            memset(d, 0, sizeof(float) * HW);
            for (int co = 0; co < s->c_out; co++)
                add_plane_transposed(d, dpre + ((size_t)b * s->c_out + co) * HW,
                                     weight + ((size_t)co * s->c_in + ci) * 9, s->H, s->W);
        }
}
