/* flatten: Keras Flatten. A sample's values are already contiguous in
 * NCHW, so this is a copy that relabels the shape as a vector (dense
 * flattens by itself; this is for graphs that say so). */
#include <string.h>

#include "nn/net.h"

static int flatten_shape(net *n, layer *L, char *err, int err_size)
{
    (void)n, (void)err, (void)err_size;
    L->out_c = L->in_c * L->in_h * L->in_w;
    L->out_h = L->out_w = 1;
    L->flat = 1;
    return 0;
}

static void flatten_forward(net *n, layer *L, const layer_inputs *in, int B, const forward_mode *mode)
{
    (void)n, (void)mode;
    memcpy(L->out, in->x[0], sizeof(float) * (size_t)B * layer_out_size(L));
}

static void flatten_backward(net *n, layer *L, const layer_inputs *in, int B, long global_batch)
{
    (void)n, (void)global_batch;
    if (in->dx[0])
        memcpy(in->dx[0], L->dout, sizeof(float) * (size_t)B * layer_out_size(L));
}

const layer_ops flatten_ops = {
    .name = "flatten", .keys = "", .min_inputs = 1, .max_inputs = 1,
    .shape = flatten_shape, .forward = flatten_forward, .backward = flatten_backward,
};
