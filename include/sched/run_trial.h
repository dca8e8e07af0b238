/* run_trial: one trial trained to its end on one rank or on every rank of
 * a group together -- data, checkpoint and resume, epochs, the outcome --
 * reported by the leader through a sink (trial_sink.h). Called by the lone
 * rank's loop (scheduler.c) and by every worker (worker.c). Internal to the
 * scheduler (src/sched/). */
#ifndef SWEEP_RUN_TRIAL_H
#define SWEEP_RUN_TRIAL_H

#include "config/config.h"
#include "sched/data_cache.h"
#include "sched/trial_sink.h"
#include "train/group.h"

/* g: the group, NULL for one rank alone. Every rank of the group calls it;
 * only the leader reports to the sink. */
void train_trial(int index, const trial_settings *t, const trial_group *g,
                 const char *checkpoint_dir, dataset_cache *cache, trial_sink *sink);

#endif
