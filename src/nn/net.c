/* net: builds the graph from layer specs, owns every buffer, and walks the
 * layers forward and backward. */
#include "nn/net.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "core/rng.h"
#include "core/util.h"
#include "data/data.h"
#include "nn/models/blocks.h"
#include "nn/network_text.h"
#include "nn/layers/softmax.h"
#include "nn/models/bases.h"

#define NET_MAX_TENSORS 2048

/* ---- construction -------------------------------------------------------- */

size_t net_declare_tensor(net *n, const layer *L, const char *suffix, tensor_home home,
                          int ndim, const int *dims, tensor_init init, int fan_in, int fan_out)
{
    CHECK(n->n_tensors < NET_MAX_TENSORS, "too many tensors");
    net_tensor *t = &n->tensors[n->n_tensors++];
    snprintf(t->name, sizeof t->name, "%.47s.%.15s", L->name, suffix);
    t->home = home;
    t->ndim = ndim;
    t->count = 1;
    for (int i = 0; i < ndim; i++) {
        t->dims[i] = dims[i];
        t->count *= (size_t)dims[i];
    }
    t->init = init;
    t->layer = L->index;
    t->fan_in = fan_in;
    t->fan_out = fan_out;
    size_t *total = home == TENSOR_PARAM ? &n->n_params : &n->n_state;
    t->offset = *total;
    *total += t->count;
    return t->offset;
}

/* A spec's inputs as layer indices: names of earlier layers, or "-N" for
 * N layers back (-1, the default, is the previous layer; before the first
 * layer is the image, -1). */
static int resolve_inputs(net *n, layer *L, const layer_spec *s, char *err, int err_size)
{
    int i = L->index;
    L->n_inputs = s->n_from ? s->n_from : 1;
    for (int j = 0; j < L->n_inputs; j++) {
        const char *from = s->n_from ? s->from[j] : "-1";
        char *end;
        long back = strtol(from, &end, 10);
        if (from[0] == '-' && *end == '\0' && back < 0) {
            if (i + back < -1)
                return snprintf(err, (size_t)err_size, "from %s: only %d layers come before", from, i), -1;
            L->inputs[j] = (int)(i + back);
            continue;
        }
        int k = i - 1;
        while (k >= 0 && strcmp(n->layers[k].name, from) != 0)
            k--;
        if (k < 0)
            return snprintf(err, (size_t)err_size, "from %s: no earlier layer has that name", from), -1;
        L->inputs[j] = k;
    }
    if (L->n_inputs < s->ops->min_inputs || L->n_inputs > s->ops->max_inputs)
        return snprintf(err, (size_t)err_size, "%s takes %d to %d inputs, not %d", s->ops->name,
                        s->ops->min_inputs, s->ops->max_inputs, L->n_inputs), -1;
    return 0;
}

/* Frozen layers (trainable = no) come first: a frozen layer reads only
 * the image or the frozen front, so no gradient need pass through it and
 * the front's output is a function of the image alone (issue 13 caches
 * it). Parameter-free layers fed only by the front or the image join it
 * (an input's resize, a pooling after the base), except those that differ
 * in training (dropout). */
static int mark_frozen_front(net *n, layer *L, int has_params, char *err, int err_size)
{
    int inputs_in_front = 1;
    const layer *trained = NULL;
    for (int j = 0; j < L->n_inputs; j++) {
        const layer *from = L->inputs[j] >= 0 ? &n->layers[L->inputs[j]] : NULL;
        if (from && !from->in_frozen_front) {
            inputs_in_front = 0;
            trained = from;
        }
    }
    if (L->spec.frozen && !inputs_in_front)
        return snprintf(err, (size_t)err_size, "%s is frozen (trainable = no) but reads %s, which "
                        "trains: frozen layers come before every trained one", L->name,
                        trained->name), -1;
    L->in_frozen_front = inputs_in_front &&
        (L->spec.frozen || (!has_params && !L->ops->identity_in_inference));
    return 0;
}

/* One layer from its spec: inputs, the first input's shape, then the
 * kind's own shape rule (which declares its tensors). */
static int add_layer(net *n, const layer_spec *s, char *err, int err_size)
{
    CHECK(n->n_layers < NET_MAX_LAYERS, "more than %d layers", NET_MAX_LAYERS);
    layer *L = &n->layers[n->n_layers];
    memset(L, 0, sizeof *L);
    L->index = n->n_layers;
    L->ops = s->ops;
    L->spec = *s;
    if (s->name[0])
        snprintf(L->name, sizeof L->name, "%s", s->name);
    else
        snprintf(L->name, sizeof L->name, "%s%d", s->ops->name, L->index);
    for (int k = 0; k < L->index; k++)
        if (strcmp(n->layers[k].name, L->name) == 0)
            return snprintf(err, (size_t)err_size, "a second layer named %s", L->name), -1;
    if (resolve_inputs(n, L, s, err, err_size) != 0)
        return -1;
    const layer *first = L->inputs[0] >= 0 ? &n->layers[L->inputs[0]] : NULL;
    L->in_c = first ? first->out_c : n->image_c;
    L->in_h = first ? first->out_h : n->image_h;
    L->in_w = first ? first->out_w : n->image_w;
    const size_t params_before = n->n_params;
    if (L->ops->shape(n, L, err, err_size) != 0)
        return -1;
    if (mark_frozen_front(n, L, n->n_params > params_before, err, err_size) != 0)
        return -1;
    for (int j = 0; j < L->n_inputs; j++)
        if (L->inputs[j] >= 0)
            n->layers[L->inputs[j]].consumers++;
    n->n_layers++;
    return 0;
}

/* The graph builder: every model, whatever described it, is made here. */
/* Where the frozen front ends: trained_from, the first trained
 * parameter when every frozen one comes before it (the optimiser and the
 * gradient sum then skip the front), and frozen_output, the one front
 * layer the rest reads, when there is one and the front holds frozen
 * weights (its output is then worth computing once per image). */
static void find_frozen_boundary(net *n)
{
    size_t first_trained = n->n_params, last_frozen_end = 0;
    int frozen_layers = 0;
    for (int i = 0; i < n->n_tensors; i++) {
        const net_tensor *t = &n->tensors[i];
        if (t->home != TENSOR_PARAM)
            continue;
        if (n->layers[t->layer].spec.frozen)
            last_frozen_end = t->offset + t->count > last_frozen_end ? t->offset + t->count : last_frozen_end;
        else if (t->offset < first_trained)
            first_trained = t->offset;
    }
    n->trained_from = last_frozen_end <= first_trained ? last_frozen_end : 0;
    n->frozen_output = -1;
    int readers_of_front = 0;
    for (int i = 0; i < n->n_layers; i++) {
        const layer *L = &n->layers[i];
        frozen_layers += L->spec.frozen;
        if (L->in_frozen_front)
            continue;
        for (int j = 0; j < L->n_inputs; j++) {
            int k = L->inputs[j];
            if (k >= 0 && n->layers[k].in_frozen_front && k != n->frozen_output) {
                n->frozen_output = k;
                readers_of_front++;
            } else if (k < 0) {
                readers_of_front += 2;   /* the image itself: nothing to cache */
            }
        }
    }
    if (readers_of_front != 1 || frozen_layers == 0)
        n->frozen_output = -1;
}

static int build_layers(net *n, const layer_spec *specs, int n_specs, char *err, int err_size)
{
    char why[512];
    for (int i = 0; i < n_specs; i++)
        if (add_layer(n, &specs[i], why, sizeof why) != 0) {
            if (specs[i].line)
                snprintf(err, (size_t)err_size, "network line %d ([%s]): %s", specs[i].line,
                         specs[i].ops->name, why);
            else
                snprintf(err, (size_t)err_size, "%s", why);
            return -1;
        }
    const layer *last = n->n_layers ? &n->layers[n->n_layers - 1] : NULL;
    if (!last || layer_out_size(last) != N_CLASSES)
        return snprintf(err, (size_t)err_size, "the last layer%s%s gives %zu values an image; the "
                        "%d classes need a last layer of %d (e.g. [dense] units = %d)",
                        last ? " " : "", last ? last->name : "", last ? layer_out_size(last) : 0,
                        N_CLASSES, N_CLASSES, N_CLASSES), -1;
    find_frozen_boundary(n);
    return 0;
}

/* A pretrained base, flattened, under the trial's dense head. */
static int base_model_specs(const trial_settings *t, layer_spec *specs, int max, char *err,
                            int err_size)
{
    const base_info *b = base_named(t->base);
    if (!b)
        return snprintf(err, (size_t)err_size, "%s: unknown base %s", t->name, t->base), -1;
    const int input = t->input_size ? t->input_size : b->default_input;
    if (input < b->min_input)
        return snprintf(err, (size_t)err_size, "input_size %d is below %s's minimum of %d pixels "
                        "(Keras's)", input, b->name, b->min_input), -1;
    spec_list l = { specs, 0, max };
    base_options o = { .width = t->base_width, .frozen = !t->base_trainable };
    base_add_specs(&l, b, input, &o);
    spec_add(&l, &flatten_ops, "flatten");
    blocks_head_specs(&l, t);
    if (spec_count(&l) < 0)
        snprintf(err, (size_t)err_size, "%s: more than %d layers", t->name, max);
    return spec_count(&l);
}

/* The trial's layer specs: its network text, a base, or the report's blocks. */
static layer_spec *trial_specs(const trial_settings *t, int *count, char *err, int err_size)
{
    layer_spec *specs = xcalloc(NET_MAX_LAYERS, sizeof *specs);
    if (t->network && t->network[0]) {
        *count = network_parse(t->network, specs, NET_MAX_LAYERS, t->dropout, t->l2, err, err_size);
    } else if (t->base && t->base[0]) {
        *count = base_model_specs(t, specs, NET_MAX_LAYERS, err, err_size);
    } else {
        *count = blocks_model_specs(t, specs, NET_MAX_LAYERS);
        if (*count < 0)
            snprintf(err, (size_t)err_size, "%s: more than %d layers", t->name, NET_MAX_LAYERS);
    }
    if (*count < 0) {
        free(specs);
        return NULL;
    }
    return specs;
}

static size_t max_size(size_t a, size_t b) { return a > b ? a : b; }

static void allocate_buffers(net *n)
{
    const int B = n->max_batch;
    size_t workspace = 0, widest = 1, grad_scratch = 0;
    for (int i = 0; i < n->n_layers; i++) {
        layer *L = &n->layers[i];
        const layer_ops *k = L->ops;
        size_t out = (size_t)B * layer_out_size(L);
        L->out = xcalloc(out, sizeof(float));
        L->dout = xcalloc(out, sizeof(float));
        L->buffer = xcalloc(k->buffer_floats ? k->buffer_floats(L, B) + 1 : 1, sizeof(float));
        L->int_buffer = xcalloc(k->int_buffer_count ? k->int_buffer_count(L, B) + 1 : 1, sizeof(int));
        if (k->workspace_floats)
            workspace = max_size(workspace, k->workspace_floats(L, B));
        widest = max_size(widest, (size_t)L->out_c);
        size_t shared_inputs = 0;
        for (int j = 0; j < L->n_inputs; j++)
            if (L->inputs[j] >= 0 && n->layers[L->inputs[j]].consumers > 1)
                shared_inputs += (size_t)B * layer_out_size(&n->layers[L->inputs[j]]);
        grad_scratch = max_size(grad_scratch, shared_inputs);
    }
    n->params = xcalloc(n->n_params, sizeof(float));
    n->grads = xcalloc(n->n_params, sizeof(float));
    n->state = xcalloc(n->n_state, sizeof(float));
    n->input = xcalloc((size_t)B * n->image_c * n->image_h * n->image_w, sizeof(float));
    n->labels = xcalloc((size_t)B, sizeof(uint8_t));
    n->sample_ids = xcalloc((size_t)B, sizeof(int));
    n->probs = xcalloc((size_t)B * N_CLASSES, sizeof(float));
    n->workspace = xcalloc(workspace + 1, sizeof(float));
    n->bn_scratch = xcalloc(2 * widest, sizeof(double));
    n->ones = xcalloc(widest, sizeof(float));
    for (size_t k = 0; k < widest; k++)
        n->ones[k] = 1.0f;
    n->zeros = xcalloc(widest, sizeof(float));
    n->discard = xcalloc(widest, sizeof(float));
    n->grad_scratch = xcalloc(grad_scratch + 1, sizeof(float));
    n->values = xcalloc((size_t)n->n_layers, sizeof(float *));
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

/* The layers of specs, shapes resolved, no buffers; NULL with the reason. */
static net *layout_of_specs(const layer_spec *specs, int n_specs, char *err, int err_size)
{
    net *n = xcalloc(1, sizeof *n);
    n->layers = xcalloc(NET_MAX_LAYERS, sizeof(layer));
    n->tensors = xcalloc(NET_MAX_TENSORS, sizeof(net_tensor));
    n->image_c = 1;
    n->image_h = n->image_w = IMAGE_SIDE;
    if (build_layers(n, specs, n_specs, err, err_size) != 0) {
        net_free(n);
        return NULL;
    }
    return n;
}

net *net_layout(const trial_settings *t, char *err, int err_size)
{
    int n_specs = 0;
    layer_spec *specs = trial_specs(t, &n_specs, err, err_size);
    if (!specs)
        return NULL;
    char why[768];
    net *n = layout_of_specs(specs, n_specs, why, sizeof why);
    if (!n)
        snprintf(err, (size_t)err_size, "%s: %s", t->name[0] ? t->name : "the model", why);
    free(specs);
    return n;
}

net *net_layout_specs(const layer_spec *specs, int n_specs, char *err, int err_size)
{
    return layout_of_specs(specs, n_specs, err, err_size);
}

int net_conv_algorithms_text(const trial_settings *t, char *buf, int size)
{
    char err[256];
    int length = 0;
    buf[0] = 0;
    net *n = net_layout(t, err, sizeof err);
    for (int i = 0; n && i < n->n_layers; i++)
        if (n->layers[i].ops == &conv_ops && length < size)
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
        free(L->buffer);
        free(L->int_buffer);
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
    free(n->ones);
    free(n->zeros);
    free(n->discard);
    free(n->grad_scratch);
    free(n->values);
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

/* Layer L's inputs' values: the image, or each producer's output (in
 * inference a dropout layer passes its own input on: n->values). */
static void gather_inputs(const net *n, const layer *L, layer_inputs *in)
{
    in->n = L->n_inputs;
    for (int j = 0; j < L->n_inputs; j++) {
        int k = L->inputs[j];
        in->x[j] = k < 0 ? n->input : n->values[k];
        in->from[j] = k < 0 ? NULL : &n->layers[k];
        in->dx[j] = NULL;
    }
}

/* Layers [first, end) forward; the frozen front in inference mode. */
static void run_layers(net *n, int first, int end, int B, const forward_mode *mode)
{
    /* B = 0: a data-parallel rank without rows still joins the batch-norm
     * sums, so every rank makes the same collective calls. */
    CHECK(B >= 0 && B <= n->max_batch, "batch of %d outside 0..%d", B, n->max_batch);
    forward_mode inference = *mode;   /* the frozen front's: Keras runs it so */
    inference.training = 0;
    for (int i = first; i < end; i++) {
        layer *L = &n->layers[i];
        layer_inputs in;
        gather_inputs(n, L, &in);
        const forward_mode *layer_mode = L->in_frozen_front ? &inference : mode;
        if (!layer_mode->training && L->ops->identity_in_inference) {
            n->values[i] = in.x[0];   /* the next layers read the input itself */
            continue;
        }
        double start = n->layer_seconds ? omp_get_wtime() : 0.0;
        L->ops->forward(n, L, &in, B, layer_mode);
        if (n->layer_seconds)
            n->layer_seconds[i] += omp_get_wtime() - start;
        n->values[i] = L->out;
    }
}

double net_forward(net *n, int B, const forward_mode *mode)
{
    if (n->first_to_run > 0)   /* the frozen front's output is already there */
        n->values[n->first_to_run - 1] = n->layers[n->first_to_run - 1].out;
    run_layers(n, n->first_to_run, n->n_layers, B, mode);
    return softmax_xent_forward(n->probs, n->values[n->n_layers - 1], n->labels, B, N_CLASSES);
}

void net_forward_front(net *n, int B, const forward_mode *mode)
{
    CHECK(n->frozen_output >= 0, "a net without a frozen front");
    run_layers(n, 0, n->frozen_output + 1, B, mode);
}

void net_zero_grads(net *n)
{
    memset(n->grads, 0, sizeof(float) * n->n_params);
}

/* Where backward writes L's input gradients: straight into the producer's
 * dout when L is its only reader, else into grad_scratch, added to the
 * producer's dout afterwards (add_shared_gradients). */
static void gradient_targets(net *n, const layer *L, int B, layer_inputs *in)
{
    float *scratch = n->grad_scratch;
    for (int j = 0; j < L->n_inputs; j++) {
        layer *from = L->inputs[j] >= 0 ? &n->layers[L->inputs[j]] : NULL;
        if (!from || from->in_frozen_front)
            in->dx[j] = NULL;   /* the image and the frozen front are not trained */
        else if (from->consumers == 1)
            in->dx[j] = from->dout;
        else {
            in->dx[j] = scratch;
            scratch += (size_t)B * layer_out_size(from);
        }
    }
}

static void add_shared_gradients(net *n, const layer *L, int B, const layer_inputs *in)
{
    for (int j = 0; j < L->n_inputs; j++) {
        layer *from = L->inputs[j] >= 0 ? &n->layers[L->inputs[j]] : NULL;
        if (!from || from->consumers == 1 || from->in_frozen_front)
            continue;
        const size_t count = (size_t)B * layer_out_size(from);
        const float *g = in->dx[j];
        #pragma omp parallel for schedule(static)
        for (size_t k = 0; k < count; k++)
            from->dout[k] += g[k];
    }
}

void net_backward(net *n, int B, long global_batch)
{
    layer *last = &n->layers[n->n_layers - 1];
    for (int i = 0; i < n->n_layers - 1; i++)   /* read by several: gradients add up */
        if (n->layers[i].consumers > 1)
            memset(n->layers[i].dout, 0, sizeof(float) * (size_t)B * layer_out_size(&n->layers[i]));
    softmax_xent_backward(last->dout, n->probs, n->labels, 1.0f / (float)global_batch,
                          B, N_CLASSES);
    for (int i = n->n_layers - 1; i >= 0; i--) {
        layer *L = &n->layers[i];
        if (L->in_frozen_front)
            continue;   /* nothing in it trains, nothing before it needs its gradient */
        layer_inputs in;
        gather_inputs(n, L, &in);
        gradient_targets(n, L, B, &in);
        double start = n->layer_seconds ? omp_get_wtime() : 0.0;
        L->ops->backward(n, L, &in, B, global_batch);
        add_shared_gradients(n, L, B, &in);
        if (n->layer_seconds)
            n->layer_seconds[n->n_layers + i] += omp_get_wtime() - start;
    }
}

/* The dense layers whose kernels carry an L2 penalty. */
static int penalised(const layer *L)
{
    return L->ops == &dense_ops && L->spec.l2 > 0 && !L->spec.frozen;
}

static size_t kernel_count(const layer *L)
{
    return layer_out_size(L) * (size_t)L->in_c * L->in_h * L->in_w;
}

double net_l2_penalty(const net *n)
{
    double penalty = 0.0;
    for (int i = 0; i < n->n_layers; i++) {
        const layer *L = &n->layers[i];
        if (!penalised(L))
            continue;
        const float *w = n->params + L->weight;
        const size_t count = kernel_count(L);
        double sum = 0.0;
        for (size_t k = 0; k < count; k++)
            sum += (double)w[k] * w[k];
        penalty += (double)(float)L->spec.l2 * sum;
    }
    return penalty;
}

void net_add_l2_gradient(net *n)
{
    for (int i = 0; i < n->n_layers; i++) {
        const layer *L = &n->layers[i];
        if (!penalised(L))
            continue;
        const float *w = n->params + L->weight;
        float *g = n->grads + L->weight;
        const float k = 2.0f * (float)L->spec.l2;
        const size_t count = kernel_count(L);
        #pragma omp parallel for schedule(static)
        for (size_t j = 0; j < count; j++)
            g[j] += k * w[j];
    }
}

/* ---- lookup -------------------------------------------------------------- */

const char *layer_algorithm(const layer *L)
{
    if (L->ops == &conv_ops)
        return conv2d_algorithm_name(L->u.conv.algorithm);
    return L->ops == &dense_ops ? "gemm" : "-";
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
