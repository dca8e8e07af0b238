/* run_trial: one trial trained to its end (or to a rung's budget) on one
 * rank or on every rank of a group together -- data, checkpoint and resume, epochs, the outcome --
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
 * only the leader reports to the sink. It trains until `epochs` epochs
 * are done (a rung's budget; t->epochs for the whole trial) or the trial
 * stops sooner: stopped at the budget, before t->epochs, it ends
 * OUTCOME_PAUSED with that epoch's checkpoint, untested. */
void train_trial(int index, const trial_settings *t, const trial_group *g,
                 const char *checkpoint_dir, int epochs, dataset_cache *cache,
                 trial_sink *sink);

#endif
