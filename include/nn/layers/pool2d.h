/* pool2d: max and average pooling with any window, any stride and Keras's
 * two paddings, for the graph engine's MaxPooling2D and AveragePooling2D
 * layers (maxpool.h stays the fast 2x2 / stride 2 'valid' case of the
 * sequential models). Pure kernels: the caller owns every buffer.
 *   in, din:   (B, C, H, W)        out, dout: (B, C, out_h, out_w)
 *   argmax:    (B, C, out_h, out_w), the index in `in` (the whole batch) of
 *              each maximum, kept by the max forward for its backward; NULL
 *              in inference.
 * Padding follows TensorFlow (which Keras calls): 'valid' keeps only whole
 * windows, out = floor((H - kh) / sh) + 1; 'same' gives out = ceil(H / sh)
 * and pads max((out - 1) sh + kh - H, 0) in total, the odd cell at the
 * bottom (right). Padded cells never win a max (as -inf) and never count in
 * an average: 'same' average pooling divides by the number of real cells
 * in each window, as TF does (torch's count_include_pad=False).
 * Backward overwrites din. B may be 0. */
#ifndef SWEEP_POOL2D_H
#define SWEEP_POOL2D_H

typedef enum { POOL2D_VALID, POOL2D_SAME } pool2d_padding;

typedef struct {
    int B, C, H, W;
    int kh, kw, sh, sw;          /* window and stride, in cells */
    int pad_top, pad_left;       /* cells of padding before the first row (column) */
    int out_h, out_w;
} pool2d_shape;

/* Fills *s from the input shape, window, stride and padding. Returns 0, or
 * -1 (and *s unspecified) when the output would be empty (a 'valid' window
 * larger than the input), a size is not positive (B may be 0), or the input
 * has more than INT_MAX elements (argmax holds ints). */
int pool2d_shape_init(pool2d_shape *s, int B, int C, int H, int W, int kh, int kw,
                      int sh, int sw, pool2d_padding padding);

void pool2d_max_forward(float *out, int *argmax, const float *in, const pool2d_shape *s);
void pool2d_max_backward(float *din, const float *dout, const int *argmax,
                         const pool2d_shape *s);
void pool2d_avg_forward(float *out, const float *in, const pool2d_shape *s);
void pool2d_avg_backward(float *din, const float *dout, const pool2d_shape *s);

#endif
