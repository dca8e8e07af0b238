/* train: trains one trial the way Keras's model.fit does it -- shuffled
 * mini-batches, validation after every epoch, early stopping on
 * val_accuracy with the trial's patience, at most `epochs` epochs -- then
 * restores the best epoch's weights and measures the test set.
 * Everything that defines where training stands (weights, moving
 * statistics, Adam moments, epoch counters, best weights, history) is in
 * the trainer struct, and each epoch's shuffle and dropout masks are keyed
 * by (seed, epoch), so a trainer restored at an epoch boundary continues
 * exactly as if it had never stopped. The caller (main today, a worker rank
 * later) drives epochs one at a time or calls trainer_fit. */
#ifndef SWEEP_TRAIN_H
#define SWEEP_TRAIN_H

#include <stdint.h>

#include "optim/adam.h"
#include "data/data.h"
#include "train/group.h"
#include "train/metrics.h"
#include "train/frozen_features.h"
#include "train/pretrained.h"
#include "nn/net.h"
#include "config/trial.h"

typedef struct {
    int epoch;                  /* 1-based, as Keras prints it */
    double loss, accuracy;      /* training, averaged over the epoch's samples */
    double val_loss, val_accuracy;
    double seconds;             /* training plus validation */
} epoch_record;

typedef struct {
    double loss;                /* mean cross-entropy + L2 penalty, as Keras's evaluate */
    class_metrics metrics;
} test_result;

typedef void (*epoch_callback)(const epoch_record *record, void *ctx);

/* Where the epoch stands after `step` of its `steps` batches: once with
 * step 0 before the first batch, then after every batch. The sums are this
 * rank's rows of the batches so far (in a group, the leader's share), the
 * L2 penalty counted per row as the epoch's loss counts it, so after the
 * last step of a single rank loss_sum / rows and correct / rows equal the
 * epoch's loss and accuracy. images counts the whole group's. */
typedef struct {
    int epoch, step, steps;
    long images, rows;
    double loss_sum;            /* cross-entropy + L2 penalty over `rows` */
    long correct;
} step_report;

/* Called at every step: it must be cheap, and it must not print on every
 * call (progress.h decides when a line is due). */
typedef void (*step_callback)(const step_report *report, void *ctx);

typedef struct {
    trial_settings settings;
    const dataset *data;        /* borrowed; every rank of a group holds all of it */
    const trial_group *group;   /* borrowed; NULL when training alone */
    net *net;
    adam_state *adam;
    int epochs_done;
    int best_epoch;             /* 1-based; 0 before the first epoch */
    double best_val_accuracy;
    int epochs_since_best;      /* Keras EarlyStopping's `wait` */
    int stopped;                /* early stopping fired or the epoch limit was reached */
    int interrupted;            /* an epoch was abandoned: the state is unusable */
    int (*stop_requested)(void); /* polled at every step; NULL = never */
    step_callback on_step;      /* NULL = none; the caller sets both */
    void *on_step_ctx;
    float *best_params, *best_state;
    epoch_record *history;      /* settings.epochs entries, epochs_done filled */
    int *order;                 /* this epoch's permutation of the training set */
    int *eval_indices;          /* one inference batch's sample indices */
    uint8_t *test_predictions;  /* data->test.count, after trainer_test */
    pretrained_source pretrained;   /* the base's weights file, if any ("none") */
    frozen_features features;   /* a frozen base's output per image; layer -1: none */
} trainer;

trainer *trainer_new(const trial_settings *t, const dataset *d, char *err, int err_size);

/* The same for one rank of a data-parallel group: every rank calls the
 * same functions in the same order; each takes its share of every global
 * batch, the group sums batch-norm statistics and gradients, the leader
 * validates and tells the others. Weights stay identical on every rank,
 * and match a single-rank run on the same global batches up to float
 * summation order. trainer_test and trainer_evaluate are the leader's. */
trainer *trainer_new_in_group(const trial_settings *t, const dataset *d,
                              const trial_group *group, char *err, int err_size);
void trainer_free(trainer *tr);

/* One epoch of training and validation; updates early stopping. Returns
 * NULL if stop_requested said so (on any rank of the group) before the
 * epoch was done: the epoch is abandoned, tr->interrupted is set, and only
 * a checkpoint of an earlier epoch can continue the trial. */
const epoch_record *trainer_epoch(trainer *tr);

/* Epochs until tr->stopped (or tr->interrupted), calling on_epoch (may be NULL) after each. */
void trainer_fit(trainer *tr, epoch_callback on_epoch, void *ctx);

/* One optimisation step on samples `indices` (B of them, this rank's
 * share of a global batch of global_B) of s: forward, backward, gradient
 * sum over the group, L2, Adam. Returns this rank's cross-entropy sum.
 * trainer_epoch calls it for every batch; benchmarks call it alone. */
double trainer_train_batch(trainer *tr, const image_set *s, const int *indices, int B,
                           int global_B, int epoch);

/* Inference over a whole set: mean loss (with the L2 penalty), accuracy,
 * and each sample's predicted class if predictions is not NULL. */
void trainer_evaluate(trainer *tr, const image_set *s, double *loss, double *accuracy,
                      uint8_t *predictions);

/* Makes dst stand exactly where src stands (weights, moving statistics,
 * Adam moments and step, epoch counters, best weights, history): what a
 * checkpoint saves and restores. Both must be built from the same settings
 * and data. */
void trainer_copy_state(trainer *dst, const trainer *src);

/* Makes every rank of the group stand where its leader stands (the state
 * trainer_copy_state copies): after the leader alone read a checkpoint. */
void trainer_broadcast_state(trainer *tr, const trial_group *g);

/* For a net with a frozen front (net.h: frozen_output), computes the
 * front's output for every image once -- or reads it from cache_dir's
 * file for the same key (NULL: no file) -- and from then on trains and
 * evaluates the rest from it. Every rank of a group calls it. Does
 * nothing for other nets. A cache that cannot be written is a warning on
 * stderr, not an error: it costs only the reuse. */
void trainer_use_frozen_features(trainer *tr, const char *cache_dir);

/* The front's output of rows `indices` of s (one of the trainer's sets)
 * into the net in place of the images: 1, or 0 when no features are in use. */
int frozen_features_load(const trainer *tr, const image_set *s, const int *indices, int B);

/* Loads the best epoch's weights into the net and measures the test set. */
void trainer_test(trainer *tr, test_result *result);

#endif
