/* global_avgpool: Keras GlobalAveragePooling2D, the mean of each channel
 * over its H * W cells, which the graph engine puts between a pretrained
 * convolutional base and its dense head.
 *   in, din: (B, C, H, W)   out, dout: (B, C)
 * Backward overwrites din with dout / (H * W) in every cell. B may be 0. */
#ifndef SWEEP_GLOBAL_AVGPOOL_H
#define SWEEP_GLOBAL_AVGPOOL_H

void global_avgpool_forward(float *out, const float *in, int B, int C, int H, int W);
void global_avgpool_backward(float *din, const float *dout, int B, int C, int H, int W);

#endif
