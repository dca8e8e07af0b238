/* input: the image as a pretrained base wants it -- the grey channel
 * replicated to `channels`, resized bilinearly to `size` pixels a side,
 * then scaled as the base was trained (preprocess = caffe | tf).
 * Nothing upstream to train, so no backward. */
#include <stdio.h>

#include "nn/layers/resize.h"
#include "nn/net.h"

static int input_shape(net *n, layer *L, char *err, int err_size)
{
    if (L->inputs[0] != -1)
        return snprintf(err, (size_t)err_size, "input reads the image: it comes first and takes no from"), -1;
    if (L->spec.channels < 1 || L->spec.channels > 4 || L->spec.size < 1 || L->spec.size > 1024)
        return snprintf(err, (size_t)err_size, "input: channels 1 to 4 and size 1 to 1024 pixels"), -1;
    (void)n;
    L->out_c = L->spec.channels;
    L->out_h = L->out_w = L->spec.size;
    return 0;
}

/* keras.applications' preprocess_input on images of [0, 1] (ours) rather
 * than 0-255: caffe mode subtracts the ImageNet mean of each BGR channel
 * from 255 x; a grey image is the same in RGB and BGR, so only the means'
 * order matters. tf mode maps to [-1, 1]. */
static const float caffe_bgr_mean[3] = { 103.939f, 116.779f, 123.68f };

static void preprocess(float *x, int B, int C, size_t plane, int mode)
{
    if (mode == PREPROCESS_NONE)
        return;
    #pragma omp parallel for collapse(2) schedule(static)
    for (int b = 0; b < B; b++)
        for (int c = 0; c < C; c++) {
            float *p = x + ((size_t)b * C + c) * plane;
            const float scale = mode == PREPROCESS_CAFFE ? 255.0f : 2.0f;
            const float shift = mode == PREPROCESS_CAFFE ? -caffe_bgr_mean[c % 3] : -1.0f;
            for (size_t k = 0; k < plane; k++)
                p[k] = p[k] * scale + shift;
        }
}

static void input_forward(net *n, layer *L, const layer_inputs *in, int B, const forward_mode *mode)
{
    (void)mode;
    resize_forward(L->out, in->x[0], B, n->image_h, n->image_w, L->out_c, L->out_h, L->out_w);
    preprocess(L->out, B, L->out_c, (size_t)L->out_h * L->out_w, L->spec.preprocess);
}

static void input_backward(net *n, layer *L, const layer_inputs *in, int B, long global_batch)
{
    (void)n, (void)L, (void)in, (void)B, (void)global_batch;   /* the image is not trained */
}

const layer_ops input_ops = {
    .name = "input", .keys = "channels size preprocess", .min_inputs = 1, .max_inputs = 1,
    .shape = input_shape, .forward = input_forward, .backward = input_backward,
};
