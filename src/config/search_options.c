/* search_options: the [search] keys that only make sense together. Each
 * was read alone as its line came (values.c); here the method decides
 * which others it takes, since [search] may come after the sections it
 * governs, or from a --set. */
#include "config/search_options.h"

#include "config/values.h"

/* The line a [search] key was set on (a --set option's included); 0: unset. */
static int line_of(const parser *p, int k)
{
    return p->base.set[k].line;
}

/* A grid lists what it tries; a drawn value has no place in it. The
 * first such line of the file is reported, as a reader would meet it. */
static int check_grid_draws_nothing(parser *p)
{
    const setting *first = NULL;
    int first_key = 0;
    for (int i = -1; i < p->n_exps; i++) {
        const scope *s = i < 0 ? &p->base : &p->exps[i];
        for (int k = 0; k < N_KEYS; k++)
            if (s->set[k].dist.kind != DIST_NONE && (!first || s->set[k].line < first->line))
                first = &s->set[k], first_key = k;
    }
    if (!first)
        return 0;
    return config_fail(p, first->line, "%s: %s is drawn at random, which needs [search] method = "
                       "random, sha or asha (a grid tries listed values: a | b)",
                       key_table[first_key].name, first->alts[0]);
}

int config_check_search(parser *p)
{
    const search_options *o = &p->config->search;
    const char *method = search_method_names[o->method];
    const int halving = o->method == SEARCH_SHA || o->method == SEARCH_ASHA;
    if (o->method == SEARCH_GRID && line_of(p, K_SAMPLES))
        return config_fail(p, line_of(p, K_SAMPLES), "samples is for [search] method = random, "
                           "sha or asha; a grid tries every combination of its axes");
    if (o->method != SEARCH_GRID && !line_of(p, K_SAMPLES))
        return config_fail(p, line_of(p, K_METHOD), "method = %s needs samples = N, the "
                           "configurations each experiment draws", method);
    static const int halving_keys[] = { K_REDUCTION, K_MIN_EPOCHS };
    for (int i = 0; i < 2; i++)
        if (!halving && line_of(p, halving_keys[i]))
            return config_fail(p, line_of(p, halving_keys[i]), "%s is for [search] method = sha "
                               "or asha (successive halving), not %s",
                               key_table[halving_keys[i]].name, method);
    return o->method == SEARCH_GRID ? check_grid_draws_nothing(p) : 0;
}

int config_check_search_trials(parser *p)
{
    const sweep_config *c = p->config;
    for (int i = 0; i < c->n_trials; i++)
        if (c->trials[i].epochs < c->search.min_epochs)
            return config_fail(p, line_of(p, K_MIN_EPOCHS), "min_epochs: %d is more than the "
                               "%d epochs ([train] epochs) of trial '%s'; the first rung must fit "
                               "in the training", c->search.min_epochs, c->trials[i].epochs,
                               c->trials[i].name);
    return 0;
}
