/* conv2d: 2-D convolution of any kernel size kh x kw and stride sh x sw,
 * 'same' or 'valid' zero padding with Keras/TensorFlow's rule, NCHW
 * float32, with the ReLU that follows every convolution of the report's
 * models fused in (the ReLU'd output is the layer's output). Several
 * algorithms compute the same function; conv2d_choose picks one per layer
 * by shape, a fixed rule (measured, README "Speed"), so a model always
 * runs the same kernels on a given machine and results stay bit-identical
 * run to run:
 *   reference  the plain loops of the definition, the yardstick for tests
 *   im2col     the column matrix and one sgemm for the whole batch; any shape
 *   direct     3x3 stride 1 'same' only: the plain loops vectorised over
 *              pixels, for layers with few input channels (the first),
 *              where im2col + GEMM is memory-bound
 *   winograd   3x3 stride 1 'same' only: F(4x4, 3x3) with 36 batched
 *              sgemms (winograd.c), 2.25x to 4x fewer multiplications on
 *              layers with enough channels
 * Called by net.c for every conv layer.
 *   in, din:   (B, c_in, H, W)       out, dout: (B, c_out, out_h, out_w)
 *   weight:    (c_out, c_in, kh, kw) bias:      (c_out)
 * Backward accumulates into dweight and dbias (+=), overwrites din (may
 * be NULL: the first layer needs no input gradient) and uses dout as
 * scratch (the ReLU's mask is applied to it in place). B may be 0 (a
 * data-parallel rank with no rows in a short last batch): nothing to do. */
#ifndef SWEEP_CONV2D_H
#define SWEEP_CONV2D_H

#include <stddef.h>

typedef enum { CONV_REFERENCE, CONV_DIRECT, CONV_IM2COL, CONV_WINOGRAD, CONV_ALGORITHMS } conv_algorithm;

/* Keras's padding= argument. */
typedef enum {
    CONV_SAME,    /* out = ceil(in / stride), zeros added as needed */
    CONV_VALID,   /* no zeros: out = floor((in - k) / stride) + 1 */
} conv_padding;

/* A layer's geometry. The caller sets everything above "derived" and then
 * calls conv_shape_resolve, which fills the rest; every function below
 * takes a resolved shape. */
typedef struct {
    int B, c_in, c_out, H, W;    /* batch, channels, input rows and columns */
    int relu;                    /* ReLU fused after the bias */
    int kh, kw;                  /* kernel rows and columns */
    int sh, sw;                  /* stride, in input pixels per output pixel */
    conv_padding padding;
    /* derived */
    int out_h, out_w;            /* output rows and columns */
    int pad_top, pad_left;       /* zero rows above / columns left of the image;
                                  * any further padding is below / right */
} conv_shape;

/* Fills out_h, out_w, pad_top and pad_left from the rest, as TensorFlow
 * does: 'same' pads a total of max((out - 1) s + k - in, 0) with the
 * floor of half before the image and the rest after it (so an odd total
 * puts the extra row at the bottom, unlike a symmetric pad). Returns 0,
 * or -1 when the output would be empty or a size or stride is not
 * positive (the derived fields are then 0). */
int conv_shape_resolve(conv_shape *s);

const char *conv2d_algorithm_name(conv_algorithm a);

/* Whether algorithm a computes this shape (the 3x3 ones do not compute
 * other kernels, strides or paddings). */
int conv2d_supports(conv_algorithm a, const conv_shape *s);

/* The algorithm for a layer of this shape on this machine (B is not
 * looked at, nor the derived fields). */
conv_algorithm conv2d_choose(const conv_shape *s);

/* The buffers of one call: scratch any layer may overwrite, and the
 * layer's own cache of what the backward needs from the forward in the
 * algorithm's form (Winograd's transformed kernels and input). A forward
 * fills it (the kernels only when the weights changed since); the
 * backward of the same step reads it and may overwrite the rest. */
typedef struct {
    float *workspace;            /* conv2d_workspace_floats */
    float *kernel_cache;         /* conv2d_kernel_cache_floats; the layer's own */
    int cache_is_current;        /* forward: the weights have not changed since it was filled */
} conv_buffers;

size_t conv2d_workspace_floats(conv_algorithm a, const conv_shape *s);
size_t conv2d_kernel_cache_floats(conv_algorithm a, const conv_shape *s);

/* Both stop the program (naming the algorithm and shape) when a does not
 * support s or s was not resolved: a wrong answer would be silent. */
void conv2d_forward(conv_algorithm a, const conv_shape *s, float *out, const float *in,
                    const float *weight, const float *bias, const conv_buffers *buf);

/* out is the forward's output (its ReLU mask); unused when s->relu is 0.
 * Call after a forward with the same weights (it filled the cache). */
void conv2d_backward(conv_algorithm a, const conv_shape *s, float *din, float *dweight,
                     float *dbias, float *dout, const float *out, const float *in,
                     const float *weight, const conv_buffers *buf);

#endif
