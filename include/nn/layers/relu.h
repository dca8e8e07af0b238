/* relu: max(0, x) after every conv and hidden dense layer. Elementwise over
 * n floats; backward overwrites din = dout where the output was positive. */
#ifndef SWEEP_RELU_H
#define SWEEP_RELU_H

#include <stddef.h>

void relu_forward(float *out, const float *in, size_t n);
void relu_backward(float *din, const float *dout, const float *out, size_t n);

#endif
