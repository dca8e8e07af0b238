/* resize: bilinear resize with half-pixel centres, grey to C channels. */
#include "nn/layers/resize.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

/* The two source cells output cell d lies between, and the weight of the
 * upper one, as TF's compute_interpolation_weights: a source left of cell 0
 * or right of the last cell takes that edge cell whole. The coordinate is
 * computed in double (TF uses float: up to ~1e-6 of a cell apart). */
typedef struct { int lo, hi; float frac; } lerp_index;

static lerp_index source_of(int d, int in_size, int out_size)
{
    const double src = ((double)d + 0.5) * in_size / out_size - 0.5;
    const double below = floor(src);
    lerp_index l = { (int)below, (int)ceil(src), (float)(src - below) };
    if (l.lo < 0) l.lo = 0;
    if (l.hi < 0) l.hi = 0;
    if (l.lo > in_size - 1) l.lo = in_size - 1;
    if (l.hi > in_size - 1) l.hi = in_size - 1;
    return l;
}

/* One output row of channel 0, in TF's order of operations: across the top
 * and bottom rows first, then between them. */
static void resize_row(float *dst, const float *src, int W, int out_w, lerp_index y)
{
    const float *top = src + (size_t)y.lo * W, *bottom = src + (size_t)y.hi * W;
    for (int ox = 0; ox < out_w; ox++) {
        const lerp_index x = source_of(ox, W, out_w);
        const float t = top[x.lo] + (top[x.hi] - top[x.lo]) * x.frac;
        const float b = bottom[x.lo] + (bottom[x.hi] - bottom[x.lo]) * x.frac;
        dst[ox] = t + (b - t) * y.frac;
    }
}

void resize_forward(float *out, const float *in, int B, int H, int W, int C,
                    int out_h, int out_w)
{
    const size_t plane = (size_t)out_h * out_w;
    #pragma omp parallel for schedule(static)
    for (int b = 0; b < B; b++) {
        float *first = out + (size_t)b * C * plane;
        for (int oy = 0; oy < out_h; oy++)
            resize_row(first + (size_t)oy * out_w, in + (size_t)b * H * W, W, out_w,
                       source_of(oy, H, out_h));
        /* A grey image seen as RGB: the same plane in every channel. */
        for (int c = 1; c < C; c++)
            memcpy(first + (size_t)c * plane, first, sizeof(float) * plane);
    }
}
