/* dropout: Keras Dropout (inverted: kept values scaled by 1/(1-rate)),
 * masks keyed by (seed, layer, epoch, sample) so they do not depend on
 * how a batch is split across ranks; the identity in inference. */
#include <math.h>
#include <stdio.h>

#include "core/rng.h"
#include "nn/layers/dropout.h"
#include "nn/net.h"

static int dropout_shape(net *n, layer *L, char *err, int err_size)
{
    if (!(L->spec.rate >= 0 && L->spec.rate < 1))
        return snprintf(err, (size_t)err_size, "dropout: rate must be in [0, 1)"), -1;
    layer_keep_shape(L);
    L->flat = L->inputs[0] >= 0 && n->layers[L->inputs[0]].flat;
    return 0;
}

static size_t dropout_buffer_floats(const layer *L, int max_batch)
{
    return (size_t)max_batch * layer_out_size(L);   /* the mask */
}

static void dropout_kind_forward(net *n, layer *L, const layer_inputs *in, int B, const forward_mode *mode)
{
    dropout_forward_train(L->out, L->buffer, in->x[0], (float)L->spec.rate,
                          rng_key(mode->seed, RNG_DROPOUT, (uint64_t)L->index, (uint64_t)mode->epoch),
                          n->sample_ids, B, (int)layer_out_size(L));
}

static void dropout_kind_backward(net *n, layer *L, const layer_inputs *in, int B, long global_batch)
{
    (void)n, (void)global_batch;
    if (in->dx[0])
        dropout_backward(in->dx[0], L->dout, L->buffer, B, (int)layer_out_size(L));
}

const layer_ops dropout_ops = {
    .name = "dropout", .keys = "rate", .min_inputs = 1, .max_inputs = 1,
    .shape = dropout_shape, .buffer_floats = dropout_buffer_floats,
    .forward = dropout_kind_forward, .backward = dropout_kind_backward, .identity_in_inference = 1,
};
