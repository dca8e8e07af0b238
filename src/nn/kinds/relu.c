/* relu: max(0, x), a layer of its own where it is not fused into a conv. */
#include "nn/layers/relu.h"
#include "nn/net.h"

static int relu_shape(net *n, layer *L, char *err, int err_size)
{
    (void)err, (void)err_size;
    layer_keep_shape(L);
    L->flat = L->inputs[0] >= 0 && n->layers[L->inputs[0]].flat;
    return 0;
}

static void relu_forward_fn(net *n, layer *L, const layer_inputs *in, int B, const forward_mode *mode)
{
    (void)n, (void)mode;
    relu_forward(L->out, in->x[0], (size_t)B * layer_out_size(L));
}

static void relu_backward_fn(net *n, layer *L, const layer_inputs *in, int B, long global_batch)
{
    (void)n, (void)global_batch;
    if (in->dx[0])
        relu_backward(in->dx[0], L->dout, L->out, (size_t)B * layer_out_size(L));
}

const layer_ops relu_ops = {
    .name = "relu", .keys = "", .min_inputs = 1, .max_inputs = 1,
    .shape = relu_shape, .forward = relu_forward_fn, .backward = relu_backward_fn,
};
