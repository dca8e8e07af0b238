/* worker: a group's ranks under mpirun. The leader asks rank 0 for a trial,
 * the whole group trains it (run_trial.h), and the leader sends rank 0 its
 * epochs, progress and outcome as messages (messages.h); until rank 0
 * answers with a stop. Called by sched_run (scheduler.c) on every rank of a
 * group; internal to the scheduler (src/sched/). */
#ifndef SWEEP_WORKER_H
#define SWEEP_WORKER_H

#include "train/group.h"

/* Returns 0 when rank 0 has told the group to stop. */
int work_in_group(const trial_group *g);

#endif
