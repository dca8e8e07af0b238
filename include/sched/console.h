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
#include "store/recorder.h"
#include "train/train.h"

void print_epoch_line(const trial_settings *t, const epoch_record *r);

/* The trial's done (or failed) lines, then the sweep's progress and ETA. */
void print_trial_end(const trial_settings *t, const trial_outcome *o, int done, int total,
                     double elapsed, double cost_done, double cost_total, verbosity v);

/* How many trials an earlier run finished, when any. */
void print_resume_line(const recorder *rec, int n_trials);

void print_convolutions(const trial_settings *t, verbosity v);

/* A sink's `progress` on rank 0. */
void print_progress(trial_sink *s, int index, const progress_figures *f);

/* Clears a terminal's live progress line, if one is shown. */
void clear_live_line(trial_sink *s);

#endif
