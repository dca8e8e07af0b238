/* add: Keras Add, the element-wise sum of inputs of one shape -- the
 * residual connection. */
#include <stdio.h>

#include "nn/layers/add.h"
#include "nn/net.h"

static int add_shape(net *n, layer *L, char *err, int err_size)
{
    layer_keep_shape(L);
    for (int i = 0; i < L->n_inputs; i++) {
        const layer *from = L->inputs[i] >= 0 ? &n->layers[L->inputs[i]] : NULL;
        int c = from ? from->out_c : n->image_c, h = from ? from->out_h : n->image_h,
            w = from ? from->out_w : n->image_w;
        if (c != L->out_c || h != L->out_h || w != L->out_w)
            return snprintf(err, (size_t)err_size, "add: %s is %dx%dx%d, %s is %dx%dx%d; the "
                            "inputs of an add have one shape", from ? from->name : "the image",
                            c, h, w, L->inputs[0] >= 0 ? n->layers[L->inputs[0]].name : "the image",
                            L->out_c, L->out_h, L->out_w), -1;
        L->flat |= from && from->flat;
    }
    return 0;
}

static void add_forward_fn(net *n, layer *L, const layer_inputs *in, int B, const forward_mode *mode)
{
    (void)n, (void)mode;
    add_forward(L->out, in->x, in->n, (size_t)B * layer_out_size(L));
}

static void add_backward_fn(net *n, layer *L, const layer_inputs *in, int B, long global_batch)
{
    (void)n, (void)global_batch;
    add_backward((float *const *)in->dx, L->dout, in->n, (size_t)B * layer_out_size(L));
}

const layer_ops add_ops = {
    .name = "add", .keys = "", .min_inputs = 2, .max_inputs = LAYER_MAX_INPUTS,
    .shape = add_shape, .forward = add_forward_fn, .backward = add_backward_fn,
};
