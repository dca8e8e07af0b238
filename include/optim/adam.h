/* adam: the Adam optimiser with Keras's defaults (learning rate 0.001,
 * beta1 0.9, beta2 0.999, epsilon 1e-7) and Keras's update rule, in which
 * epsilon is added to sqrt(v) after the bias correction has been folded
 * into the step size:
 *   lr_t = lr * sqrt(1 - beta2^t) / (1 - beta1^t)
 *   w   -= lr_t * m / (sqrt(v) + epsilon)
 * One update walks the net's whole parameter buffer. The moments and step
 * count are part of a trial's checkpoint. */
#ifndef SWEEP_ADAM_H
#define SWEEP_ADAM_H

#include <stddef.h>

typedef struct {
    size_t count;
    float *m, *v;           /* first and second moments, one per parameter */
    long step;              /* updates done so far (Keras's iterations) */
    float learning_rate, beta1, beta2, epsilon;
} adam_state;

adam_state *adam_new(size_t count, float learning_rate);
void adam_free(adam_state *a);
void adam_update(adam_state *a, float *params, const float *grads);

#endif
