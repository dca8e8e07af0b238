/* cost: a trial's expected multiply-adds, whole or for some of its epochs. */
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

double cost_of_epochs(const trial_settings *t, int from, int to)
{
    if (to > t->epochs)
        to = t->epochs;
    return t->epochs > 0 && from < to ? trial_cost(t) * (to - from) / t->epochs : 0;
}

/* What is left of a trial's cost when it starts from epoch `from`: the
 * ETA of a resumed sweep counts only the epochs still to train. */
double cost_from_epoch(const trial_settings *t, int from)
{
    return cost_of_epochs(t, from, t->epochs);
}

double cost_to_run(const sweep_config *c, const halving_trial *trials,
                   const halving_standing *standings)
{
    double cost = 0;
    for (int i = 0; i < c->n_trials; i++) {
        const trial_settings *t = &c->trials[i];
        double epochs = halving_expected_epochs(&c->search, &trials[i], &standings[i],
                                                c->n_trials);
        cost += t->epochs > 0 ? trial_cost(t) * epochs / t->epochs : 0;
    }
    return cost;
}
