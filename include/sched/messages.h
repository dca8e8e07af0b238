/* messages: what ranks say to each other during a sweep -- the layout rank
 * 0 broadcasts first, then, between a group's leader and rank 0, named
 * tags with plain structs sent as MPI_BYTE -- and how an idle rank waits
 * for one without spinning. Internal to the scheduler (src/sched/): the
 * dispatcher, the workers, a trial's stop check and the end of a sweep. */
#ifndef SWEEP_MESSAGES_H
#define SWEEP_MESSAGES_H

#include <mpi.h>

#include "config/trial.h"
#include "sched/progress.h"
#include "sched/scheduler.h"
#include "store/results.h"
#include "train/train.h"

/* Message tags between a group's leader and rank 0. */
enum sched_tag {
    TAG_READY = 1, TAG_ASSIGN, TAG_EPOCH, TAG_RESULT, TAG_RESULT_DATA, TAG_STOP, TAG_PROGRESS
};

typedef struct {
    int index;                   /* into the sweep's trials; -1 = stop */
    char settings_text[TRIAL_TEXT_MAX];   /* trial_settings_to_text: a worker
                                           * rebuilds the trial from it */
    char checkpoint_dir[TRIAL_PATH_MAX];
    int epochs;                  /* train until this many are done: the rung's budget
                                  * (search/halving.h), the trial's epochs for a grid */
    double progress_seconds;     /* between progress messages; 0 = none (or --quiet) */
} assign_msg;

typedef struct {
    int group_size;
    char host[MPI_MAX_PROCESSOR_NAME];   /* the leader's node */
    char blas_core[RESULTS_CORE_MAX];    /* the leader's OpenBLAS kernels */
} ready_msg;

typedef struct {
    int index;
    epoch_record record;
    int replayed;                /* restored from a checkpoint, not trained now */
} epoch_msg;

typedef struct {
    int index;
    trial_outcome outcome;
} result_msg;

typedef struct {
    int index;
    progress_figures figures;
} progress_msg;

/* What every rank must know before the work starts. */
typedef struct {
    int status;                  /* 0, or the exit status every rank returns */
    int n_trials, ranks_per_trial, n_groups;
} sweep_layout;

/* Waits for request, sleeping between tests: for a rank with nothing to
 * do but wait, instead of a blocking call. */
void wait_patiently(MPI_Request *request);

#endif
