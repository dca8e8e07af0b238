/* layer: one node of a model's graph, and the operations table each kind
 * of layer fills in (src/nn/kinds/KIND.c, one file a kind, Darknet's habit
 * kept for the whole layer and not only its kernels). A layer reads the
 * outputs of the layers it names as inputs (or the image), writes its own
 * output, and in backward turns the gradient at its output into gradients
 * at its inputs and parameters. The net (net.h) owns every buffer and
 * walks the layers in their topological order; nothing here allocates.
 *
 * A layer_spec is a layer as described -- by a network file
 * (network_text.h) or by the short keys of the report's models
 * (models/blocks.h) -- before shapes are known: the same graph builder
 * (net_new) turns either into layers. */
#ifndef SWEEP_LAYER_H
#define SWEEP_LAYER_H

#include <stddef.h>

#include "nn/layers/conv2d.h"
#include "nn/layers/pool2d.h"

#define LAYER_NAME_MAX 48
#define LAYER_MAX_INPUTS 8

typedef struct net net;
typedef struct layer layer;
typedef struct layer_ops layer_ops;
typedef struct forward_mode forward_mode;

/* An input's pixel scaling, as keras.applications' preprocess_input modes
 * (images arrive in [0, 1]): none; caffe (VGG: 0-255, RGB to BGR, the
 * ImageNet mean subtracted per channel); tf (InceptionV3, ResNetV2: [-1, 1]). */
enum { PREPROCESS_NONE, PREPROCESS_CAFFE, PREPROCESS_TF };

#define NO_TENSOR ((size_t)-1)   /* a layer's weight or bias that it lacks */

/* A layer as described. Keys a kind does not use stay at their defaults
 * (layer_spec_defaults); NAN l2 and rate mean "the trial's". */
typedef struct {
    const layer_ops *ops;
    char name[LAYER_NAME_MAX];
    int n_from;
    char from[LAYER_MAX_INPUTS][LAYER_NAME_MAX];   /* names, or "-N": N layers back */
    int filters, units;
    int kh, kw, sh, sw;          /* window and stride, cells */
    int valid;                   /* padding 'valid' (else 'same') */
    int relu;                    /* conv: activation = relu */
    int pad[4];                  /* zero_pad: top, bottom, left, right */
    int channels, size;          /* input: channels, side in pixels */
    double l2, rate;
    int frozen;                  /* trainable = no: Keras's layer.trainable = False */
    int bias;                    /* conv: use_bias (InceptionV3 and ResNetV2 convs have none) */
    int scale;                   /* batch_norm: a gamma (InceptionV3's have none) */
    double epsilon;              /* batch_norm: inside the square root */
    int preprocess;              /* input: PREPROCESS_* */
    int line;                    /* in the network text, for messages (0: built in code) */
} layer_spec;

void layer_spec_defaults(layer_spec *s, const layer_ops *ops);

/* What a layer's forward and backward see of its inputs. */
typedef struct {
    int n;
    const float *x[LAYER_MAX_INPUTS];   /* each input's values (B samples) */
    float *dx[LAYER_MAX_INPUTS];        /* where backward writes each input's gradient
                                         * (overwriting); NULL: not needed (the image) */
    const layer *from[LAYER_MAX_INPUTS];   /* the producing layers; NULL for the image */
} layer_inputs;

struct layer {
    const layer_ops *ops;
    char name[LAYER_NAME_MAX];   /* "block0.conv1", "stem", "output" */
    int index;                   /* position in the net: keys dropout masks */
    int n_inputs;
    int inputs[LAYER_MAX_INPUTS];   /* producing layers' indices; -1 = the image */
    int consumers;               /* layers that read this one's output */
    int in_frozen_front;         /* frozen, or parameter-free and fed only by such layers
                                  * or the image: runs in inference mode, no backward */
    int in_c, in_h, in_w;        /* the first input's per-sample shape */
    int out_c, out_h, out_w;     /* dense and global pooling: c features, h = w = 1 */
    int flat;                    /* the output is a vector, not a feature map */
    size_t weight, bias;         /* offsets into params/grads (batch norm: gamma, beta) */
    size_t moving_mean, moving_var;   /* offsets into state (batch norm) */
    float *out, *dout;           /* (max_batch, out_c*out_h*out_w) */
    float *buffer;               /* the kind's own floats (buffer_floats) */
    int *int_buffer;             /* and ints (int_buffer_count) */
    layer_spec spec;             /* as described, defaults resolved */
    union {                      /* what the kind derives at build time */
        struct { conv_shape shape; conv_algorithm algorithm; } conv;
        struct { pool2d_shape shape; } pool;
        struct { int unbiased_moving_var; } bn;
        struct { int channels[LAYER_MAX_INPUTS]; } concat;
    } u;
};

/* The operations of one kind. shape checks the inputs, sets the output
 * shape and declares the kind's tensors (net_declare_tensor); NULL entries
 * mean "nothing to do". */
struct layer_ops {
    const char *name;                    /* the section name in network files */
    const char *keys;                    /* the keys it takes there, besides name and from */
    int min_inputs, max_inputs;
    int (*shape)(net *n, layer *L, char *err, int err_size);
    size_t (*buffer_floats)(const layer *L, int max_batch);
    size_t (*int_buffer_count)(const layer *L, int max_batch);
    size_t (*workspace_floats)(const layer *L, int max_batch);   /* shared scratch */
    void (*forward)(net *n, layer *L, const layer_inputs *in, int B, const forward_mode *mode);
    void (*backward)(net *n, layer *L, const layer_inputs *in, int B, long global_batch);
    int identity_in_inference;           /* dropout: skipped when not training */
};

/* Every kind, in one list: X(IDENTIFIER). Each has its `IDENTIFIER_ops`
 * in src/nn/kinds/IDENTIFIER.c, named in network files by its name. */
#define LAYER_KINDS(X) \
    X(input) X(conv) X(dense) X(batch_norm) X(relu) X(max_pool) X(avg_pool) \
    X(global_avg_pool) X(add) X(concat) X(zero_pad) X(dropout) X(flatten)

#define DECLARE_LAYER_OPS(kind) extern const layer_ops kind##_ops;
LAYER_KINDS(DECLARE_LAYER_OPS)
#undef DECLARE_LAYER_OPS

/* The kind a network file names, or NULL. */
const layer_ops *layer_kind_named(const char *name);

/* "a, b, c" of every kind's name, for messages. */
const char *layer_kind_list(void);

size_t layer_out_size(const layer *L);   /* floats per sample */

/* For shape functions of kinds that keep their input's shape. */
void layer_keep_shape(layer *L);

#endif
