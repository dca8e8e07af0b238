/* avg_pool: Keras AveragePooling2D ('same' averages the window's image
 * cells only). */
#include "pooling.h"

static int avg_pool_shape(net *n, layer *L, char *err, int err_size)
{
    (void)n;
    return pooling_shape(L, err, err_size);
}

static void avg_pool_forward(net *n, layer *L, const layer_inputs *in, int B, const forward_mode *mode)
{
    (void)n, (void)mode;
    pool2d_shape p = pooling_for(L, B);
    pool2d_avg_forward(L->out, in->x[0], &p);
}

static void avg_pool_backward(net *n, layer *L, const layer_inputs *in, int B, long global_batch)
{
    (void)n, (void)global_batch;
    pool2d_shape p = pooling_for(L, B);
    if (in->dx[0])
        pool2d_avg_backward(in->dx[0], L->dout, &p);
}

const layer_ops avg_pool_ops = {
    .name = "avg_pool", .keys = "size stride padding", .min_inputs = 1, .max_inputs = 1,
    .shape = avg_pool_shape, .forward = avg_pool_forward, .backward = avg_pool_backward,
};
