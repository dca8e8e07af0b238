/* conv2d_shape: a convolution's output size and padding from its input,
 * kernel and stride, by the rule Keras's Conv2D follows (TensorFlow's
 * padding='same' / 'valid'), so a model built from the report's settings
 * has the sizes the report's Keras models had. */
#include "nn/layers/conv2d.h"

/* One axis: out and the zeros before the image, or -1 if nothing fits. */
static int resolve_axis(int in, int k, int stride, conv_padding padding, int *out, int *before)
{
    if (in <= 0 || k <= 0 || stride <= 0)
        return -1;
    if (padding == CONV_VALID) {
        if (in < k)
            return -1;
        *out = (in - k) / stride + 1;
        *before = 0;
        return 0;
    }
    *out = (in + stride - 1) / stride;
    /* TensorFlow's total is never negative: a stride larger than the
     * kernel skips pixels rather than padding fewer than none. */
    int total = (*out - 1) * stride + k - in;
    total = total > 0 ? total : 0;
    *before = total / 2;   /* the odd one goes after the image */
    return 0;
}

int conv_shape_resolve(conv_shape *s)
{
    s->out_h = s->out_w = s->pad_top = s->pad_left = 0;
    if (s->padding != CONV_SAME && s->padding != CONV_VALID)
        return -1;
    int out_h, out_w, top, left;
    if (resolve_axis(s->H, s->kh, s->sh, s->padding, &out_h, &top) != 0 ||
        resolve_axis(s->W, s->kw, s->sw, s->padding, &out_w, &left) != 0)
        return -1;
    s->out_h = out_h;
    s->out_w = out_w;
    s->pad_top = top;
    s->pad_left = left;
    return 0;
}
