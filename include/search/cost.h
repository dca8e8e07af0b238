/* cost: what a trial is expected to cost, in multiply-adds. The scheduler
 * hands out the largest trials first by it and weighs the ETA with it,
 * counting for a successive-halving search the epochs its rungs are
 * expected to train (halving.h). It is a rough model of the convolutions
 * and dense layers only, cheap enough to call often. */
#ifndef SWEEP_COST_H
#define SWEEP_COST_H

#include "config/config.h"
#include "search/halving.h"

/* A trial's rough cost: multiply-adds of one training epoch times epochs. */
double trial_cost(const trial_settings *t);

/* The part of trial_cost of epochs from + 1 .. to. */
double cost_of_epochs(const trial_settings *t, int from, int to);

/* The part of trial_cost still to train when the trial starts at epoch `from`. */
double cost_from_epoch(const trial_settings *t, int from);

/* What c's search is still expected to train, from every trial's state
 * (trials[i] and standings[i] for c's trial i): a grid's or random
 * search's trials not ended, each from its epoch; a halving search's by
 * halving_expected_epochs. */
double cost_to_run(const sweep_config *c, const halving_trial *trials,
                   const halving_standing *standings);

#endif
