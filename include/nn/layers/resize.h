/* resize: the input transform of a pretrained base: grey (B, 1, H, W)
 * images resized bilinearly to (out_h, out_w) and the grey channel copied to
 * all C channels the base expects. The graph engine's input layer, so
 * forward only.
 *   in: (B, 1, H, W)   out: (B, C, out_h, out_w)
 * Bilinear as TF2's tf.image.resize(method='bilinear', antialias=False),
 * which Keras's Resizing layer calls: half-pixel centres, the source of
 * output cell d being (d + 0.5) * H / out_h - 0.5, clamped to the edge
 * cells; torch's interpolate(mode='bilinear', align_corners=False) is the
 * same function. No antialiasing: shrinking samples, it does not average.
 * out_h == H and out_w == W is the identity. B may be 0. */
#ifndef SWEEP_RESIZE_H
#define SWEEP_RESIZE_H

void resize_forward(float *out, const float *in, int B, int H, int W, int C,
                    int out_h, int out_w);

#endif
