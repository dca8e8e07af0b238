/* cost: what a trial is expected to cost, in multiply-adds. The scheduler
 * hands out the largest trials first by it and weighs the ETA with it;
 * search strategies (src/search/) will budget with it. It is a rough model
 * of the convolutions and dense layers only, cheap enough to call often. */
#ifndef SWEEP_COST_H
#define SWEEP_COST_H

#include "config/config.h"
#include "store/recorder.h"

/* A trial's rough cost: multiply-adds of one training epoch times epochs. */
double trial_cost(const trial_settings *t);

/* The part of trial_cost still to train when the trial starts at epoch `from`. */
double cost_from_epoch(const trial_settings *t, int from);

/* The cost of every trial the results file says still needs a run. */
double cost_to_run(const sweep_config *c, recorder *rec);

#endif
