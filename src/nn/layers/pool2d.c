/* pool2d: max and average pooling, any window, stride and Keras padding.
 * The plain definition, one output cell at a time; parallel over the
 * B * C planes, which are independent in both directions. */
#include "nn/layers/pool2d.h"

#include <limits.h>
#include <stddef.h>
#include <string.h>

/* One axis: the output length and the padding before the first cell,
 * TensorFlow's rule (the odd padded cell goes after, not before). */
static int axis_out(long long in, long long k, long long stride, pool2d_padding padding,
                    int *pad_before)
{
    *pad_before = 0;
    if (padding == POOL2D_VALID)
        return in >= k ? (int)((in - k) / stride + 1) : 0;
    const long long out = (in + stride - 1) / stride;
    const long long total = (out - 1) * stride + k - in;
    *pad_before = total > 0 ? (int)(total / 2) : 0;
    return (int)out;
}

int pool2d_shape_init(pool2d_shape *s, int B, int C, int H, int W, int kh, int kw,
                      int sh, int sw, pool2d_padding padding)
{
    if (B < 0 || C < 1 || H < 1 || W < 1 || kh < 1 || kw < 1 || sh < 1 || sw < 1)
        return -1;
    if (padding != POOL2D_VALID && padding != POOL2D_SAME)
        return -1;
    if ((long long)B * C * H * W > INT_MAX)
        return -1;
    *s = (pool2d_shape){ .B = B, .C = C, .H = H, .W = W, .kh = kh, .kw = kw, .sh = sh, .sw = sw };
    s->out_h = axis_out(H, kh, sh, padding, &s->pad_top);
    s->out_w = axis_out(W, kw, sw, padding, &s->pad_left);
    return s->out_h > 0 && s->out_w > 0 ? 0 : -1;
}

/* The real (unpadded) cells of one window: rows [y0, y1), columns [x0, x1).
 * Never empty: 'same' pads less than a window on either side. */
typedef struct { int y0, y1, x0, x1; } window;

static window window_at(const pool2d_shape *s, int oy, int ox)
{
    const int top = oy * s->sh - s->pad_top, left = ox * s->sw - s->pad_left;
    window w = { top, top + s->kh, left, left + s->kw };
    if (w.y0 < 0) w.y0 = 0;
    if (w.x0 < 0) w.x0 = 0;
    if (w.y1 > s->H) w.y1 = s->H;
    if (w.x1 > s->W) w.x1 = s->W;
    return w;
}

/* Index in the plane of the window's maximum. Skipping the padding is
 * treating it as -inf; the first of equal values wins (row-major order) and
 * a NaN never replaces a value, as in maxpool.c. */
static int window_argmax(const float *plane, const pool2d_shape *s, window w)
{
    int best = w.y0 * s->W + w.x0;
    for (int y = w.y0; y < w.y1; y++)
        for (int x = w.x0; x < w.x1; x++)
            if (plane[y * s->W + x] > plane[best])
                best = y * s->W + x;
    return best;
}

void pool2d_max_forward(float *out, int *argmax, const float *in, const pool2d_shape *s)
{
    const int planes = s->B * s->C, in_plane = s->H * s->W, out_plane = s->out_h * s->out_w;
    #pragma omp parallel for schedule(static)
    for (int p = 0; p < planes; p++) {
        const float *src = in + (size_t)p * in_plane;
        for (int oy = 0; oy < s->out_h; oy++)
            for (int ox = 0; ox < s->out_w; ox++) {
                const int best = window_argmax(src, s, window_at(s, oy, ox));
                const size_t o = (size_t)p * out_plane + (size_t)oy * s->out_w + ox;
                out[o] = src[best];
                if (argmax)
                    argmax[o] = p * in_plane + best;
            }
    }
}

/* Windows overlap when the stride is smaller than the window, so a cell can
 * be the maximum of several: zero, then add. A plane's maxima lie in that
 * plane, so threads that own different planes never write the same cell. */
void pool2d_max_backward(float *din, const float *dout, const int *argmax,
                         const pool2d_shape *s)
{
    const int planes = s->B * s->C, in_plane = s->H * s->W, out_plane = s->out_h * s->out_w;
    #pragma omp parallel for schedule(static)
    for (int p = 0; p < planes; p++) {
        memset(din + (size_t)p * in_plane, 0, sizeof(float) * (size_t)in_plane);
        for (size_t o = (size_t)p * out_plane; o < (size_t)(p + 1) * out_plane; o++)
            din[argmax[o]] += dout[o];
    }
}

static int window_cells(window w)
{
    return (w.y1 - w.y0) * (w.x1 - w.x0);
}

void pool2d_avg_forward(float *out, const float *in, const pool2d_shape *s)
{
    const int planes = s->B * s->C, in_plane = s->H * s->W, out_plane = s->out_h * s->out_w;
    #pragma omp parallel for schedule(static)
    for (int p = 0; p < planes; p++) {
        const float *src = in + (size_t)p * in_plane;
        for (int oy = 0; oy < s->out_h; oy++)
            for (int ox = 0; ox < s->out_w; ox++) {
                const window w = window_at(s, oy, ox);
                double sum = 0.0;
                for (int y = w.y0; y < w.y1; y++)
                    for (int x = w.x0; x < w.x1; x++)
                        sum += src[y * s->W + x];
                out[(size_t)p * out_plane + (size_t)oy * s->out_w + ox] =
                    (float)(sum / window_cells(w));
            }
    }
}

/* Each real cell of a window took 1/count of its output, count being the
 * window's real cells (the same count the forward divided by). */
void pool2d_avg_backward(float *din, const float *dout, const pool2d_shape *s)
{
    const int planes = s->B * s->C, in_plane = s->H * s->W, out_plane = s->out_h * s->out_w;
    #pragma omp parallel for schedule(static)
    for (int p = 0; p < planes; p++) {
        float *dst = din + (size_t)p * in_plane;
        memset(dst, 0, sizeof(float) * (size_t)in_plane);
        for (int oy = 0; oy < s->out_h; oy++)
            for (int ox = 0; ox < s->out_w; ox++) {
                const window w = window_at(s, oy, ox);
                const float g = dout[(size_t)p * out_plane + (size_t)oy * s->out_w + ox]
                                / (float)window_cells(w);
                for (int y = w.y0; y < w.y1; y++)
                    for (int x = w.x0; x < w.x1; x++)
                        dst[y * s->W + x] += g;
            }
    }
}
