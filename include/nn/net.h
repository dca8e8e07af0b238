/* net: a model built from a trial's settings -- a graph of layers
 * (layer.h) in topological order, and the buffers every layer shares. As
 * in llm.c, all trainable parameters live in one contiguous buffer and
 * their gradients in a twin buffer with the same layout: one memset zeroes
 * the gradients, one MPI_Allreduce sums them, one loop updates them, one
 * write checkpoints them. Batch-norm moving statistics (saved with the
 * weights, never trained) are a third buffer. Every buffer is allocated by
 * net_new for batches of up to max_batch samples, so a training step
 * allocates nothing.
 *
 * The graph comes from the trial's network text (network_text.h) when it
 * has one, else from the short keys of the report's models
 * (models/blocks.h): per block [conv 3x3 + ReLU] x k -> max pool 2x2 ->
 * [batch norm] -> [dropout]; per hidden dense -> ReLU -> [batch norm] ->
 * [dropout] (L2 on the kernel); then dense(10). Either way the last layer
 * gives the 10 logits and softmax cross-entropy follows. Called by
 * train.c (and by tests, which drive single steps). */
#ifndef SWEEP_NET_H
#define SWEEP_NET_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config/trial.h"
#include "nn/layer.h"
#include "nn/layers/batchnorm.h"

#define NET_MAX_LAYERS 1024      /* ResNet152V2 has about 560 */

/* A named tensor: where a parameter or a moving statistic lives. */
typedef enum { TENSOR_PARAM, TENSOR_STATE } tensor_home;
typedef enum { INIT_GLOROT, INIT_ZERO, INIT_ONE } tensor_init;
typedef struct {
    char name[64];               /* "block0.conv0.weight", "dense0.bn.moving_var" */
    tensor_home home;
    size_t offset, count;
    int ndim, dims[4];
    tensor_init init;
    int layer;                   /* the layer that declared it */
    int fan_in, fan_out;         /* for glorot-uniform, as Keras counts them */
} net_tensor;

struct forward_mode {
    int training;                /* batch statistics and dropout on */
    long global_batch;           /* the whole batch across a data-parallel group */
    uint64_t seed;               /* with epoch, keys the dropout masks */
    int epoch;
    int weights_unchanged;       /* same parameters as the previous forward: layers may
                                  * reuse what they derived from them (inference) */
};

struct net {
    int max_batch;
    int n_layers;
    layer *layers;
    int n_tensors;
    net_tensor *tensors;
    size_t n_params, n_state;
    float *params, *grads;       /* twin buffers, same layout */
    float *state;                /* batch-norm moving mean/variance */
    float *input;                /* (max_batch, 1, 28, 28): the batch to run */
    uint8_t *labels;             /* (max_batch) */
    int *sample_ids;             /* (max_batch) dataset indices, key dropout */
    float *probs;                /* (max_batch, 10) softmax output */
    float *workspace;            /* scratch shared by the layers (conv im2col) */
    double *bn_scratch;          /* 2 x the widest layer: batch-norm sums */
    float *ones, *zeros;         /* the widest layer's count: the gamma of a batch norm
                                  * without scale, the bias of a conv without one */
    float *discard;              /* as wide: where their gradients go */
    float *grad_scratch;         /* a layer's input gradients, when the input has
                                  * other readers too (they are added up) */
    int image_c, image_h, image_w;   /* what n->input holds per sample: 1x28x28 */
    const float **values;        /* per layer, where its output is in this forward
                                  * (its own out, or in inference a skipped
                                  * dropout's input) */
    group_reducer reduce;        /* batch-norm sums across a group; none by default */
    size_t trained_from;         /* parameters before this are frozen (trainable = no) */
    int frozen_output;           /* the frozen front's one output layer, read by the rest;
                                  * -1: none (nothing frozen, or several outputs) */
    int first_to_run;            /* forward starts here (0); frozen_output + 1 when the
                                  * caller has put the front's output in its out */
    double *layer_seconds;       /* NULL, or the caller's 2 x n_layers: time spent in
                                  * each layer's forward, then backward, added up
                                  * (benchmarks set it; training leaves it NULL) */
};

/* Returns NULL with err set if the settings cannot be built (e.g. the
 * feature map shrinks to nothing). */
net *net_new(const trial_settings *t, int max_batch, char *err, int err_size);
void net_free(net *n);

/* The layer and tensor lists alone, no buffers (max_batch 0, every
 * pointer NULL): what the results file and the weights files need to
 * name and size tensors. Free with net_free. */
net *net_layout(const trial_settings *t, char *err, int err_size);

/* The layout of specs themselves (a network file's layers, their line
 * numbers kept; a base's): NULL with "network line N ([kind]): why" in err
 * if they make no model. */
net *net_layout_specs(const layer_spec *specs, int n_specs, char *err, int err_size);

/* Glorot-uniform kernels, zero biases, BN gamma 1 / beta 0, moving mean 0
 * and variance 1; draws keyed by (seed, tensor index). */
void net_init(net *n, uint64_t seed);

/* Runs n->input (B samples, 0 <= B <= max_batch) to n->probs. Returns the sum over the batch of
 * the cross-entropy with n->labels (which must hold B valid labels). */
double net_forward(net *n, int B, const forward_mode *mode);

/* The frozen front alone (layers up to frozen_output, inference mode): its
 * output is then in layers[frozen_output].out. No loss. */
void net_forward_front(net *n, int B, const forward_mode *mode);

void net_zero_grads(net *n);
/* Accumulates the gradient of (sum of cross-entropies / global_batch) into
 * n->grads. Call after net_forward in training mode on the same batch. */
void net_backward(net *n, int B, long global_batch);

/* Keras's kernel regulariser: loss += l2 * sum(w^2) per hidden dense kernel.
 * The gradient is added separately, after any cross-rank gradient sum, so a
 * data-parallel group adds it once and not once per rank. */
double net_l2_penalty(const net *n);
void net_add_l2_gradient(net *n);

/* "block0.conv0 direct, block1.conv0 winograd, ..." for the settings'
 * conv layers, without building the net's buffers (--verbose). Returns
 * the length written, like snprintf. */
int net_conv_algorithms_text(const trial_settings *t, char *buf, int size);

/* For --verbose and benchmarks: how a layer computes ("winograd",
 * "im2col", "direct" for conv; "gemm" for dense; "-" otherwise). */
const char *layer_algorithm(const layer *L);

/* For the kinds' shape functions: declares a tensor of layer L (named
 * "L.suffix") in params or state and returns its offset there. */
size_t net_declare_tensor(net *n, const layer *L, const char *suffix, tensor_home home,
                          int ndim, const int *dims, tensor_init init, int fan_in, int fan_out);

const net_tensor *net_find_tensor(const net *n, const char *name);
/* The tensor's values: in params (or grads, when gradient is set) or state. */
float *net_tensor_data(const net *n, const net_tensor *t, int gradient);

#endif
