/* trial_sink: where a trial's leader sends what its trial did -- each
 * epoch, the progress within one, how it ended. Rank 0's sink (here)
 * records into the results file and prints; a worker's sink (worker.c)
 * sends messages that rank 0's dispatcher feeds to the same functions.
 * Internal to the scheduler (src/sched/). */
#ifndef SWEEP_TRIAL_SINK_H
#define SWEEP_TRIAL_SINK_H

#include <stdint.h>

#include "config/config.h"
#include "sched/progress.h"
#include "sched/scheduler.h"
#include "store/recorder.h"
#include "train/train.h"

struct search_plan;

/* A trial's leader reports through a sink: straight into rank 0's
 * recorder when one rank does everything, as messages to rank 0 otherwise.
 * `replayed` epochs come from a checkpoint: recorded again, not printed. */
typedef struct trial_sink {
    void (*epoch)(struct trial_sink *s, int index, const epoch_record *r, int replayed);
    void (*finished)(struct trial_sink *s, int index, const trial_outcome *o, const trainer *tr);
    recorder *rec;               /* one rank only */
    const sweep_config *config;
    const sched_options *options;
    int done;
    double start, cost_done, cost_total;
    int error_status;            /* rank 0: the first worker error's exit status, or 0 */
    /* A progress line within an epoch (progress.h); NULL: none (--quiet). */
    void (*progress)(struct trial_sink *s, int index, const progress_figures *f);
    double progress_seconds;     /* between plain lines (or messages); 0 = none */
    int live;                    /* one process, stdout a terminal: redrawn in place */
    int live_shown;              /* a live line is on the screen, not yet cleared */
    struct search_plan *plan;    /* rank 0: the planner's view, kept current */
} trial_sink;

/* Rank 0's sink, recording into rec, printing, keeping plan current (its
 * `finished` and `live` are the caller's to set); the ETA starts from the
 * cost the plan expects. */
trial_sink rank0_sink(const sweep_config *c, const sched_options *o, recorder *rec,
                      struct search_plan *plan);

/* Rank 0. predictions, params and state: a done trial's, NULL otherwise.
 * A trial stopped at its rung (OUTCOME_PAUSED) is recorded pruned. */
void record_outcome(trial_sink *s, int index, const trial_outcome *o,
                    const uint8_t *predictions, const float *params, const float *state);

/* Rank 0: the sink's `epoch`. */
void record_epoch(trial_sink *s, int index, const epoch_record *r, int replayed);

/* The lone rank's `finished`: the trainer is here, so nothing is copied. */
void finished_here(trial_sink *s, int index, const trial_outcome *o, const trainer *tr);

#endif
