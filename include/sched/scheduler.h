/* scheduler: runs a sweep's trials. Rank 0 keeps the results file
 * (recorder.h): trials it records as done are not run again, and every
 * epoch and result is sent to it. With one rank, that rank trains them one
 * after another. With more, rank 0 schedules and the other ranks train, in
 * groups of G (ranks per trial): an idle group's leader asks rank 0 for
 * work, rank 0 answers with the next trial (largest expected cost first)
 * as a message holding the whole trial_settings and the epochs to train
 * it to, until none is left and every group is told to stop. What runs
 * next, and how far, is the search planner's (search/halving.h): every
 * trial once for a grid, rung by rung for successive halving, where a
 * group may wait for a rung to be decided. Ranks beyond the groups a grid can use wait
 * for the end. Nobody busy-waits: idle ranks poll with short sleeps, so
 * their cores stay free for the ranks that train. Rank 0 prints progress
 * and, at the end, the results table. Each trial's leader checkpoints it
 * after every epoch under jobs/SWEEP/TRIAL.h5 and resumes from there when
 * the trial runs again. A stop signal (signals.h) ends the sweep with
 * EXIT_INTERRUPTED after every group has stopped. Called by main on every
 * rank. */
#ifndef SWEEP_SCHEDULER_H
#define SWEEP_SCHEDULER_H

#include <stdint.h>

#include "train/pretrained.h"
#include "config/config.h"
#include "train/train.h"

typedef enum { VERBOSITY_QUIET, VERBOSITY_NORMAL, VERBOSITY_VERBOSE } verbosity;

typedef struct {
    int ranks_per_trial;
    verbosity verbosity;
    const char *output;          /* results file; NULL = the configuration's */
    int fresh;                   /* move the old results aside and start over */
    const char *version;
} sched_options;

/* What one trial produced: a plain value, sent to rank 0 as bytes. */
/* OUTCOME_ERROR: the trial could not be trained where it was sent (its
 * data, checkpoint or model could not be set up or written); the message
 * and exit status say why, and the sweep stops with that status.
 * OUTCOME_PAUSED: it reached the epochs it was sent to train (a rung's
 * budget, search/halving.h) before its [train] epochs, with that epoch's
 * checkpoint written; not tested. Rank 0 records it pruned until the
 * search promotes it. */
typedef enum {
    OUTCOME_PENDING, OUTCOME_DONE, OUTCOME_INTERRUPTED, OUTCOME_FAILED, OUTCOME_ERROR,
    OUTCOME_PAUSED
} outcome_status;

typedef struct {
    outcome_status status;
    int epochs_run, best_epoch;
    double seconds;
    test_result test;
    uint64_t fingerprint;        /* FNV-1a of the tested weights and moving statistics */
    long parameters;             /* trainable, for --verbose */
    int train_images, validation_images, test_images;
    int resumed_from_epoch;      /* 0 = trained from scratch */
    long state_values;           /* batch-norm moving statistics sent after the weights */
    pretrained_source base_source;   /* a base's weights file, as the trainer read it */
    int features;                /* a frozen base's features: 0 none, 1 computed, 2 read */
    double features_seconds;
    char features_file[512];     /* where they are cached ("" if nowhere) */
    int exit_status;             /* OUTCOME_ERROR: EXIT_USAGE, EXIT_DATA or EXIT_IO */
    char message[1024];          /* OUTCOME_ERROR: one line, "PATH: fault" */
} trial_outcome;

/* Rank 0 passes the loaded configuration, the others NULL. Every rank
 * returns 0 when the sweep is done, or an exit status. */
int sched_run(const sweep_config *c, const sched_options *o);

#endif
