/* max_pool: Keras MaxPooling2D; training records where each maximum came
 * from, for backward. */
#include "pooling.h"

static int max_pool_shape(net *n, layer *L, char *err, int err_size)
{
    (void)n;
    return pooling_shape(L, err, err_size);
}

static size_t max_pool_ints(const layer *L, int max_batch)
{
    return (size_t)max_batch * layer_out_size(L);
}

static void max_pool_forward(net *n, layer *L, const layer_inputs *in, int B, const forward_mode *mode)
{
    (void)n;
    pool2d_shape p = pooling_for(L, B);
    pool2d_max_forward(L->out, mode->training ? L->int_buffer : NULL, in->x[0], &p);
}

static void max_pool_backward(net *n, layer *L, const layer_inputs *in, int B, long global_batch)
{
    (void)n, (void)global_batch;
    pool2d_shape p = pooling_for(L, B);
    if (in->dx[0])
        pool2d_max_backward(in->dx[0], L->dout, L->int_buffer, &p);
}

const layer_ops max_pool_ops = {
    .name = "max_pool", .keys = "size stride padding", .min_inputs = 1, .max_inputs = 1,
    .shape = max_pool_shape, .int_buffer_count = max_pool_ints,
    .forward = max_pool_forward, .backward = max_pool_backward,
};
