/* add: elementwise sum of k tensors. */
#include "nn/layers/add.h"

#include <string.h>

/* Each element is read from every input before out[i] is written, so out
 * may alias an input; the terms are added in input order (float addition
 * does not commute in rounding, and the order is part of the result). */
void add_forward(float *out, const float *const *ins, int k, size_t n)
{
    #pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) {
        float sum = ins[0][i];
        for (int j = 1; j < k; j++)
            sum += ins[j][i];
        out[i] = sum;
    }
}

void add_backward(float *const *dins, const float *dout, int k, size_t n)
{
    for (int j = 0; j < k; j++)
        if (dins[j] && dins[j] != dout)  /* memcpy onto itself is undefined */
            memcpy(dins[j], dout, sizeof(float) * n);
}
