/* adam: Keras-style Adam over one contiguous parameter buffer. */
#include "optim/adam.h"

#include <math.h>
#include <stdlib.h>

#include "core/util.h"

adam_state *adam_new(size_t count, float learning_rate)
{
    adam_state *a = xcalloc(1, sizeof *a);
    a->count = count;
    a->m = xcalloc(count, sizeof(float));
    a->v = xcalloc(count, sizeof(float));
    a->learning_rate = learning_rate;
    a->beta1 = 0.9f;
    a->beta2 = 0.999f;
    a->epsilon = 1e-7f;
    return a;
}

void adam_free(adam_state *a)
{
    if (!a)
        return;
    free(a->m);
    free(a->v);
    free(a);
}

void adam_update(adam_state *a, float *params, const float *grads)
{
    a->step++;
    /* The bias corrections in double: beta2^t creeps towards 1 slowly and
     * 1 - beta2^t loses digits in float for the first few thousand steps. */
    const double t = (double)a->step;
    const float lr_t = (float)(a->learning_rate * sqrt(1.0 - pow(a->beta2, t)) /
                               (1.0 - pow(a->beta1, t)));
    const float b1 = a->beta1, b2 = a->beta2, eps = a->epsilon;
    float *m = a->m, *v = a->v;
    #pragma omp parallel for schedule(static)
    for (size_t i = 0; i < a->count; i++) {
        const float g = grads[i];
        m[i] = b1 * m[i] + (1.0f - b1) * g;
        v[i] = b2 * v[i] + (1.0f - b2) * g * g;
        params[i] -= lr_t * m[i] / (sqrtf(v[i]) + eps);
    }
}
