/* dropout: inverted dropout (Keras's Dropout): in training each value is
 * kept with probability 1 - rate and scaled by 1 / (1 - rate); at inference
 * it is the identity. The mask of value j of a sample is drawn from the
 * stream `key` (seed, layer, epoch) at counter sample_id * features + j, so
 * it depends on which sample it is, not on its place in the batch, the
 * rank that holds it, or the thread that draws it.
 *   in, out, mask: (B, features); sample_ids: (B) dataset indices. */
#ifndef SWEEP_DROPOUT_H
#define SWEEP_DROPOUT_H

#include <stdint.h>

void dropout_forward_train(float *out, float *mask, const float *in, float rate,
                           uint64_t key, const int *sample_ids, int B, int features);
void dropout_backward(float *din, const float *dout, const float *mask, int B, int features);

#endif
