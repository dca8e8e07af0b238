/* softmax: softmax + cross-entropy, numerically stable. */
#include "nn/layers/softmax.h"

#include <math.h>
#include <stddef.h>

/* Keras clips probabilities to [1e-7, 1 - 1e-7] before the log; computing
 * the log-softmax directly never takes log(0) and needs no clip, and the
 * two agree wherever the clip is inactive. */
double softmax_xent_forward(float *probs, const float *logits, const uint8_t *labels,
                            int B, int C)
{
    /* Serial on purpose: B x 10 values are cheap, and an OpenMP reduction
     * would add the partial sums in an order that can change run to run. */
    double total = 0.0;
    for (int b = 0; b < B; b++) {
        const float *z = logits + (size_t)b * C;
        float *p = probs + (size_t)b * C;
        float zmax = z[0];
        for (int c = 1; c < C; c++)
            zmax = z[c] > zmax ? z[c] : zmax;
        double sum = 0.0;
        for (int c = 0; c < C; c++)
            sum += exp((double)z[c] - zmax);
        for (int c = 0; c < C; c++)
            p[c] = (float)(exp((double)z[c] - zmax) / sum);
        if (labels)
            total += log(sum) - ((double)z[labels[b]] - zmax);
    }
    return total;
}

void softmax_xent_backward(float *dlogits, const float *probs, const uint8_t *labels,
                           float scale, int B, int C)
{
    #pragma omp parallel for schedule(static)
    for (int b = 0; b < B; b++)
        for (int c = 0; c < C; c++) {
            const size_t i = (size_t)b * C + c;
            dlogits[i] = (probs[i] - (c == labels[b] ? 1.0f : 0.0f)) * scale;
        }
}
