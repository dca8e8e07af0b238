/* dense: Keras Dense on the flattened input (a sample's C, H, W values
 * are contiguous in NCHW, so flattening is free), with an L2 penalty on
 * its kernel (net_l2_penalty). */
#include <math.h>
#include <stdio.h>

#include "nn/layers/dense.h"
#include "nn/net.h"

static int dense_shape(net *n, layer *L, char *err, int err_size)
{
    const layer_spec *s = &L->spec;
    if (s->units < 1 || s->units > 65536)
        return snprintf(err, (size_t)err_size, "dense: units must be 1 to 65536"), -1;
    if (!(s->l2 >= 0) || isinf(s->l2))
        return snprintf(err, (size_t)err_size, "dense: l2 must be a number >= 0"), -1;
    int features = L->in_c * L->in_h * L->in_w;
    L->out_c = s->units;
    L->out_h = L->out_w = 1;
    L->flat = 1;
    int wdims[2] = { s->units, features }, bdims[1] = { s->units };
    L->weight = net_declare_tensor(n, L, "weight", TENSOR_PARAM, 2, wdims, INIT_GLOROT, features,
                                   s->units);
    L->bias = net_declare_tensor(n, L, "bias", TENSOR_PARAM, 1, bdims, INIT_ZERO, 0, 0);
    return 0;
}

static void dense_forward_fn(net *n, layer *L, const layer_inputs *in, int B, const forward_mode *mode)
{
    (void)mode;
    dense_forward(L->out, in->x[0], n->params + L->weight, n->params + L->bias, B,
                  L->in_c * L->in_h * L->in_w, L->out_c);
}

static void dense_backward_fn(net *n, layer *L, const layer_inputs *in, int B, long global_batch)
{
    (void)global_batch;
    dense_backward(in->dx[0], n->grads + L->weight, n->grads + L->bias, L->dout, in->x[0],
                   n->params + L->weight, B, L->in_c * L->in_h * L->in_w, L->out_c);
}

const layer_ops dense_ops = {
    .name = "dense", .keys = "units l2 trainable", .min_inputs = 1, .max_inputs = 1,
    .shape = dense_shape, .forward = dense_forward_fn, .backward = dense_backward_fn,
};
