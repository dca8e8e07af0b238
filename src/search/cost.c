/* cost: a trial's expected multiply-adds, whole or from a given epoch on. */
#include "search/cost.h"

#include "data/data.h"

double trial_cost(const trial_settings *t)
{
    double per_image = 0.0;
    int c = 1, side = IMAGE_SIDE;
    for (int b = 0; b < t->n_blocks; b++) {
        for (int i = 0; i < t->block_convs[b]; i++) {
            per_image += (double)side * side * c * t->block_filters[b][i] * 9;
            c = t->block_filters[b][i];
        }
        side /= 2;
    }
    int features = c * side * side;
    for (int j = 0; j < t->n_dense; j++) {
        per_image += (double)features * t->dense_units[j];
        features = t->dense_units[j];
    }
    per_image += (double)features * N_CLASSES;
    double images = t->train_limit > 0 && t->train_limit < 60000 ? t->train_limit : 60000;
    return per_image * images * t->epochs;
}

/* What is left of a trial's cost when it starts from epoch `from`: the
 * ETA of a resumed sweep counts only the epochs still to train. */
double cost_from_epoch(const trial_settings *t, int from)
{
    return t->epochs > 0 && from < t->epochs ? trial_cost(t) * (t->epochs - from) / t->epochs : 0;
}

/* The cost of everything this run has to train. */
double cost_to_run(const sweep_config *c, recorder *rec)
{
    double cost = 0;
    for (int i = 0; i < c->n_trials; i++) {
        const trial_record *r = results_trial(&rec->results, i);
        if (results_needs_run(r))
            cost += cost_from_epoch(&c->trials[i], r->epochs_run);
    }
    return cost;
}
