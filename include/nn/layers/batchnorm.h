/* batchnorm: batch normalization as Keras's BatchNormalization does it --
 * batch mean and biased variance in training, moving averages (momentum
 * 0.99) at inference, epsilon (Keras's default 1e-3) inside the square root. Keras 2 feeds
 * the moving variance the unbiased batch variance on 4-D input (its fused
 * kernel, after a conv block, even one pooled to 1x1) and the biased one on
 * 2-D input (after a dense layer): the caller says which.
 * Tensors are (B, C, S): S = H*W after a conv block, S = 1 after a dense
 * layer; statistics are per channel over B*S values.
 * A data-parallel group sees one global batch split across ranks: the
 * per-channel sums go through `reduce` (NULL in one process) so every rank
 * normalises with the global batch's statistics, and `global_count` is the
 * global B*S. Backward accumulates dgamma/dbeta (local sums: the gradient
 * allreduce adds the ranks up) and overwrites din. */
#ifndef SWEEP_BATCHNORM_H
#define SWEEP_BATCHNORM_H

typedef struct {
    /* Adds `values` element-wise across the ranks of a group, in place. */
    void (*sum)(double *values, int count, void *ctx);
    void *ctx;
} group_reducer;

#define BATCHNORM_MOMENTUM 0.99f
#define BATCHNORM_EPSILON 1e-3f   /* Keras's default; a layer may set its own (ResNetV2: 1.001e-5) */

/* scratch: 2*C doubles. xhat (B,C,S) and invstd (C) are kept for backward. */
void batchnorm_forward_train(float *out, float *xhat, float *invstd,
                             float *moving_mean, float *moving_var,
                             const float *in, const float *gamma, const float *beta,
                             double *scratch, int B, int C, int S, long global_count,
                             int unbiased_moving_var, float epsilon,
                             const group_reducer *reduce);

void batchnorm_forward_infer(float *out, const float *in, const float *gamma,
                             const float *beta, const float *moving_mean,
                             const float *moving_var, int B, int C, int S, float epsilon);

void batchnorm_backward(float *din, float *dgamma, float *dbeta, const float *dout,
                        const float *xhat, const float *invstd, const float *gamma,
                        double *scratch, int B, int C, int S, long global_count,
                        const group_reducer *reduce);

#endif
