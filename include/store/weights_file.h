/* weights_file: one finished trial's best weights in an HDF5 file of their
 * own, RESULTS.weights/STARTED/NAME-HASH.h5 beside the results file, which
 * links it as /trials/NAME/weights (an HDF5 external link, so h5py, h5dump
 * and `sweep predict` reach the tensors through the results file). A trial's
 * weights are written once, when it ends, atomically (h5io's temp file,
 * fsync and rename); the results file then grows with summaries alone.
 *
 * Inside: /weights/LAYER/TENSOR ("block0.conv0.weight" is
 * /weights/block0.conv0/weight, shapes as net.h lays them out), and on the
 * root the trial's name, settings hash and settings text, so a weights
 * file found alone still says what it is. The tensor list comes from
 * net_layout, which allocates no buffers. STARTED is the sweep's start
 * ("20261202T150000Z"): a sweep started afresh never overwrites the
 * weights an older results file links. */
#ifndef SWEEP_WEIGHTS_FILE_H
#define SWEEP_WEIGHTS_FILE_H

#include <stddef.h>

#include "nn/net.h"
#include "config/trial.h"

#define WEIGHTS_FORMAT "sweep weights 1"   /* root attribute `format` */
#define WEIGHTS_OBJECT "/weights"          /* the group the results file links */

/* Where trial s's weights go for the results file at results_path and a
 * sweep started at `started` ("2026-12-02T15:00:00Z"): written to `path`
 * (openable from here) and `link` (the same file, relative to the results
 * file's directory: what the external link holds). Returns -1 if either
 * would not fit. */
int weights_file_place(const char *results_path, const char *started,
                       const trial_settings *s, char *path, size_t path_size, char *link,
                       size_t link_size);

/* Writes params and state (net_layout(s)'s layout, n_params and n_state
 * values) to path, atomically, creating its directories. Returns 0, or -1
 * with err one line naming the file and the fault. */
int weights_file_write(const char *path, const trial_settings *s, const float *params,
                       size_t n_params, const float *state, size_t n_state, char *err,
                       int err_size);

/* Copies the weights group `object` of file `from` (a weights file's
 * "/weights", or a format-1 results file's "/trials/NAME/weights") to a
 * new weights file at path, atomically. 0, or -1 with err. */
int weights_file_copy(const char *from, const char *object, const trial_settings *s,
                      const char *path, char *err, int err_size);

/* Reads the weights group `object` of file `path` into n's params and
 * state (n built from s). 0, or -1 with err naming the file and what is
 * missing or does not fit. */
int weights_file_read(const char *path, const char *object, net *n, char *err, int err_size);

#endif
