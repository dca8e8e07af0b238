/* dense: fully connected layer on cblas_sgemm. */
#include "nn/layers/dense.h"

#include <cblas.h>
#include <stddef.h>

void dense_forward(float *out, const float *in, const float *weight, const float *bias,
                   int B, int n_in, int n_out)
{
    if (B == 0) /* a data-parallel rank with no rows this step */
        return;
    #pragma omp parallel for schedule(static)
    for (int b = 0; b < B; b++)
        for (int o = 0; o < n_out; o++)
            out[(size_t)b * n_out + o] = bias[o];
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, n_out, n_in,
                1.0f, in, n_in, weight, n_in, 1.0f, out, n_out);
}

void dense_backward(float *din, float *dweight, float *dbias, const float *dout,
                    const float *in, const float *weight, int B, int n_in, int n_out)
{
    if (B == 0)
        return;
    #pragma omp parallel for schedule(static)
    for (int o = 0; o < n_out; o++) {
        double sum = 0.0;
        for (int b = 0; b < B; b++)
            sum += dout[(size_t)b * n_out + o];
        dbias[o] += (float)sum;
    }
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, n_out, n_in, B,
                1.0f, dout, n_out, in, n_in, 1.0f, dweight, n_in);
    if (din)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, n_in, n_out,
                    1.0f, dout, n_out, weight, n_in, 0.0f, din, n_in);
}
