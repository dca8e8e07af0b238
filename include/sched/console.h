/* console: every line the scheduler prints on stdout while a sweep runs --
 * trial starts and ends, epochs, progress within an epoch (redrawn in place
 * on a terminal), the overall ETA. Each line is written whole and flushed,
 * so lines from many groups never interleave. Rank 0 (or the lone rank)
 * only; internal to the scheduler (src/sched/). */
#ifndef SWEEP_CONSOLE_H
#define SWEEP_CONSOLE_H

#include "config/config.h"
#include "sched/progress.h"
#include "sched/scheduler.h"
#include "sched/trial_sink.h"
#include "search/halving.h"
#include "store/recorder.h"
#include "train/train.h"

void print_epoch_line(const trial_settings *t, const epoch_record *r);

/* "start NAME", then `where` (under MPI: " on G ranks led by rank R on
 * HOST"), then for a search in rungs " at rung K (to epoch E)". */
void print_start(const trial_settings *t, const char *where, const halving_step *s,
                 int in_rungs);

/* The trial's done (or failed) lines. */
void print_trial_end(const trial_settings *t, const trial_outcome *o, verbosity v);

/* A trial stopped at its rung's budget: what ranks it there. */
void print_rung_end(const trial_settings *t, int rung, int epoch, search_metric metric,
                    double value);

/* The sweep's progress and ETA: `done` trials finished (for a search in
 * rungs, done or pruned for good) of `total`. */
void print_sweep_progress(int done, int total, int in_rungs, double elapsed, double cost_done,
                          double cost_total);

/* How many trials an earlier run finished (or pruned), when any. */
void print_resume_line(const recorder *rec, int n_trials, int in_rungs);

void print_convolutions(const trial_settings *t, verbosity v);

/* A sink's `progress` on rank 0. */
void print_progress(trial_sink *s, int index, const progress_figures *f);

/* Clears a terminal's live progress line, if one is shown. */
void clear_live_line(trial_sink *s);

#endif
