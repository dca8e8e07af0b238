/* search_plan: rank 0's side of the search planner (search/halving.h).
 * It keeps the planner's view of every trial of the grid current from the
 * records as their events are recorded, and the order to prefer among
 * trials free to start (file order alone; under MPI the largest expected
 * cost first, so the long trials do not finish last); it records what a
 * step does (the rung a trial is sent to, before it starts, so asha's
 * promotions outlive a kill), and at the end of the search marks the
 * trials left unpromoted pruned. Used by the lone rank's loop
 * (scheduler.c), the dispatcher and rank 0's sink (trial_sink.c);
 * internal to the scheduler (src/sched/). */
#ifndef SWEEP_SEARCH_PLAN_H
#define SWEEP_SEARCH_PLAN_H

#include "config/config.h"
#include "search/halving.h"
#include "store/recorder.h"

typedef struct search_plan {
    const sweep_config *config;
    recorder *rec;
    halving_trial *view;          /* the grid's trials, as their records stand */
    halving_standing *standings;  /* the progress line's scratch */
    int *order;                   /* every trial index, the order to prefer */
    char *held;                   /* stopped by a signal or a fault in this run: not
                                   * sent again before the run ends */
} search_plan;

/* by_cost: prefer the largest expected cost (the dispatcher); else file order. */
void search_plan_init(search_plan *p, const sweep_config *c, recorder *rec, int by_cost);
void search_plan_free(search_plan *p);

/* Whether the search trains in rungs (sha, asha). */
int search_plan_in_rungs(const search_plan *p);

/* After anything was recorded for trial i. */
void search_plan_update(search_plan *p, int i);

/* Trial i came back interrupted (a signal, a fault): the planner takes it
 * as ended until the run is over, so no group starts it again meanwhile
 * (another rank may not have seen the signal yet) and none waits for it. */
void search_plan_hold(search_plan *p, int i);

halving_step search_plan_next(const search_plan *p);

/* A RUN step's trial starts on `ranks` ranks led from host: its rung is
 * recorded, then its start. */
void search_plan_begin(search_plan *p, const halving_step *s, int ranks, const char *host,
                       const char *blas_core);

/* For the progress line: the trials whose fate is settled (done, failed,
 * or pruned for good), and into *cost_to_run what the search is still
 * expected to train (cost.h). */
int search_plan_settled(search_plan *p, double *cost_to_run);

/* What ranked trial i at the rung it last stopped at (a pruned trial's
 * best val_accuracy or val_loss over its epochs), for its line. */
double search_plan_metric(const search_plan *p, int i);

/* At the end (nothing running; held trials count as they are recorded):
 * whether nothing is left to train. If so, the trials that
 * did not end (stopped at a rung, never promoted) are recorded pruned. */
int search_plan_finish(search_plan *p);

#endif
