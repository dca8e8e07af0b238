/* batchnorm: per-channel normalisation over (B, C, S) tensors.
 * Statistics are accumulated in double: a channel after the first conv
 * block of a batch of 32 sums 6,272 values, and float accumulation would
 * make the mean depend on summation order more than on the data. */
#include "nn/layers/batchnorm.h"

#include <math.h>
#include <stddef.h>

static void channel_sums(double *sums, const float *in, const double *center,
                         int squared, int B, int C, int S)
{
    #pragma omp parallel for schedule(static)
    for (int c = 0; c < C; c++) {
        double acc = 0.0;
        const double m = center ? center[c] : 0.0;
        for (int b = 0; b < B; b++) {
            const float *x = in + ((size_t)b * C + c) * S;
            for (int s = 0; s < S; s++) {
                double d = (double)x[s] - m;
                acc += squared ? d * d : d;
            }
        }
        sums[c] = acc;
    }
}

static void group_sum(const group_reducer *reduce, double *values, int count)
{
    if (reduce && reduce->sum)
        reduce->sum(values, count, reduce->ctx);
}

void batchnorm_forward_train(float *out, float *xhat, float *invstd,
                             float *moving_mean, float *moving_var,
                             const float *in, const float *gamma, const float *beta,
                             double *scratch, int B, int C, int S, long global_count,
                             int unbiased_moving_var, float epsilon,
                             const group_reducer *reduce)
{
    double *mean = scratch, *var = scratch + C;
    /* Two passes (mean, then squared deviations) rather than sum and sum
     * of squares, which cancel catastrophically when the mean is large. */
    channel_sums(mean, in, NULL, 0, B, C, S);
    group_sum(reduce, mean, C);
    for (int c = 0; c < C; c++)
        mean[c] /= (double)global_count;
    channel_sums(var, in, mean, 1, B, C, S);
    group_sum(reduce, var, C);
    for (int c = 0; c < C; c++) {
        double biased = var[c] / (double)global_count;
        double for_moving = unbiased_moving_var && global_count > 1
                                ? var[c] / (double)(global_count - 1) : biased;
        invstd[c] = (float)(1.0 / sqrt(biased + (double)epsilon));
        moving_mean[c] = BATCHNORM_MOMENTUM * moving_mean[c] + (1.0f - BATCHNORM_MOMENTUM) * (float)mean[c];
        moving_var[c] = BATCHNORM_MOMENTUM * moving_var[c] + (1.0f - BATCHNORM_MOMENTUM) * (float)for_moving;
    }
    #pragma omp parallel for collapse(2) schedule(static)
    for (int b = 0; b < B; b++) {
        for (int c = 0; c < C; c++) {
            const size_t base = ((size_t)b * C + c) * S;
            const float m = (float)mean[c];
            for (int s = 0; s < S; s++) {
                float h = (in[base + s] - m) * invstd[c];
                xhat[base + s] = h;
                out[base + s] = gamma[c] * h + beta[c];
            }
        }
    }
}

void batchnorm_forward_infer(float *out, const float *in, const float *gamma,
                             const float *beta, const float *moving_mean,
                             const float *moving_var, int B, int C, int S, float epsilon)
{
    #pragma omp parallel for collapse(2) schedule(static)
    for (int b = 0; b < B; b++) {
        for (int c = 0; c < C; c++) {
            const size_t base = ((size_t)b * C + c) * S;
            const float scale = gamma[c] / sqrtf(moving_var[c] + epsilon);
            const float shift = beta[c] - moving_mean[c] * scale;
            for (int s = 0; s < S; s++)
                out[base + s] = in[base + s] * scale + shift;
        }
    }
}

static void backward_sums(double *sum_dout, double *sum_dout_xhat, const float *dout,
                          const float *xhat, int B, int C, int S)
{
    #pragma omp parallel for schedule(static)
    for (int c = 0; c < C; c++) {
        double a = 0.0, g = 0.0;
        for (int b = 0; b < B; b++) {
            const size_t base = ((size_t)b * C + c) * S;
            for (int s = 0; s < S; s++) {
                a += dout[base + s];
                g += (double)dout[base + s] * xhat[base + s];
            }
        }
        sum_dout[c] = a;
        sum_dout_xhat[c] = g;
    }
}

void batchnorm_backward(float *din, float *dgamma, float *dbeta, const float *dout,
                        const float *xhat, const float *invstd, const float *gamma,
                        double *scratch, int B, int C, int S, long global_count,
                        const group_reducer *reduce)
{
    double *sum_dout = scratch, *sum_dout_xhat = scratch + C;
    backward_sums(sum_dout, sum_dout_xhat, dout, xhat, B, C, S);
    for (int c = 0; c < C; c++) {
        dbeta[c] += (float)sum_dout[c];
        dgamma[c] += (float)sum_dout_xhat[c];
    }
    /* din needs the whole batch's sums; the gradients above stay local.
     * Every rank sums, din wanted or not, so the collectives match. */
    group_sum(reduce, scratch, 2 * C);
    if (!din)
        return;
    #pragma omp parallel for collapse(2) schedule(static)
    for (int b = 0; b < B; b++) {
        for (int c = 0; c < C; c++) {
            const size_t base = ((size_t)b * C + c) * S;
            const float mean_dout = (float)(sum_dout[c] / (double)global_count);
            const float mean_dout_xhat = (float)(sum_dout_xhat[c] / (double)global_count);
            const float k = gamma[c] * invstd[c];
            for (int s = 0; s < S; s++)
                din[base + s] = k * (dout[base + s] - mean_dout - xhat[base + s] * mean_dout_xhat);
        }
    }
}
