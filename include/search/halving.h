/* halving: what a search trains next, and how far. grid and random train
 * every trial once to its [train] epochs. sha (synchronous successive
 * halving) and asha (asynchronous, Li et al., MLSys 2020) train in rungs:
 * rung k's budget is min_epochs x reduction^k epochs while that is below
 * the trial's epochs, the last rung's is its epochs; the best 1/reduction
 * of a rung's trials (by the best metric over epochs 1..budget, ties to
 * the lower index) go on to the next rung from their checkpoint, the rest
 * are pruned. Pure functions of the trials' states -- epochs trained, the
 * history, the rung last given, ended or not, running or not -- with no
 * MPI and no I/O: sha's decisions follow from the histories alone, asha's
 * from them and the order in which they came. Rank 0 asks it (src/sched/
 * search_plan.c); the cost model uses its rungs for the ETA. */
#ifndef SWEEP_SEARCH_HALVING_H
#define SWEEP_SEARCH_HALVING_H

#include "config/config.h"
#include "train/train.h"

/* One trial as the planner sees it. */
typedef struct {
    int epochs;                   /* its [train] epochs: the last rung's budget */
    int epochs_done;              /* entries in history */
    const epoch_record *history;  /* epoch 1 first */
    int rung;                     /* the rung it was last sent to (asha: the promotions
                                   * taken; sha recomputes its own from the histories
                                   * and reads this only of a running trial) */
    int ended;                    /* trains no further: done (all its epochs, or early
                                   * stopping) or failed */
    int failed;                   /* a non-finite loss: ranks below every other trial */
    int running;                  /* sent and not yet back: neither finished nor free */
} halving_trial;

typedef enum { HALVING_RUN, HALVING_WAIT, HALVING_DONE } halving_action;

/* RUN: train `trial` in `rung` until it has `epochs` epochs (or stops
 * early). WAIT: nothing may start until a running trial comes back.
 * DONE: nothing is left to train (the trials not ended are pruned). */
typedef struct {
    halving_action action;
    int trial, rung, epochs;
} halving_step;

/* Whether the search trains in rungs (sha, asha). Such a search cannot
 * be split by --shard nor its files joined by `sweep merge`, for the
 * reason below. */
int halving_in_rungs(const search_options *s);
#define HALVING_WHOLE_REASON "its rungs are decided over every configuration of the sweep, " \
                             "which no shard holds"

/* Rung k's budget for a trial of `epochs` epochs, and its last rung
 * (grid and random: one rung, 0, of all its epochs). */
int halving_budget(const search_options *s, int epochs, int rung);
int halving_last_rung(const search_options *s, int epochs);

/* The next step. order: the n trial indices in the order to prefer among
 * trials free to start (the dispatcher's largest-cost-first, or file
 * order); it never changes which trials sha promotes. */
halving_step halving_next(const search_options *s, const halving_trial *trials, int n,
                          const int *order);

/* What ranks a trial in a rung of `budget` epochs: its best metric over
 * epochs 1..budget (what restore_best_weights keeps: the highest
 * val_accuracy, the lowest val_loss); NaN if it has no finite one. */
double halving_rung_metric(search_metric metric, const halving_trial *t, int budget);

/* Where each trial stands: its rung (sha: the highest it belongs to, as
 * the histories decide; otherwise its record's), and whether its fate is
 * settled -- ended, or (sha) left out of a rung already decided. asha
 * settles no pruned trial before it is DONE: a later finisher can still
 * lift a trial into its rung's top. */
typedef struct {
    int rung;
    int settled;
} halving_standing;

void halving_standings(const search_options *s, const halving_trial *trials, int n,
                       halving_standing *out);

/* The epochs a trial is expected to train from where it stands: the rest
 * of its rung, and each later rung's epochs weighted by the share of a
 * population of n configurations expected to reach it (n_0 = n, n_k+1 =
 * n_k / reduction: sha keeps at least 1); 0 once settled. */
double halving_expected_epochs(const search_options *s, const halving_trial *t,
                               const halving_standing *standing, int population);

#endif
