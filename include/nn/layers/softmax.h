/* softmax: the output layer's softmax with sparse categorical
 * cross-entropy (Keras's SparseCategoricalCrossentropy on softmax outputs).
 *   logits, probs, dlogits: (B, C)   labels: (B)
 * The forward returns the SUM of the B per-sample losses (the caller
 * divides by the global batch size, which a data-parallel rank knows and
 * this layer does not); the backward writes dlogits = (probs - onehot) *
 * scale, with scale = 1 / global batch size for a mean loss. */
#ifndef SWEEP_SOFTMAX_H
#define SWEEP_SOFTMAX_H

#include <stdint.h>

double softmax_xent_forward(float *probs, const float *logits, const uint8_t *labels,
                            int B, int C);
void softmax_xent_backward(float *dlogits, const float *probs, const uint8_t *labels,
                           float scale, int B, int C);

#endif
