/* dispatcher: rank 0 under mpirun. It hands the trials still to run to the
 * groups' leaders as they ask, largest expected cost first, records and
 * prints what they send back, and tells every group to stop when the work
 * is done, a signal came or the results file cannot be published.
 * Called by sched_run (scheduler.c); internal to the scheduler (src/sched/). */
#ifndef SWEEP_DISPATCHER_H
#define SWEEP_DISPATCHER_H

#include "config/config.h"
#include "sched/messages.h"
#include "sched/scheduler.h"
#include "store/recorder.h"

/* Runs until every one of l's groups has been told to stop. */
int run_scheduler(const sweep_config *c, const sched_options *o, const sweep_layout *l,
                  recorder *rec, int world_size, int *error_status);

#endif
