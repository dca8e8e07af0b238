/* conv2d_direct: the convolution as shifted multiply-adds over whole rows
 * of pixels, for layers with few input channels (the first layer has
 * one). There, im2col + GEMM would write and read a column matrix nine
 * times the input for a product whose inner dimension is only 9 x c_in;
 * these loops read the input once per kernel tap from cache and write
 * each output once. The per-plane loops are compiled for AVX-512, AVX2
 * and plain x86-64 (target_clones) and the CPU picks at load time. */
#include "conv2d_kernels.h"

#include <string.h>

#define VECTOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))

size_t conv2d_direct_workspace(const conv_shape *s)
{
    (void)s;
    return 0;
}

/* Columns x of a row for which x + dx stays inside [0, W). */
static inline void valid_columns(int W, int dx, int *first, int *last)
{
    *first = dx < 0 ? -dx : 0;
    *last = dx > 0 ? W - dx : W;
}

/* o (H x W) += conv(plane, w): one input channel's share of one output plane. */
VECTOR_CLONES
static void add_plane(float *o, const float *plane, const float *w, int H, int W)
{
    for (int y = 0; y < H; y++)
        for (int k = 0; k < 9; k++) {
            const int sy = y + k / 3 - 1, dx = k % 3 - 1;
            if (sy < 0 || sy >= H)
                continue;
            int first, last;
            valid_columns(W, dx, &first, &last);
            const float *src = plane + sy * W + dx;
            float *dst = o + y * W;
            const float wk = w[k];
            #pragma omp simd
            for (int x = first; x < last; x++)
                dst[x] += wk * src[x];
        }
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

/* sums[k] += sum over pixels of g[y][x] plane[y+dy][x+dx], each tap k. */
VECTOR_CLONES
static void add_tap_sums(double sums[9], const float *g, const float *plane, int H, int W)
{
    for (int k = 0; k < 9; k++) {
        const int dy = k / 3 - 1, dx = k % 3 - 1;
        int first, last;
        valid_columns(W, dx, &first, &last);
        for (int y = 0; y < H; y++) {
            if (y + dy < 0 || y + dy >= H)
                continue;
            const float *src = plane + (y + dy) * W + dx, *gy = g + y * W;
            float row = 0.0f;
            #pragma omp simd reduction(+ : row)
            for (int x = first; x < last; x++)
                row += gy[x] * src[x];
            sums[k] += row;
        }
    }
}

void conv2d_direct_forward(const conv_shape *s, float *out, const float *in,
                           const float *weight, const float *bias, float *workspace)
{
    (void)workspace;
    const int HW = s->H * s->W;
    #pragma omp parallel for collapse(2) schedule(static)
    for (int b = 0; b < s->B; b++)
        for (int co = 0; co < s->c_out; co++) {
            float *o = out + ((size_t)b * s->c_out + co) * HW;
            for (int p = 0; p < HW; p++)
                o[p] = bias[co];
            for (int ci = 0; ci < s->c_in; ci++)
                add_plane(o, in + ((size_t)b * s->c_in + ci) * HW,
                          weight + ((size_t)co * s->c_in + ci) * 9, s->H, s->W);
            if (s->relu)
                for (int p = 0; p < HW; p++)
                    o[p] = o[p] > 0.0f ? o[p] : 0.0f;
        }
}

void conv2d_direct_backward(const conv_shape *s, float *din, float *dweight, const float *dpre,
                            const float *in, const float *weight, float *workspace)
{
    (void)workspace;
    const int HW = s->H * s->W;
    /* kernels: each thread owns whole output channels, so no two threads
     * add into one entry and the summation order is fixed */
    #pragma omp parallel for schedule(static)
    for (int co = 0; co < s->c_out; co++)
        for (int ci = 0; ci < s->c_in; ci++) {
            double sums[9] = { 0 };
            for (int b = 0; b < s->B; b++)
                add_tap_sums(sums, dpre + ((size_t)b * s->c_out + co) * HW,
                             in + ((size_t)b * s->c_in + ci) * HW, s->H, s->W);
            for (int k = 0; k < 9; k++)
                dweight[((size_t)co * s->c_in + ci) * 9 + k] += (float)sums[k];
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
