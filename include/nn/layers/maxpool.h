/* maxpool: 2x2 max pooling, stride 2, 'valid' (Keras MaxPooling2D's
 * default: an odd last row or column is dropped, 7 -> 3).
 *   in, din: (B, C, H, W)   out, dout: (B, C, H/2, W/2)
 *   argmax:  (B, C, H/2, W/2), the index in `in` of each maximum, kept by
 *            the forward for the backward; NULL in inference, which keeps
 *            none (the same maxima, one pass lighter). Backward overwrites din. */
#ifndef SWEEP_MAXPOOL_H
#define SWEEP_MAXPOOL_H

void maxpool_forward(float *out, int *argmax, const float *in, int B, int C, int H, int W);
void maxpool_backward(float *din, const float *dout, const int *argmax,
                      int B, int C, int H, int W);

#endif
