/* conv2d: the algorithm table, the choice per layer, and the work every
 * algorithm shares: the ReLU mask and bias gradient of the backward. */
#include "nn/layers/conv2d.h"

#include "core/util.h"
#include "nn/layers/conv2d_kernels.h"

typedef struct {
    const char *name;
    int (*supports)(const conv_shape *s);
    size_t (*workspace)(const conv_shape *s);
    size_t (*kernel_cache)(const conv_shape *s);
    void (*forward)(const conv_shape *s, float *out, const float *in, const float *weight,
                    const float *bias, const conv_buffers *buf);
    void (*backward)(const conv_shape *s, float *din, float *dweight, const float *dpre,
                     const float *in, const float *weight, const conv_buffers *buf);
} conv_kernel;

#define KERNEL(NAME) { #NAME, conv2d_##NAME##_supports, conv2d_##NAME##_workspace, \
                       conv2d_##NAME##_kernel_cache, conv2d_##NAME##_forward, \
                       conv2d_##NAME##_backward }
static const conv_kernel kernels[CONV_ALGORITHMS] = {
    [CONV_REFERENCE] = KERNEL(reference),
    [CONV_DIRECT] = KERNEL(direct),
    [CONV_IM2COL] = KERNEL(im2col),
    [CONV_WINOGRAD] = KERNEL(winograd),
};
#undef KERNEL

const char *conv2d_algorithm_name(conv_algorithm a) { return kernels[a].name; }

int conv2d_is_3x3_same(const conv_shape *s)
{
    return s->kh == 3 && s->kw == 3 && s->sh == 1 && s->sw == 1 && s->padding == CONV_SAME;
}

int conv2d_supports(conv_algorithm a, const conv_shape *s)
{
    return kernels[a].supports(s);
}

/* Measured with `make bench` (README "Speed") on 3x3 'same' layers: with
 * one or two input channels the GEMM's inner dimension is 9 or 18 and the
 * layer is a pass over memory, which the direct loops make once; Winograd
 * needs enough channels on both sides for its 36 products to be real
 * matrix products; im2col is left for the narrow layers in between, and
 * is the one fast kernel for every other kernel size, stride and padding. */
conv_algorithm conv2d_choose(const conv_shape *s)
{
    if (!conv2d_is_3x3_same(s))
        return CONV_IM2COL;
    if (s->c_in <= 4)
        return CONV_DIRECT;
    if (s->c_in >= 16 && s->c_out >= 16)
        return CONV_WINOGRAD;
    return CONV_IM2COL;
}

/* A kernel handed a shape it was not written for would index outside its
 * buffers or compute another convolution without a word: stop instead. */
static void check_shape(conv_algorithm a, const conv_shape *s)
{
    conv_shape resolved = *s;
    CHECK(conv_shape_resolve(&resolved) == 0 && resolved.out_h == s->out_h &&
              resolved.out_w == s->out_w && resolved.pad_top == s->pad_top &&
              resolved.pad_left == s->pad_left,
          "conv2d: shape %dx%d kernel %dx%d stride %dx%d is not resolved (conv_shape_resolve) "
          "or has an empty output", s->H, s->W, s->kh, s->kw, s->sh, s->sw);
    CHECK(kernels[a].supports(s), "conv2d: %s does not compute %dx%d kernels at stride %dx%d "
          "with '%s' padding", kernels[a].name, s->kh, s->kw, s->sh, s->sw,
          s->padding == CONV_SAME ? "same" : "valid");
}

size_t conv2d_workspace_floats(conv_algorithm a, const conv_shape *s)
{
    return kernels[a].workspace(s);
}

size_t conv2d_kernel_cache_floats(conv_algorithm a, const conv_shape *s)
{
    return kernels[a].kernel_cache(s);
}

void conv2d_forward(conv_algorithm a, const conv_shape *s, float *out, const float *in,
                    const float *weight, const float *bias, const conv_buffers *buf)
{
    check_shape(a, s);
    if (s->B == 0) /* a data-parallel rank with no rows this step */
        return;
    kernels[a].forward(s, out, in, weight, bias, buf);
}

void conv2d_bias_relu(const conv_shape *s, float *out, const float *bias)
{
    const int HW = s->out_h * s->out_w;
    #pragma omp parallel for collapse(2) schedule(static)
    for (int b = 0; b < s->B; b++)
        for (int co = 0; co < s->c_out; co++) {
            float *o = out + ((size_t)b * s->c_out + co) * HW;
            const float shift = bias[co];
            if (s->relu)
                for (int p = 0; p < HW; p++)
                    o[p] = o[p] + shift > 0.0f ? o[p] + shift : 0.0f;
            else
                for (int p = 0; p < HW; p++)
                    o[p] += shift;
        }
}

/* dout *= (out > 0) in place, and dbias += its sum per channel (in
 * double, in a fixed order: the same sum on any thread count). */
static void relu_mask_and_bias_gradient(const conv_shape *s, float *dbias, float *dout,
                                        const float *out)
{
    const int HW = s->out_h * s->out_w;
    #pragma omp parallel for schedule(static)
    for (int co = 0; co < s->c_out; co++) {
        double sum = 0.0;
        for (int b = 0; b < s->B; b++) {
            float *d = dout + ((size_t)b * s->c_out + co) * HW;
            const float *o = out + ((size_t)b * s->c_out + co) * HW;
            if (s->relu)
                for (int p = 0; p < HW; p++)
                    d[p] = o[p] > 0.0f ? d[p] : 0.0f;
            float partial = 0.0f;
            #pragma omp simd reduction(+ : partial)
            for (int p = 0; p < HW; p++)
                partial += d[p];
            sum += partial;
        }
        dbias[co] += (float)sum;
    }
}

void conv2d_backward(conv_algorithm a, const conv_shape *s, float *din, float *dweight,
                     float *dbias, float *dout, const float *out, const float *in,
                     const float *weight, const conv_buffers *buf)
{
    check_shape(a, s);
    if (s->B == 0) /* nothing to add: no rows, no gradient */
        return;
    relu_mask_and_bias_gradient(s, dbias, dout, out);
    kernels[a].backward(s, din, dweight, dout, in, weight, buf);
}
