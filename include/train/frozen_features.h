/* frozen_features: a frozen base's output for every image, computed once
 * and reused. A frozen front (net.h: frozen_output) does not change while
 * its head trains, so each image's features are a function of the image,
 * the base, its weights file and the input transform alone: the trainer
 * computes them once (data-parallel across its group: each rank its share,
 * then one sum), keeps them, and trains and tests the head from them.
 *
 * With a cache directory they are also kept in a file there, keyed by what
 * they depend on (base, width, input size and its preprocessing, the
 * weights file's checksum -- or, without weights, the seed that drew the
 * base -- and the data settings), so every later trial and rerun that
 * uses the same base reads them instead. A file whose key differs is
 * ignored and replaced; a cache that cannot be written costs only the
 * reuse (one warning). The trainer owns one (train.h:
 * trainer_use_frozen_features); this header is its state. */
#ifndef SWEEP_TRAIN_FROZEN_FEATURES_H
#define SWEEP_TRAIN_FROZEN_FEATURES_H

#include <stddef.h>

#include "config/trial.h"

typedef struct {
    int layer;                   /* the net's frozen_output; -1: not in use */
    size_t floats;               /* per image */
    float *train, *validation, *test;   /* count x floats each */
    int from_file;               /* read from the cache rather than computed */
    double seconds;              /* spent computing or reading them */
    char path[TRIAL_PATH_MAX + 64];   /* the cache file, "" without a directory */
} frozen_features;

void frozen_features_free(frozen_features *f);

#endif
