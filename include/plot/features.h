/* features: what a trained trial's penultimate layer makes of test images
 * (the input of its output layer: the last hidden dense layer's
 * activations, or the flattened feature maps when it has none), and their
 * projection to two dimensions by PCA, for the study's feature scatter.
 * Reads the trial's best weights through weights_file.h; builds its own
 * net for inference. Called by plot.c. */
#ifndef SWEEP_PLOT_FEATURES_H
#define SWEEP_PLOT_FEATURES_H

#include <stdint.h>

#include "store/results.h"

/* Runs n images (28x28 bytes each) through t's best weights. On success
 * *features is a malloc'd n x *dims array and 0 is returned; otherwise -1
 * with err one line naming the weights file. */
int features_of_trial(const trial_record *t, const uint8_t *images, int n, float **features,
                      int *dims, char *err, int err_size);

/* The first two principal components of n rows of d features, as n
 * (x, y) pairs in xy (2n doubles): centred, projected on the covariance's
 * two leading eigenvectors (power iteration with deflation, from a fixed
 * start, each vector's largest component made positive: the same input
 * gives the same picture). *explained receives the fraction of the
 * variance each component carries. */
void features_pca_2d(const float *features, int n, int d, double *xy, double explained[2]);

#endif
