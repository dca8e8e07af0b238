/* concat: Keras Concatenate on the channel axis, the inputs' channels in
 * the order given -- Inception's branches joined. */
#include <stdio.h>

#include "nn/layers/concat.h"
#include "nn/net.h"

static int concat_shape(net *n, layer *L, char *err, int err_size)
{
    L->out_c = 0;
    L->out_h = L->in_h;
    L->out_w = L->in_w;
    for (int i = 0; i < L->n_inputs; i++) {
        const layer *from = L->inputs[i] >= 0 ? &n->layers[L->inputs[i]] : NULL;
        int c = from ? from->out_c : n->image_c, h = from ? from->out_h : n->image_h,
            w = from ? from->out_w : n->image_w;
        if (h != L->out_h || w != L->out_w)
            return snprintf(err, (size_t)err_size, "concat: %s is %dx%d, the first input %dx%d; "
                            "concatenated maps have one size", from ? from->name : "the image",
                            h, w, L->out_h, L->out_w), -1;
        L->u.concat.channels[i] = c;
        L->out_c += c;
    }
    return 0;
}

static void concat_forward_fn(net *n, layer *L, const layer_inputs *in, int B, const forward_mode *mode)
{
    (void)n, (void)mode;
    concat_forward(L->out, in->x, L->u.concat.channels, in->n, B, L->out_h, L->out_w);
}

static void concat_backward_fn(net *n, layer *L, const layer_inputs *in, int B, long global_batch)
{
    (void)n, (void)global_batch;
    concat_backward((float *const *)in->dx, L->dout, L->u.concat.channels, in->n, B, L->out_h,
                    L->out_w);
}

const layer_ops concat_ops = {
    .name = "concat", .keys = "", .min_inputs = 2, .max_inputs = LAYER_MAX_INPUTS,
    .shape = concat_shape, .forward = concat_forward_fn, .backward = concat_backward_fn,
};
