/* conv: Keras Conv2D -- any kernel, stride and 'same'/'valid' padding,
 * groups 1, a bias unless bias = no, and optionally its ReLU fused
 * (activation = relu).
 * The kernels are nn/layers/conv2d.h's; this file fits them to the graph. */
#include <stdio.h>

#include "nn/net.h"

static int conv_shape_fn(net *n, layer *L, char *err, int err_size)
{
    const layer_spec *s = &L->spec;
    if (s->filters < 1 || s->filters > 65536)
        return snprintf(err, (size_t)err_size, "conv: filters must be 1 to 65536"), -1;
    conv_shape *c = &L->u.conv.shape;
    *c = (conv_shape){ .B = 0, .c_in = L->in_c, .c_out = s->filters, .H = L->in_h, .W = L->in_w,
                       .relu = s->relu, .kh = s->kh, .kw = s->kw, .sh = s->sh, .sw = s->sw,
                       .padding = s->valid ? CONV_VALID : CONV_SAME };
    if (conv_shape_resolve(c) != 0)
        return snprintf(err, (size_t)err_size, "conv: a %dx%d kernel at stride %dx%d leaves nothing "
                        "of a %dx%d input", s->kh, s->kw, s->sh, s->sw, L->in_h, L->in_w), -1;
    L->out_c = s->filters;
    L->out_h = c->out_h;
    L->out_w = c->out_w;
    L->u.conv.algorithm = conv2d_choose(c);
    int taps = s->kh * s->kw;
    int wdims[4] = { s->filters, L->in_c, s->kh, s->kw }, bdims[1] = { s->filters };
    L->weight = net_declare_tensor(n, L, "weight", TENSOR_PARAM, 4, wdims, INIT_GLOROT,
                                   L->in_c * taps, s->filters * taps);
    L->bias = s->bias ? net_declare_tensor(n, L, "bias", TENSOR_PARAM, 1, bdims, INIT_ZERO, 0, 0)
                      : NO_TENSOR;
    return 0;
}

/* bias = no: a zero bias, its gradient thrown away, so every algorithm
 * keeps one signature. */
static const float *bias_of(const net *n, const layer *L)
{
    return L->bias == NO_TENSOR ? n->zeros : n->params + L->bias;
}

static float *bias_gradient_of(net *n, const layer *L)
{
    return L->bias == NO_TENSOR ? n->discard : n->grads + L->bias;
}

static conv_shape shape_for(const layer *L, int B)
{
    conv_shape s = L->u.conv.shape;
    s.B = B;
    return s;
}

/* The kernel cache: the layer's own (the transformed kernel, reused
 * while the weights do not change). */
static size_t conv_buffer_floats(const layer *L, int max_batch)
{
    conv_shape s = shape_for(L, max_batch);
    return conv2d_kernel_cache_floats(L->u.conv.algorithm, &s) + 1;
}

static size_t conv_workspace_floats(const layer *L, int max_batch)
{
    conv_shape s = shape_for(L, max_batch);
    return conv2d_workspace_floats(L->u.conv.algorithm, &s);
}

static void conv_forward(net *n, layer *L, const layer_inputs *in, int B, const forward_mode *mode)
{
    conv_shape s = shape_for(L, B);
    conv_buffers buf = { n->workspace, L->buffer, mode->weights_unchanged };
    conv2d_forward(L->u.conv.algorithm, &s, L->out, in->x[0], n->params + L->weight,
                   bias_of(n, L), &buf);
}

static void conv_backward(net *n, layer *L, const layer_inputs *in, int B, long global_batch)
{
    (void)global_batch;
    conv_shape s = shape_for(L, B);
    conv_buffers buf = { n->workspace, L->buffer, 1 };
    conv2d_backward(L->u.conv.algorithm, &s, in->dx[0], n->grads + L->weight, bias_gradient_of(n, L),
                    L->dout, L->out, in->x[0], n->params + L->weight, &buf);
}

const layer_ops conv_ops = {
    .name = "conv", .keys = "filters size stride padding activation bias trainable",
    .min_inputs = 1, .max_inputs = 1, .shape = conv_shape_fn,
    .buffer_floats = conv_buffer_floats, .workspace_floats = conv_workspace_floats,
    .forward = conv_forward, .backward = conv_backward,
};
