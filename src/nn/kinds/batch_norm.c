/* batch_norm: Keras BatchNormalization over the channels (momentum 0.99,
 * epsilon 1e-3 unless set, gamma unless scale = no): batch statistics
 * in training, moving ones in inference.
 * After a feature map the moving variance takes the unbiased batch
 * variance, as Keras's fused kernel does; after a vector, the biased. */
#include <stdio.h>

#include "core/util.h"
#include "nn/net.h"

static int batch_norm_shape(net *n, layer *L, char *err, int err_size)
{
    (void)err, (void)err_size;
    layer_keep_shape(L);
    L->flat = L->inputs[0] >= 0 && n->layers[L->inputs[0]].flat;
    L->u.bn.unbiased_moving_var = !L->flat;
    int dims[1] = { L->out_c };
    L->weight = L->spec.scale ? net_declare_tensor(n, L, "gamma", TENSOR_PARAM, 1, dims, INIT_ONE, 0, 0)
                              : NO_TENSOR;
    L->bias = net_declare_tensor(n, L, "beta", TENSOR_PARAM, 1, dims, INIT_ZERO, 0, 0);
    L->moving_mean = net_declare_tensor(n, L, "moving_mean", TENSOR_STATE, 1, dims, INIT_ZERO, 0, 0);
    L->moving_var = net_declare_tensor(n, L, "moving_var", TENSOR_STATE, 1, dims, INIT_ONE, 0, 0);
    return 0;
}

/* scale = no: gamma is 1, its gradient thrown away. */
static const float *gamma_of(const net *n, const layer *L)
{
    return L->weight == NO_TENSOR ? n->ones : n->params + L->weight;
}

/* x-hat for every value of the batch, then 1/std per channel. */
static size_t batch_norm_buffer_floats(const layer *L, int max_batch)
{
    return (size_t)max_batch * layer_out_size(L) + (size_t)L->out_c;
}

static float *invstd_of(const net *n, const layer *L)
{
    return L->buffer + (size_t)n->max_batch * layer_out_size(L);
}

static void batch_norm_forward(net *n, layer *L, const layer_inputs *in, int B,
                               const forward_mode *mode)
{
    const int S = L->out_h * L->out_w;
    float *P = n->params;
    if (mode->training)
        batchnorm_forward_train(L->out, L->buffer, invstd_of(n, L), n->state + L->moving_mean,
                                n->state + L->moving_var, in->x[0], gamma_of(n, L), P + L->bias,
                                n->bn_scratch, B, L->out_c, S, mode->global_batch * S,
                                L->u.bn.unbiased_moving_var, (float)L->spec.epsilon, &n->reduce);
    else
        batchnorm_forward_infer(L->out, in->x[0], gamma_of(n, L), P + L->bias,
                                n->state + L->moving_mean, n->state + L->moving_var, B, L->out_c, S,
                                (float)L->spec.epsilon);
}

static void batch_norm_backward(net *n, layer *L, const layer_inputs *in, int B, long global_batch)
{
    const int S = L->out_h * L->out_w;
    float *dgamma = L->weight == NO_TENSOR ? n->discard : n->grads + L->weight;
    batchnorm_backward(in->dx[0], dgamma, n->grads + L->bias, L->dout, L->buffer,
                       invstd_of(n, L), gamma_of(n, L), n->bn_scratch, B, L->out_c, S,
                       global_batch * S, &n->reduce);
}

const layer_ops batch_norm_ops = {
    .name = "batch_norm", .keys = "scale epsilon trainable", .min_inputs = 1, .max_inputs = 1,
    .shape = batch_norm_shape, .buffer_floats = batch_norm_buffer_floats,
    .forward = batch_norm_forward, .backward = batch_norm_backward,
};
