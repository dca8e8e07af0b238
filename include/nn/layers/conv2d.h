/* conv2d: 3x3 convolution, stride 1, 'same' zero padding, NCHW float32,
 * with the ReLU that follows every convolution of the report's models
 * fused in (the ReLU'd output is the layer's output). Several algorithms
 * compute the same function; conv2d_choose picks one per layer by shape,
 * a fixed rule (measured, README "Speed"), so a model always runs the same
 * kernels on a given machine and results stay bit-identical run to run:
 *   reference  the plain seven-loop definition, the yardstick for tests
 *   direct     the plain loops vectorised over pixels: layers with few input
 *              channels (the first), where im2col + GEMM is memory-bound
 *   im2col     the column matrix and one sgemm for the whole batch
 *   winograd   F(4x4, 3x3) with 36 batched sgemms (winograd.h): 2.25x to 4x
 *              fewer multiplications on layers with enough channels
 * Called by net.c for every conv layer.
 *   in, din:   (B, c_in, H, W)     out, dout: (B, c_out, H, W)
 *   weight:    (c_out, c_in, 3, 3) bias:      (c_out)
 * Backward accumulates into dweight and dbias (+=), overwrites din (may
 * be NULL: the first layer needs no input gradient) and uses dout as
 * scratch (the ReLU's mask is applied to it in place). B may be 0 (a
 * data-parallel rank with no rows in a short last batch): nothing to do. */
#ifndef SWEEP_CONV2D_H
#define SWEEP_CONV2D_H

#include <stddef.h>

typedef enum { CONV_REFERENCE, CONV_DIRECT, CONV_IM2COL, CONV_WINOGRAD, CONV_ALGORITHMS } conv_algorithm;

typedef struct {
    int B, c_in, c_out, H, W;
    int relu;                    /* ReLU fused after the bias */
} conv_shape;

const char *conv2d_algorithm_name(conv_algorithm a);

/* The algorithm for a layer of this shape on this machine. */
conv_algorithm conv2d_choose(int c_in, int c_out, int H, int W);

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

void conv2d_forward(conv_algorithm a, const conv_shape *s, float *out, const float *in,
                    const float *weight, const float *bias, const conv_buffers *buf);

/* out is the forward's output (its ReLU mask); unused when s->relu is 0.
 * Call after a forward with the same weights (it filled the cache). */
void conv2d_backward(conv_algorithm a, const conv_shape *s, float *din, float *dweight,
                     float *dbias, float *dout, const float *out, const float *in,
                     const float *weight, const conv_buffers *buf);

#endif
