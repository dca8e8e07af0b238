/* zeropad: Keras ZeroPadding2D with ((top, bottom), (left, right)), rows and
 * columns of zeros around each plane, which the graph engine uses before
 * the strided convolutions of pretrained bases (ResNet's stem pads 3).
 *   in, din:   (B, C, H, W)
 *   out, dout: (B, C, H + top + bottom, W + left + right)
 * Every side is >= 0. Backward crops: din is the part of dout the input
 * went to (overwritten); the zeros carry no gradient. B may be 0. */
#ifndef SWEEP_ZEROPAD_H
#define SWEEP_ZEROPAD_H

typedef struct {
    int top, bottom, left, right;    /* rows / columns of zeros on each side */
} zeropad_sides;

void zeropad_forward(float *out, const float *in, int B, int C, int H, int W,
                     zeropad_sides pad);
void zeropad_backward(float *din, const float *dout, int B, int C, int H, int W,
                      zeropad_sides pad);

#endif
