/* global_avg_pool: Keras GlobalAveragePooling2D, a feature map to one
 * value a channel. */
#include "nn/layers/global_avgpool.h"
#include "nn/net.h"

static int global_avg_pool_shape(net *n, layer *L, char *err, int err_size)
{
    (void)n, (void)err, (void)err_size;
    L->out_c = L->in_c;
    L->out_h = L->out_w = 1;
    L->flat = 1;
    return 0;
}

static void global_avg_pool_forward(net *n, layer *L, const layer_inputs *in, int B,
                                    const forward_mode *mode)
{
    (void)n, (void)mode;
    global_avgpool_forward(L->out, in->x[0], B, L->in_c, L->in_h, L->in_w);
}

static void global_avg_pool_backward(net *n, layer *L, const layer_inputs *in, int B,
                                     long global_batch)
{
    (void)n, (void)global_batch;
    if (in->dx[0])
        global_avgpool_backward(in->dx[0], L->dout, B, L->in_c, L->in_h, L->in_w);
}

const layer_ops global_avg_pool_ops = {
    .name = "global_avg_pool", .keys = "", .min_inputs = 1, .max_inputs = 1,
    .shape = global_avg_pool_shape, .forward = global_avg_pool_forward,
    .backward = global_avg_pool_backward,
};
