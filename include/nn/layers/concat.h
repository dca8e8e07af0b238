/* concat: Keras Concatenate along the channel axis (axis=-1 of Keras's NHWC
 * is axis 1 of sweep's NCHW), the join of Inception- and DenseNet-style
 * branches in the graph engine.
 *   ins[i], dins[i]: (B, channels[i], H, W) for i < k
 *   out, dout:       (B, sum of channels, H, W)
 * Each sample of out holds the channel blocks of input 0, 1, ... k-1 in
 * turn. Backward overwrites each non-NULL dins[i] with its block of dout;
 * a NULL dins[i] is an input that needs no gradient. B may be 0. */
#ifndef SWEEP_CONCAT_H
#define SWEEP_CONCAT_H

void concat_forward(float *out, const float *const *ins, const int *channels, int k,
                    int B, int H, int W);
void concat_backward(float *const *dins, const float *dout, const int *channels, int k,
                     int B, int H, int W);

#endif
