/* add: Keras Add, the elementwise sum of k >= 2 tensors of one shape, the
 * join of a residual connection in the graph engine.
 *   ins[0..k-1], out: n floats each; out may be one of the inputs.
 * Backward overwrites every non-NULL dins[i] with dout (the sum passes its
 * gradient unchanged to each term); a NULL dins[i] is an input that needs
 * no gradient and is skipped. */
#ifndef SWEEP_ADD_H
#define SWEEP_ADD_H

#include <stddef.h>

void add_forward(float *out, const float *const *ins, int k, size_t n);
void add_backward(float *const *dins, const float *dout, int k, size_t n);

#endif
