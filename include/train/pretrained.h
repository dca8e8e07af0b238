/* pretrained: a trial's base (nn/models/bases.h) given its Keras weights
 * -- the file found (base_weights, or where Keras keeps its downloads),
 * read (store/keras_weights.h), matched layer by layer onto the net's base
 * and copied in, Keras's layouts turned into ours (conv kernels HWIO to
 * OIHW). Layers match by name; where the names differ only in Keras's
 * creation counter (InceptionV3's conv2d_1 against conv2d), by their rank
 * within the class. Every fault is one line naming the file: missing (and
 * the Keras file name expected and where Keras keeps it), not Keras's,
 * a layer missing, a shape mismatch (the layer and both shapes), or a
 * layer of another architecture. */
#ifndef SWEEP_TRAIN_PRETRAINED_H
#define SWEEP_TRAIN_PRETRAINED_H

#include <stdint.h>

#include "config/trial.h"
#include "nn/net.h"

/* What the results file records of the weights a trial started from. */
typedef struct {
    char path[TRIAL_PATH_MAX];   /* as opened; "none" for random weights */
    long long bytes;             /* the file's size */
    uint64_t checksum;           /* FNV-1a 64 of its bytes */
} pretrained_source;

/* Whether t starts from a weights file (a base whose base_weights is not "none"). */
int pretrained_wanted(const trial_settings *t);

/* The file a trial's base reads: base_weights, or Keras's own place for
 * the base's notop file ($KERAS_HOME/models/, else ~/.keras/models/). */
int pretrained_path(const trial_settings *t, char *path, int size);

/* Loads t's base weights into n (built from t): 0, or -1 with err. With
 * source non-NULL, fills it. A trial without a base, or with base_weights
 * = none, loads nothing and returns 0. */
int pretrained_load(net *n, const trial_settings *t, pretrained_source *source, char *err,
                    int err_size);

/* The same checks without a net's buffers (rank 0 before any training):
 * 0, or -1 with err. */
int pretrained_check(const trial_settings *t, char *err, int err_size);

/* The checksum and size of a file: 0, or -1 with err naming it. */
int pretrained_checksum(const char *path, pretrained_source *source, char *err, int err_size);

#endif
