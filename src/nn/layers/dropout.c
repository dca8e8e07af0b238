/* dropout: inverted dropout with counter-based masks. */
#include "nn/layers/dropout.h"

#include <stddef.h>

#include "core/rng.h"

void dropout_forward_train(float *out, float *mask, const float *in, float rate,
                           uint64_t key, const int *sample_ids, int B, int features)
{
    const float scale = 1.0f / (1.0f - rate);
    #pragma omp parallel for schedule(static)
    for (int b = 0; b < B; b++) {
        const uint64_t first = (uint64_t)sample_ids[b] * (uint64_t)features;
        for (int j = 0; j < features; j++) {
            const size_t i = (size_t)b * features + j;
            mask[i] = rng_uniform_at(key, first + j) < rate ? 0.0f : scale;
            out[i] = in[i] * mask[i];
        }
    }
}

void dropout_backward(float *din, const float *dout, const float *mask, int B, int features)
{
    const size_t n = (size_t)B * features;
    #pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++)
        din[i] = dout[i] * mask[i];
}
