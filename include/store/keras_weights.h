/* keras_weights: the weights of a Keras model read from the HDF5 file
 * Keras 1 and 2 write (model.save_weights('x.h5'), model.save('x.h5') with
 * the weights under /model_weights, and the ImageNet "notop" bases
 * keras.applications downloads into ~/.keras/models/), layer by layer in
 * the model's order, each array as the file holds it. It knows nothing of
 * sweep's networks: the pretrained-base loader maps these onto its layers.
 *
 * The layout (Keras's legacy saving code, written by h5py): the root, or
 * /model_weights, has the attribute layer_names, one name a layer in the
 * model's order, layers without weights too (input_1, block1_pool); each
 * layer has a group of its name whose attribute weight_names names its
 * datasets by path inside the group, in Keras's order: Keras 2
 * "block1_conv1/kernel:0" (a group block1_conv1 inside the layer's group),
 * Keras 1 "block1_conv1_W_1:0". A list over HDF5's 64 KB attribute limit
 * is split by Keras as NAME0, NAME1, ...; lists are fixed-length (numpy
 * 'S') or variable-length strings; an empty list is an attribute of no
 * elements of any type. Conv kernels are (kh, kw, in, out), HWIO, then the
 * bias (out); dense kernels (in, out), then the bias; batch norm gamma,
 * beta, moving_mean, moving_variance (no gamma with scale=False).
 *
 * Keras 3's .weights.h5 (layers/CLASS/vars/N) is recognised and refused:
 * it names a layer by its class and its rank within the class ("conv2d_1"),
 * never by the layer's name, and keeps no order across classes, so nothing
 * in it says which layer of a network an array belongs to. */
#ifndef SWEEP_KERAS_WEIGHTS_H
#define SWEEP_KERAS_WEIGHTS_H

#include <stddef.h>

enum { KERAS_MAX_RANK = 4, KERAS_NAME_SIZE = 256 };

/* One dataset: values in the file's order (row-major, the shape dims[0..rank)),
 * converted to float from whatever the file stores (float16, float64, ints).
 * A scalar has rank 0 and count 1. */
typedef struct {
    char name[KERAS_NAME_SIZE];      /* as weight_names gives it: "block1_conv1/kernel:0" */
    int rank;
    int dims[KERAS_MAX_RANK];
    size_t count;
    float *values;                   /* NULL when count is 0 */
} keras_array;

typedef struct {
    char name[KERAS_NAME_SIZE];
    int n_arrays;                    /* 0 for input, pooling, activation... layers */
    keras_array *arrays;             /* in weight_names' order */
} keras_layer;

typedef struct {
    int n_layers;
    keras_layer *layers;             /* in layer_names' order: the model's */
    int format;                      /* 2: Keras's legacy HDF5 layout (Keras 1 or 2 names),
                                        the only one read */
    char keras_version[64];          /* "" where the file does not say (old files) */
    char backend[64];
} keras_weights;

/* Reads the whole file; every allocation belongs to the result. NULL on a
 * fault, with err one line naming the file and the fault: not HDF5, not a
 * Keras file, a Keras 3 file (and what to do), a layer without its group,
 * a weight without its dataset (naming both), a rank over 4, a dataset
 * that cannot be read (naming it). HDF5 prints nothing. */
keras_weights *keras_weights_read(const char *path, char *err, int err_size);
void keras_weights_free(keras_weights *w);

/* The layer of that name, or NULL. */
const keras_layer *keras_weights_find(const keras_weights *w, const char *layer_name);

/* How many layers hold weights (n_arrays > 0). */
int keras_weights_count_with_arrays(const keras_weights *w);

#endif
