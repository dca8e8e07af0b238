/* relu: rectified linear unit. */
#include "nn/layers/relu.h"

void relu_forward(float *out, const float *in, size_t n)
{
    #pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++)
        out[i] = in[i] > 0.0f ? in[i] : 0.0f;
}

/* Uses the output, not the input: out > 0 exactly where in > 0. */
void relu_backward(float *din, const float *dout, const float *out, size_t n)
{
    #pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++)
        din[i] = out[i] > 0.0f ? dout[i] : 0.0f;
}
