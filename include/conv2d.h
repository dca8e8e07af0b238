/* conv2d: 3x3 convolution, stride 1, 'same' zero padding, NCHW float32.
 * The heavy kernel is im2col over the whole batch followed by one
 * cblas_sgemm, so the GEMM is as large as the batch allows; a faster
 * algorithm (Winograd, direct) can replace these two functions without
 * touching net.c. Called by net.c for every conv layer.
 *   in, din:   (B, c_in, H, W)     out, dout: (B, c_out, H, W)
 *   weight:    (c_out, c_in, 3, 3) bias:      (c_out)
 * Backward accumulates into dweight and dbias (+=) and overwrites din;
 * din may be NULL (the first layer needs no input gradient). B may be 0
 * (a data-parallel rank with no rows in a short last batch): nothing to do. */
#ifndef SWEEP_CONV2D_H
#define SWEEP_CONV2D_H

#include <stddef.h>

/* Floats of scratch memory one forward or backward call needs. */
size_t conv2d_workspace_floats(int B, int c_in, int c_out, int H, int W);

void conv2d_forward(float *out, const float *in, const float *weight,
                    const float *bias, float *workspace,
                    int B, int c_in, int c_out, int H, int W);

void conv2d_backward(float *din, float *dweight, float *dbias,
                     const float *dout, const float *in, const float *weight,
                     float *workspace, int B, int c_in, int c_out, int H, int W);

#endif
