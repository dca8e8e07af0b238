/* search_plan: the planner's view of rank 0's records, and its steps recorded. */
#include "sched/search_plan.h"

#include <stdlib.h>

#include "core/util.h"
#include "search/cost.h"

/* Largest expected cost first, file order among equals. */
typedef struct {
    double cost;
    int index;
} costed_trial;

static int by_cost_descending(const void *a, const void *b)
{
    const costed_trial *x = a, *y = b;
    if (x->cost != y->cost)
        return x->cost < y->cost ? 1 : -1;
    return x->index - y->index;
}

static void order_by_cost(search_plan *p)
{
    const sweep_config *c = p->config;
    costed_trial *costed = xcalloc((size_t)c->n_trials + 1, sizeof *costed);
    for (int i = 0; i < c->n_trials; i++)
        costed[i] = (costed_trial){ trial_cost(&c->trials[i]), i };
    qsort(costed, (size_t)c->n_trials, sizeof *costed, by_cost_descending);
    for (int i = 0; i < c->n_trials; i++)
        p->order[i] = costed[i].index;
    free(costed);
}

void search_plan_init(search_plan *p, const sweep_config *c, recorder *rec, int by_cost)
{
    p->config = c;
    p->rec = rec;
    p->view = xcalloc((size_t)c->n_trials + 1, sizeof *p->view);
    p->standings = xcalloc((size_t)c->n_trials + 1, sizeof *p->standings);
    p->order = xcalloc((size_t)c->n_trials + 1, sizeof *p->order);
    p->held = xcalloc((size_t)c->n_trials + 1, 1);
    for (int i = 0; i < c->n_trials; i++) {
        p->order[i] = i;
        search_plan_update(p, i);
    }
    if (by_cost)
        order_by_cost(p);
}

void search_plan_free(search_plan *p)
{
    free(p->view);
    free(p->standings);
    free(p->order);
    free(p->held);
}

int search_plan_in_rungs(const search_plan *p)
{
    return p->config->search.method == SEARCH_SHA || p->config->search.method == SEARCH_ASHA;
}

void search_plan_update(search_plan *p, int i)
{
    const trial_record *r = results_trial(&p->rec->results, i);
    /* A trial resumed from its checkpoint records its epochs again one by
     * one (results_epoch keeps those up to the one replayed), and under
     * MPI other groups ask for work meanwhile: while it runs, what it had
     * counts -- the epochs the rungs below its own were decided on. */
    int epochs_done = r->n_history;
    if (r->status == TRIAL_RUNNING && p->view[i].running && p->view[i].epochs_done > epochs_done)
        epochs_done = p->view[i].epochs_done;
    p->view[i] = (halving_trial){
        .epochs = r->settings.epochs,
        .epochs_done = epochs_done,
        .history = r->history,
        .rung = r->rung,
        .ended = r->status == TRIAL_DONE || r->status == TRIAL_FAILED || p->held[i],
        .failed = r->status == TRIAL_FAILED,
        .running = r->status == TRIAL_RUNNING,
    };
}

void search_plan_hold(search_plan *p, int i)
{
    p->held[i] = 1;
    search_plan_update(p, i);
}

halving_step search_plan_next(const search_plan *p)
{
    return halving_next(&p->config->search, p->view, p->config->n_trials, p->order);
}

void search_plan_begin(search_plan *p, const halving_step *s, int ranks, const char *host,
                       const char *blas_core)
{
    recorder_rung(p->rec, s->trial, s->rung);
    recorder_started(p->rec, s->trial, ranks, host, blas_core);
    search_plan_update(p, s->trial);
}

int search_plan_settled(search_plan *p, double *cost_to_run_out)
{
    const sweep_config *c = p->config;
    halving_standings(&c->search, p->view, c->n_trials, p->standings);
    int settled = 0;
    for (int i = 0; i < c->n_trials; i++)
        settled += p->standings[i].settled;
    *cost_to_run_out = cost_to_run(c, p->view, p->standings);
    return settled;
}

double search_plan_metric(const search_plan *p, int i)
{
    const halving_trial *t = &p->view[i];
    return halving_rung_metric(p->config->search.metric, t, t->epochs_done);
}

int search_plan_finish(search_plan *p)
{
    for (int i = 0; i < p->config->n_trials; i++)
        if (p->held[i]) {
            p->held[i] = 0;
            search_plan_update(p, i);
        }
    if (search_plan_next(p).action != HALVING_DONE)
        return 0;
    for (int i = 0; i < p->config->n_trials; i++) {
        const trial_record *r = results_trial(&p->rec->results, i);
        if (!p->view[i].ended && r->status != TRIAL_PRUNED) {
            recorder_pruned(p->rec, i, r->n_history);
            search_plan_update(p, i);
        }
    }
    return 1;
}
