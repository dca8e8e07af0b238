/* recorder: rank 0's side of the results file. It takes the file's lock,
 * reads what an earlier run recorded (or, with --fresh, moves that file
 * and the checkpoints aside), matches it to the grid, and then turns the
 * trials' events -- started, an epoch, done, failed, stopped -- into
 * records and publishes the file: when a trial ends, otherwise at most
 * every publish_interval seconds while something changed, and a last time
 * when the sweep ends or is signalled -- but never sooner after a publish
 * than 19 times that publish's duration, so that publishing stays under
 * 5% of rank 0's time however many records the file holds. A done trial's
 * best weights are written at once to their own file (weights_file.h). The scheduler calls it;
 * nothing else writes the results file. */
#ifndef SWEEP_RECORDER_H
#define SWEEP_RECORDER_H

#include "config/config.h"
#include "store/lock.h"
#include "store/results.h"

typedef struct {
    const char *output;          /* results file; NULL = the config's */
    int fresh;                   /* start over, moving the old file aside */
    const char *version;
    int mpi_size, ranks_per_trial;
} recorder_options;

typedef struct {
    sweep_results results;
    char path[TRIAL_PATH_MAX];
    char checkpoint_dir[TRIAL_PATH_MAX];
    results_lock lock;
    double interval, last_publish;   /* seconds: publish_interval, wall_seconds() */
    double last_publish_seconds;     /* how long the last publish took */
    double publish_seconds;          /* all publishes so far */
    int publishes;
    int dirty;                   /* changed since the last publish */
    int trial_ended;             /* a trial's end is not yet published */
    int failed_publish;          /* a publish failed: the sweep must stop */
    int already_done;            /* trials done before this run started */
} recorder;

/* Returns 0, or an exit status with a one-line message printed (the file
 * is locked by another job, is not a sweep results file, is damaged, its
 * directory cannot be written). Publishes the starting state. */
int recorder_open(recorder *rec, const sweep_config *c, const recorder_options *o);

/* Events for c's trial i. */
void recorder_started(recorder *rec, int i, int ranks, const char *host,
                      const char *blas_core);
void recorder_epoch(recorder *rec, int i, const epoch_record *e);
void recorder_stopped(recorder *rec, int i);
void recorder_failed(recorder *rec, int i, int epochs_run);
/* Stopped at its rung's budget (epochs_run epochs), not promoted (yet). */
void recorder_pruned(recorder *rec, int i, int epochs_run);
/* Sent to `rung` (before recorder_started): a promotion when it is higher
 * than the record's. */
void recorder_rung(recorder *rec, int i, int rung);
/* A base's trial: the weights file it started from (recorded with its
 * results at recorder_done). */
void recorder_base_source(recorder *rec, int i, const pretrained_source *source);
void recorder_done(recorder *rec, int i, int epochs_run, int best_epoch, const test_result *test,
                   const uint8_t *predictions, int n_predictions, const float *params,
                   size_t n_params, const float *state, size_t n_state);

/* Publishes if something changed and the wait (above) has passed; the
 * scheduler calls it between events so that a trial's end waiting for the
 * cost bound is published soon after it allows. */
void recorder_publish_if_due(recorder *rec);

/* Publishes the final state, releases the lock and frees everything.
 * Returns 0, or EXIT_IO if any publish failed (the message was printed
 * then; the file holds the last state that could be written). */
int recorder_close(recorder *rec);

#endif
