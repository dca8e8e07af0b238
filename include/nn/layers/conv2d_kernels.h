/* conv2d_kernels: the convolution algorithms behind conv2d.h, each with
 * the same five functions so conv2d.c keeps them in one table and tests
 * run every one against the reference. Shapes (resolved) and layouts are
 * conv2d.h's; conv2d.c calls a kernel only on shapes it supports.
 *   supports   whether it computes this shape (kernel, stride, padding)
 *   workspace  floats of scratch the other two need
 *   kernel_cache  floats of the layer's kernel cache (0: none)
 *   forward    out = conv(in, weight) + bias, ReLU'd when s->relu
 *   backward   dweight += the kernel gradient; din = the input gradient
 *              (skipped when din is NULL); dpre is the gradient at the
 *              convolution's output, before bias and ReLU (conv2d.c has
 *              applied the ReLU mask and summed the bias gradient) */
#ifndef SWEEP_CONV2D_KERNELS_H
#define SWEEP_CONV2D_KERNELS_H

#include <stddef.h>

#include "nn/layers/conv2d.h"

#define CONV2D_KERNEL(NAME) \
    int conv2d_##NAME##_supports(const conv_shape *s); \
    size_t conv2d_##NAME##_workspace(const conv_shape *s); \
    size_t conv2d_##NAME##_kernel_cache(const conv_shape *s); \
    void conv2d_##NAME##_forward(const conv_shape *s, float *out, const float *in, \
                                 const float *weight, const float *bias, \
                                 const conv_buffers *buf); \
    void conv2d_##NAME##_backward(const conv_shape *s, float *din, float *dweight, \
                                  const float *dpre, const float *in, const float *weight, \
                                  const conv_buffers *buf);

CONV2D_KERNEL(reference)   /* conv2d_reference.c */
CONV2D_KERNEL(direct)      /* conv2d_direct.c */
CONV2D_KERNEL(im2col)      /* conv2d_im2col.c */
CONV2D_KERNEL(winograd)    /* winograd.c */

#undef CONV2D_KERNEL

/* The kernels' inner loops are compiled three times, for AVX-512, AVX2
 * and baseline x86-64, and the running CPU picks one at load time
 * (target_clones). A build with SWEEP_ONE_ISA compiles them once for the
 * flags given: the tests build the kernels that way with -mavx2 and with
 * baseline flags, so every clone's code is tested on a machine that would
 * run only one of them. */
#ifdef SWEEP_ONE_ISA
#define VECTOR_CLONES
#else
#define VECTOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#endif

/* The one shape the direct and Winograd kernels are written for: 3x3,
 * stride 1, 'same' (one zero row and column on every side). */
int conv2d_is_3x3_same(const conv_shape *s);

/* The bias and ReLU of a forward, applied to out in place (the kernels
 * that cannot fuse them call this). */
void conv2d_bias_relu(const conv_shape *s, float *out, const float *bias);

#endif
