/* dispatcher: rank 0 under mpirun. It hands the trials still to run to the
 * groups' leaders as they ask, as the search planner says (search_plan.h:
 * largest expected cost first among those free to start; a leader may
 * wait for a rung to be decided), records and
 * prints what they send back, and tells every group to stop when the work
 * is done, a signal came or the results file cannot be published.
 * Called by sched_run (scheduler.c); internal to the scheduler (src/sched/). */
#ifndef SWEEP_DISPATCHER_H
#define SWEEP_DISPATCHER_H

#include "config/config.h"
#include "sched/messages.h"
#include "sched/scheduler.h"
#include "store/recorder.h"

/* Runs until every one of l's groups has been told to stop. Returns
 * whether stop messages went out; *error_status is the first worker
 * error's exit status, or 0; *search_done whether the search has nothing
 * left to train (search_plan_finish). */
int run_scheduler(const sweep_config *c, const sched_options *o, const sweep_layout *l,
                  recorder *rec, int world_size, int *error_status, int *search_done);

#endif
