/* input: the image as a pretrained base wants it -- the grey channel
 * replicated to `channels`, resized bilinearly to `size` pixels a side.
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

static void input_forward(net *n, layer *L, const layer_inputs *in, int B, const forward_mode *mode)
{
    (void)mode;
    resize_forward(L->out, in->x[0], B, n->image_h, n->image_w, L->out_c, L->out_h, L->out_w);
}

static void input_backward(net *n, layer *L, const layer_inputs *in, int B, long global_batch)
{
    (void)n, (void)L, (void)in, (void)B, (void)global_batch;   /* the image is not trained */
}

const layer_ops input_ops = {
    .name = "input", .keys = "channels size", .min_inputs = 1, .max_inputs = 1,
    .shape = input_shape, .forward = input_forward, .backward = input_backward,
};
