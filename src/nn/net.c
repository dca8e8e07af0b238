/* net: builds the layer list from a trial's settings, owns every buffer,
 * and walks the layers forward and backward. */
#include "nn/net.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "nn/layers/conv2d.h"
#include "data/data.h"
#include "nn/layers/dense.h"
#include "nn/layers/dropout.h"
#include "nn/layers/maxpool.h"
#include "nn/layers/relu.h"
#include "core/rng.h"
#include "nn/layers/softmax.h"
#include "core/util.h"

#define NET_MAX_LAYERS 256
#define NET_MAX_TENSORS 256

static size_t layer_out_size(const layer *L) { return (size_t)L->out_c * L->out_h * L->out_w; }

/* ---- construction -------------------------------------------------------- */

static layer *add_layer(net *n, layer_kind kind, const char *name, int c, int h, int w)
{
    CHECK(n->n_layers < NET_MAX_LAYERS, "too many layers");
    layer *L = &n->layers[n->n_layers++];
    memset(L, 0, sizeof *L);
    L->kind = kind;
    snprintf(L->name, sizeof L->name, "%s", name);
    L->in_c = L->out_c = c;
    L->in_h = L->out_h = h;
    L->in_w = L->out_w = w;
    return L;
}

static size_t add_tensor(net *n, const char *layer_name, const char *suffix,
                         tensor_home home, int ndim, const int *dims, tensor_init init,
                         int fan_in, int fan_out)
{
    CHECK(n->n_tensors < NET_MAX_TENSORS, "too many tensors");
    net_tensor *t = &n->tensors[n->n_tensors++];
    snprintf(t->name, sizeof t->name, "%.47s.%.15s", layer_name, suffix);
    t->home = home;
    t->ndim = ndim;
    t->count = 1;
    for (int i = 0; i < ndim; i++) {
        t->dims[i] = dims[i];
        t->count *= (size_t)dims[i];
    }
    t->init = init;
    t->fan_in = fan_in;
    t->fan_out = fan_out;
    size_t *total = home == TENSOR_PARAM ? &n->n_params : &n->n_state;
    t->offset = *total;
    *total += t->count;
    return t->offset;
}

static void add_conv(net *n, const char *name, int c_in, int c_out, int h, int w)
{
    layer *L = add_layer(n, LAYER_CONV2D, name, c_in, h, w);
    L->out_c = c_out;
    int wdims[4] = { c_out, c_in, 3, 3 }, bdims[1] = { c_out };
    L->weight = add_tensor(n, name, "weight", TENSOR_PARAM, 4, wdims, INIT_GLOROT, c_in * 9, c_out * 9);
    L->bias = add_tensor(n, name, "bias", TENSOR_PARAM, 1, bdims, INIT_ZERO, 0, 0);
    L->u.conv.algorithm = conv2d_choose(&(conv_shape){ .c_in = c_in, .c_out = c_out, .H = h, .W = w,
                                                       .kh = 3, .kw = 3, .sh = 1, .sw = 1,
                                                       .padding = CONV_SAME });
}

static conv_shape conv_shape_of(const layer *L, int B)
{
    conv_shape s = { .B = B, .c_in = L->in_c, .c_out = L->out_c, .H = L->in_h, .W = L->in_w,
                     .relu = 1, .kh = 3, .kw = 3, .sh = 1, .sw = 1, .padding = CONV_SAME };
    conv_shape_resolve(&s);   /* 3x3 'same' always fits */
    return s;
}

static void add_dense(net *n, const char *name, int n_in, int n_out, float l2)
{
    layer *L = add_layer(n, LAYER_DENSE, name, n_in, 1, 1);
    L->out_c = n_out;
    L->u.dense.l2 = l2;
    int wdims[2] = { n_out, n_in }, bdims[1] = { n_out };
    L->weight = add_tensor(n, name, "weight", TENSOR_PARAM, 2, wdims, INIT_GLOROT, n_in, n_out);
    L->bias = add_tensor(n, name, "bias", TENSOR_PARAM, 1, bdims, INIT_ZERO, 0, 0);
}

/* Batch norm then dropout, as the report places them after each pooled
 * block and each hidden dense layer. */
static void add_regularisers(net *n, const trial_settings *t, const char *prefix,
                             int c, int h, int w, int after_conv)
{
    char name[48];
    int dims[1] = { c };
    if (t->batch_norm) {
        snprintf(name, sizeof name, "%.40s.bn", prefix);
        layer *L = add_layer(n, LAYER_BATCHNORM, name, c, h, w);
        L->weight = add_tensor(n, name, "gamma", TENSOR_PARAM, 1, dims, INIT_ONE, 0, 0);
        L->bias = add_tensor(n, name, "beta", TENSOR_PARAM, 1, dims, INIT_ZERO, 0, 0);
        L->u.bn.moving_mean = add_tensor(n, name, "moving_mean", TENSOR_STATE, 1, dims, INIT_ZERO, 0, 0);
        L->u.bn.moving_var = add_tensor(n, name, "moving_var", TENSOR_STATE, 1, dims, INIT_ONE, 0, 0);
        L->u.bn.after_conv = after_conv;
    }
    if (t->dropout > 0) {
        snprintf(name, sizeof name, "%.38s.dropout", prefix);
        layer *L = add_layer(n, LAYER_DROPOUT, name, c, h, w);
        L->u.dropout.rate = (float)t->dropout;
    }
}

static int build_layers(net *n, const trial_settings *t, char *err, int err_size)
{
    int c = 1, h = IMAGE_SIDE, w = IMAGE_SIDE;
    char name[48];
    for (int b = 0; b < t->n_blocks; b++) {
        for (int i = 0; i < t->block_convs[b]; i++) {
            snprintf(name, sizeof name, "block%d.conv%d", b, i);
            add_conv(n, name, c, t->block_filters[b][i], h, w);
            c = t->block_filters[b][i];
        }
        if (h / 2 < 1) {
            snprintf(err, err_size, "%s: block %d pools a %dx%d feature map to nothing",
                     t->name, b, h, w);
            return -1;
        }
        snprintf(name, sizeof name, "block%d.pool", b);
        layer *pool = add_layer(n, LAYER_MAXPOOL, name, c, h, w);
        h /= 2;
        w /= 2;
        pool->out_h = h;
        pool->out_w = w;
        snprintf(name, sizeof name, "block%d", b);
        add_regularisers(n, t, name, c, h, w, 1);
    }
    /* Flatten is free in NCHW: a sample's (C, H, W) values are contiguous. */
    int features = c * h * w;
    for (int j = 0; j < t->n_dense; j++) {
        snprintf(name, sizeof name, "dense%d", j);
        add_dense(n, name, features, t->dense_units[j], (float)t->l2);
        features = t->dense_units[j];
        snprintf(name, sizeof name, "dense%d.relu", j);
        add_layer(n, LAYER_RELU, name, features, 1, 1);
        snprintf(name, sizeof name, "dense%d", j);
        add_regularisers(n, t, name, features, 1, 1, 0);
    }
    add_dense(n, "output", features, N_CLASSES, 0.0f);
    return 0;
}

static void allocate_buffers(net *n)
{
    const int B = n->max_batch;
    size_t workspace = 0, widest_bn = 1;
    for (int i = 0; i < n->n_layers; i++) {
        layer *L = &n->layers[i];
        size_t out = (size_t)B * layer_out_size(L);
        L->out = xcalloc(out, sizeof(float));
        L->dout = xcalloc(out, sizeof(float));
        switch (L->kind) {
        case LAYER_CONV2D: {
            conv_shape s = conv_shape_of(L, B);
            size_t ws = conv2d_workspace_floats(L->u.conv.algorithm, &s);
            workspace = ws > workspace ? ws : workspace;
            L->u.conv.kernel_cache = xcalloc(conv2d_kernel_cache_floats(L->u.conv.algorithm, &s) + 1,
                                             sizeof(float));
            break;
        }
        case LAYER_MAXPOOL:
            L->u.pool.argmax = xcalloc(out, sizeof(int));
            break;
        case LAYER_BATCHNORM:
            L->u.bn.xhat = xcalloc(out, sizeof(float));
            L->u.bn.invstd = xcalloc((size_t)L->out_c, sizeof(float));
            widest_bn = (size_t)L->out_c > widest_bn ? (size_t)L->out_c : widest_bn;
            break;
        case LAYER_DROPOUT:
            L->u.dropout.mask = xcalloc(out, sizeof(float));
            break;
        default:
            break;
        }
    }
    n->params = xcalloc(n->n_params, sizeof(float));
    n->grads = xcalloc(n->n_params, sizeof(float));
    n->state = xcalloc(n->n_state, sizeof(float));
    n->input = xcalloc((size_t)B * IMAGE_PIXELS, sizeof(float));
    n->labels = xcalloc((size_t)B, sizeof(uint8_t));
    n->sample_ids = xcalloc((size_t)B, sizeof(int));
    n->probs = xcalloc((size_t)B * N_CLASSES, sizeof(float));
    n->workspace = xcalloc(workspace, sizeof(float));
    n->bn_scratch = xcalloc(2 * widest_bn, sizeof(double));
}

net *net_new(const trial_settings *t, int max_batch, char *err, int err_size)
{
    net *n = net_layout(t, err, err_size);
    if (!n)
        return NULL;
    n->max_batch = max_batch;
    allocate_buffers(n);
    return n;
}

net *net_layout(const trial_settings *t, char *err, int err_size)
{
    net *n = xcalloc(1, sizeof *n);
    n->layers = xcalloc(NET_MAX_LAYERS, sizeof(layer));
    n->tensors = xcalloc(NET_MAX_TENSORS, sizeof(net_tensor));
    if (build_layers(n, t, err, err_size) != 0) {
        net_free(n);
        return NULL;
    }
    return n;
}

int net_conv_algorithms_text(const trial_settings *t, char *buf, int size)
{
    char err[256];
    int length = 0;
    buf[0] = 0;
    net *n = net_layout(t, err, sizeof err);
    for (int i = 0; n && i < n->n_layers; i++)
        if (n->layers[i].kind == LAYER_CONV2D && length < size)
            length += snprintf(buf + length, (size_t)(size - length), "%s%s %s",
                               length ? ", " : "", n->layers[i].name,
                               layer_algorithm(&n->layers[i]));
    net_free(n);
    return length;
}

void net_free(net *n)
{
    if (!n)
        return;
    for (int i = 0; i < n->n_layers; i++) {
        layer *L = &n->layers[i];
        free(L->out);
        free(L->dout);
        if (L->kind == LAYER_MAXPOOL)
            free(L->u.pool.argmax);
        if (L->kind == LAYER_CONV2D)
            free(L->u.conv.kernel_cache);
        if (L->kind == LAYER_BATCHNORM) {
            free(L->u.bn.xhat);
            free(L->u.bn.invstd);
        }
        if (L->kind == LAYER_DROPOUT)
            free(L->u.dropout.mask);
    }
    free(n->layers);
    free(n->tensors);
    free(n->params);
    free(n->grads);
    free(n->state);
    free(n->input);
    free(n->labels);
    free(n->sample_ids);
    free(n->probs);
    free(n->workspace);
    free(n->bn_scratch);
    free(n);
}

void net_init(net *n, uint64_t seed)
{
    for (int i = 0; i < n->n_tensors; i++) {
        const net_tensor *t = &n->tensors[i];
        float *x = net_tensor_data(n, t, 0);
        if (t->init == INIT_GLOROT) {
            /* Keras GlorotUniform: U(-limit, limit), limit = sqrt(6 / (fan_in + fan_out)). */
            float limit = sqrtf(6.0f / (float)(t->fan_in + t->fan_out));
            rng_stream s = rng_stream_new(rng_key(seed, RNG_INIT, (uint64_t)i, 0));
            for (size_t k = 0; k < t->count; k++)
                x[k] = (2.0f * rng_uniform(&s) - 1.0f) * limit;
        } else {
            float value = t->init == INIT_ONE ? 1.0f : 0.0f;
            for (size_t k = 0; k < t->count; k++)
                x[k] = value;
        }
    }
}

/* ---- forward and backward ------------------------------------------------ */

static void layer_forward(net *n, int index, const float *in, int B, const forward_mode *mode)
{
    layer *L = &n->layers[index];
    float *P = n->params;
    switch (L->kind) {
    case LAYER_CONV2D: {
        conv_shape s = conv_shape_of(L, B);
        conv_buffers buf = { n->workspace, L->u.conv.kernel_cache, mode->weights_unchanged };
        conv2d_forward(L->u.conv.algorithm, &s, L->out, in, P + L->weight, P + L->bias, &buf);
        break;
    }
    case LAYER_RELU:
        relu_forward(L->out, in, (size_t)B * layer_out_size(L));
        break;
    case LAYER_MAXPOOL:
        maxpool_forward(L->out, mode->training ? L->u.pool.argmax : NULL, in, B, L->in_c,
                        L->in_h, L->in_w);
        break;
    case LAYER_BATCHNORM: {
        const int S = L->out_h * L->out_w;
        if (mode->training)
            batchnorm_forward_train(L->out, L->u.bn.xhat, L->u.bn.invstd,
                                    n->state + L->u.bn.moving_mean, n->state + L->u.bn.moving_var,
                                    in, P + L->weight, P + L->bias, n->bn_scratch,
                                    B, L->out_c, S, mode->global_batch * S, L->u.bn.after_conv,
                                    &n->reduce);
        else
            batchnorm_forward_infer(L->out, in, P + L->weight, P + L->bias,
                                    n->state + L->u.bn.moving_mean, n->state + L->u.bn.moving_var,
                                    B, L->out_c, S);
        break;
    }
    case LAYER_DROPOUT:   /* training only: in inference net_forward skips it */
        dropout_forward_train(L->out, L->u.dropout.mask, in, L->u.dropout.rate,
                              rng_key(mode->seed, RNG_DROPOUT, (uint64_t)index, (uint64_t)mode->epoch),
                              n->sample_ids, B, (int)layer_out_size(L));
        break;
    case LAYER_DENSE:
        dense_forward(L->out, in, P + L->weight, P + L->bias, B, L->in_c, L->out_c);
        break;
    }
}

double net_forward(net *n, int B, const forward_mode *mode)
{
    /* B = 0: a data-parallel rank without rows still joins the batch-norm
     * sums, so every rank makes the same collective calls. */
    CHECK(B >= 0 && B <= n->max_batch, "batch of %d outside 0..%d", B, n->max_batch);
    const float *in = n->input;
    for (int i = 0; i < n->n_layers; i++) {
        if (!mode->training && n->layers[i].kind == LAYER_DROPOUT)
            continue;   /* the identity in inference: the next layer reads `in` */
        double start = n->layer_seconds ? omp_get_wtime() : 0.0;
        layer_forward(n, i, in, B, mode);
        if (n->layer_seconds)
            n->layer_seconds[i] += omp_get_wtime() - start;
        in = n->layers[i].out;
    }
    return softmax_xent_forward(n->probs, in, n->labels, B, N_CLASSES);
}

/* din is NULL for the first layer: nothing upstream needs it. */
static void layer_backward(net *n, int index, float *din, const float *in, int B, long global_batch)
{
    layer *L = &n->layers[index];
    float *P = n->params, *G = n->grads;
    switch (L->kind) {
    case LAYER_CONV2D: {
        conv_shape s = conv_shape_of(L, B);
        conv_buffers buf = { n->workspace, L->u.conv.kernel_cache, 1 };
        conv2d_backward(L->u.conv.algorithm, &s, din, G + L->weight, G + L->bias, L->dout,
                        L->out, in, P + L->weight, &buf);
        break;
    }
    case LAYER_RELU:
        if (din)
            relu_backward(din, L->dout, L->out, (size_t)B * layer_out_size(L));
        break;
    case LAYER_MAXPOOL:
        if (din)
            maxpool_backward(din, L->dout, L->u.pool.argmax, B, L->in_c, L->in_h, L->in_w);
        break;
    case LAYER_BATCHNORM: {
        const int S = L->out_h * L->out_w;
        CHECK(din, "batch norm cannot be the first layer");
        batchnorm_backward(din, G + L->weight, G + L->bias, L->dout, L->u.bn.xhat,
                           L->u.bn.invstd, P + L->weight, n->bn_scratch,
                           B, L->out_c, S, global_batch * S, &n->reduce);
        break;
    }
    case LAYER_DROPOUT:
        if (din)
            dropout_backward(din, L->dout, L->u.dropout.mask, B, (int)layer_out_size(L));
        break;
    case LAYER_DENSE:
        dense_backward(din, G + L->weight, G + L->bias, L->dout, in, P + L->weight,
                       B, L->in_c, L->out_c);
        break;
    }
}

void net_zero_grads(net *n)
{
    memset(n->grads, 0, sizeof(float) * n->n_params);
}

void net_backward(net *n, int B, long global_batch)
{
    layer *last = &n->layers[n->n_layers - 1];
    softmax_xent_backward(last->dout, n->probs, n->labels, 1.0f / (float)global_batch,
                          B, N_CLASSES);
    for (int i = n->n_layers - 1; i >= 0; i--) {
        const float *in = i > 0 ? n->layers[i - 1].out : n->input;
        float *din = i > 0 ? n->layers[i - 1].dout : NULL;
        double start = n->layer_seconds ? omp_get_wtime() : 0.0;
        layer_backward(n, i, din, in, B, global_batch);
        if (n->layer_seconds)
            n->layer_seconds[n->n_layers + i] += omp_get_wtime() - start;
    }
}

double net_l2_penalty(const net *n)
{
    double penalty = 0.0;
    for (int i = 0; i < n->n_layers; i++) {
        const layer *L = &n->layers[i];
        if (L->kind != LAYER_DENSE || L->u.dense.l2 == 0.0f)
            continue;
        const float *w = n->params + L->weight;
        const size_t count = (size_t)L->in_c * L->out_c;
        double sum = 0.0;
        for (size_t k = 0; k < count; k++)
            sum += (double)w[k] * w[k];
        penalty += (double)L->u.dense.l2 * sum;
    }
    return penalty;
}

void net_add_l2_gradient(net *n)
{
    for (int i = 0; i < n->n_layers; i++) {
        const layer *L = &n->layers[i];
        if (L->kind != LAYER_DENSE || L->u.dense.l2 == 0.0f)
            continue;
        const float *w = n->params + L->weight;
        float *g = n->grads + L->weight;
        const float k = 2.0f * L->u.dense.l2;
        const size_t count = (size_t)L->in_c * L->out_c;
        #pragma omp parallel for schedule(static)
        for (size_t j = 0; j < count; j++)
            g[j] += k * w[j];
    }
}

/* ---- lookup -------------------------------------------------------------- */

const char *layer_kind_name(layer_kind kind)
{
    static const char *const names[] = { "conv2d", "relu", "maxpool", "batchnorm", "dropout",
                                         "dense" };
    return names[kind];
}

const char *layer_algorithm(const layer *L)
{
    if (L->kind == LAYER_CONV2D)
        return conv2d_algorithm_name(L->u.conv.algorithm);
    return L->kind == LAYER_DENSE ? "gemm" : "-";
}

const net_tensor *net_find_tensor(const net *n, const char *name)
{
    for (int i = 0; i < n->n_tensors; i++)
        if (strcmp(n->tensors[i].name, name) == 0)
            return &n->tensors[i];
    return NULL;
}

float *net_tensor_data(const net *n, const net_tensor *t, int gradient)
{
    if (t->home == TENSOR_STATE)
        return n->state + t->offset;
    return (gradient ? n->grads : n->params) + t->offset;
}
