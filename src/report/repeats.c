/* repeats: trials grouped by configuration, their spread, and Welch's
 * test against the best. */
#include "report/repeats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report/report.h"
#include "core/util.h"

const char *const repeat_figure_names[REPEAT_N_FIGURES] = {
    "test_accuracy", "test_loss", "precision", "recall", "f1", "rmse", "val_accuracy"
};

const char *const repeat_verdict_names[4] = { "best", "~best", "worse", "-" };

double repeat_figure_of(const trial_record *t, repeat_figure f)
{
    if (t->status != TRIAL_DONE)
        return NAN;
    const class_metrics *m = &t->test.metrics;
    switch (f) {
    case FIGURE_TEST_ACCURACY: return m->accuracy;
    case FIGURE_TEST_LOSS: return t->test.loss;
    case FIGURE_PRECISION: return m->precision;
    case FIGURE_RECALL: return m->recall;
    case FIGURE_F1: return m->f1;
    case FIGURE_RMSE: return m->rmse;
    case FIGURE_VAL_ACCURACY: return t->val_accuracy;
    default: return NAN;
    }
}

static const char *label_of(const trial_record *t)
{
    const char *c = t->settings.configuration;
    return c && *c ? c : NULL;
}

int repeats_present(const sweep_results *r)
{
    for (int i = 0; i < r->n_records; i++)
        if (label_of(&r->records[i]))
            return 1;
    return 0;
}

/* A trial and its row in the results table. */
typedef struct {
    const trial_record *trial;
    int rank;
} ranked_trial;

/* Labelled trials by label, unlabelled ones after; each run of one label
 * in table order, so a configuration's trials are contiguous and its
 * first is its best done one. */
static int by_label_then_rank(const void *a, const void *b)
{
    const ranked_trial *x = a, *y = b;
    const char *lx = label_of(x->trial), *ly = label_of(y->trial);
    if (!lx != !ly)
        return lx ? -1 : 1;
    int c = lx ? strcmp(lx, ly) : 0;
    return c ? c : x->rank - y->rank;
}

/* A configuration and the table row of its first trial, while sorting. */
typedef struct {
    repeat_configuration c;
    int first_rank;
} ranked_configuration;

static int by_mean_accuracy(const void *a, const void *b)
{
    const ranked_configuration *x = a, *y = b;
    double mx = x->c.figures[FIGURE_TEST_ACCURACY].mean, my = y->c.figures[FIGURE_TEST_ACCURACY].mean;
    if ((x->c.n_done > 0) != (y->c.n_done > 0))
        return x->c.n_done > 0 ? -1 : 1;
    if (x->c.n_done > 0 && mx != my)
        return mx > my ? -1 : 1;
    return x->first_rank - y->first_rank;
}

/* The done repeats' values of figure f, into values (n_trials slots). */
static int done_values(const repeat_configuration *c, repeat_figure f, double *values)
{
    int n = 0;
    for (int i = 0; i < c->n_trials; i++)
        if (c->trials[i]->status == TRIAL_DONE)
            values[n++] = repeat_figure_of(c->trials[i], f);
    return n;
}

static void summarise(repeat_configuration *c, double *values)
{
    for (int f = 0; f < REPEAT_N_FIGURES; f++) {
        int n = done_values(c, (repeat_figure)f, values);
        c->n_done = n;
        c->figures[f].mean = stats_mean(values, n);
        c->figures[f].sd = stats_sample_sd(values, n);
    }
}

/* Each configuration's Welch test against the best's test accuracies. */
static void compare_with_best(repeat_table *t, double *values, double *best_values)
{
    repeat_configuration *best = &t->configurations[0];
    int n_best = done_values(best, FIGURE_TEST_ACCURACY, best_values);
    best->verdict = VERDICT_BEST;
    for (int i = 1; i < t->n_configurations; i++) {
        repeat_configuration *c = &t->configurations[i];
        int n = done_values(c, FIGURE_TEST_ACCURACY, values);
        c->vs_best = stats_welch(values, n, best_values, n_best);
        c->verdict = isnan(c->vs_best.p) ? VERDICT_UNTESTED
                     : c->vs_best.p >= REPEATS_ALPHA ? VERDICT_LIKE_BEST : VERDICT_WORSE;
    }
}

void repeats_group(const sweep_results *r, repeat_table *t)
{
    memset(t, 0, sizeof *t);
    t->best = -1;
    int n = r->n_records;
    const trial_record **order = report_order(r);
    ranked_trial *ranked = xcalloc((size_t)n + 1, sizeof *ranked);
    for (int i = 0; i < n; i++) {
        ranked[i].trial = order[i];
        ranked[i].rank = i;
    }
    free(order);
    qsort(ranked, (size_t)n, sizeof *ranked, by_label_then_rank);
    t->storage = xcalloc((size_t)n + 1, sizeof *t->storage);
    ranked_configuration *list = xcalloc((size_t)n + 1, sizeof *list);
    const welch_test none = { NAN, NAN, NAN };
    int count = 0;
    for (int i = 0; i < n; i++) {
        t->storage[i] = ranked[i].trial;
        const char *label = label_of(ranked[i].trial);
        if (i > 0 && label && label_of(ranked[i - 1].trial) &&
            strcmp(label, label_of(ranked[i - 1].trial)) == 0) {
            list[count - 1].c.n_trials++;
            continue;
        }
        repeat_configuration *c = &list[count].c;
        c->name = label ? label : ranked[i].trial->settings.name;
        c->labelled = label != NULL;
        c->trials = &t->storage[i];
        c->n_trials = 1;
        c->vs_best = none;
        c->verdict = VERDICT_UNTESTED;
        list[count++].first_rank = ranked[i].rank;
        t->any_labelled |= c->labelled;
    }
    free(ranked);
    double *values = xcalloc((size_t)n + 1, sizeof *values);
    double *best_values = xcalloc((size_t)n + 1, sizeof *best_values);
    for (int i = 0; i < count; i++)
        summarise(&list[i].c, values);
    qsort(list, (size_t)count, sizeof *list, by_mean_accuracy);
    t->n_configurations = count;
    t->configurations = xcalloc((size_t)count + 1, sizeof *t->configurations);
    for (int i = 0; i < count; i++)
        t->configurations[i] = list[i].c;
    free(list);
    if (count > 0 && t->configurations[0].n_done > 0) {
        t->best = 0;
        compare_with_best(t, values, best_values);
    }
    free(values);
    free(best_values);
}

void repeats_free(repeat_table *t)
{
    free(t->configurations);
    free(t->storage);
    memset(t, 0, sizeof *t);
    t->best = -1;
}
