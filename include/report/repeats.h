/* repeats: a sweep's trials grouped by configuration -- `[search] repeats
 * = N` trains each configuration N times, with seeds seed..seed+N-1, as
 * trials CONFIG_seed-S that share settings.configuration = CONFIG -- with
 * the mean and sample standard deviation of each test figure over a
 * configuration's done repeats, and whether each configuration can be
 * told apart from the best. Pure: reads a sweep_results, prints nothing.
 * Called by report.c (`sweep report`'s second table), report_export.c
 * (`--configurations`) and plot/ (the page's table and bar chart).
 *
 * The comparison, chosen once here: Welch's two-sample t-test (unequal
 * variances, Welch-Satterthwaite degrees of freedom, two-sided) of each
 * configuration's test accuracies against the best configuration's, at
 * the 5% level. A configuration whose p-value is at least 0.05 is "not
 * distinguishable from the best" (~best). Welch rather than Student's
 * pooled test because an unlucky seed makes a configuration's spread its
 * own; rather than overlapping intervals because those are far more
 * conservative than the 5% they suggest. A test needs two done repeats on
 * each side: with fewer there is no test, and no verdict. Nothing is
 * corrected for the many comparisons: ~best says "these runs do not show
 * it is worse", not "it is as good". */
#ifndef SWEEP_REPEATS_H
#define SWEEP_REPEATS_H

#include "report/stats.h"
#include "store/results.h"

#define REPEATS_ALPHA 0.05   /* the test's level: p >= this is ~best */

/* The figures summarised over repeats, in the order every view shows
 * them; repeat_figure_names are the /summary names ("test_accuracy"). */
typedef enum {
    FIGURE_TEST_ACCURACY, FIGURE_TEST_LOSS, FIGURE_PRECISION, FIGURE_RECALL, FIGURE_F1,
    FIGURE_RMSE, FIGURE_VAL_ACCURACY, REPEAT_N_FIGURES
} repeat_figure;
extern const char *const repeat_figure_names[REPEAT_N_FIGURES];

/* The figure of a trial (NaN until it is done; val_accuracy the best
 * epoch's). */
double repeat_figure_of(const trial_record *t, repeat_figure f);

typedef enum {
    VERDICT_BEST,        /* the best configuration */
    VERDICT_LIKE_BEST,   /* tested against it: p >= REPEATS_ALPHA */
    VERDICT_WORSE,       /* tested: p < REPEATS_ALPHA */
    VERDICT_UNTESTED     /* fewer than two done repeats here or in the best; or no done one */
} repeat_verdict;
/* "best", "~best", "worse", "-" */
extern const char *const repeat_verdict_names[4];

typedef struct {
    double mean, sd;             /* over the done repeats; NaN: none (sd: fewer than 2) */
} repeat_spread;

typedef struct {
    const char *name;            /* settings.configuration, or the trial's name */
    int labelled;                /* 0: a trial with no configuration, a configuration of one */
    int n_trials;                /* every repeat, whatever its state */
    const trial_record *const *trials;   /* in the results table's order (report_order) */
    int n_done;                  /* repeats done: what the figures are over */
    repeat_spread figures[REPEAT_N_FIGURES];
    welch_test vs_best;          /* test accuracies against the best's; NaN: no test */
    repeat_verdict verdict;
} repeat_configuration;

typedef struct {
    int n_configurations;
    /* By mean test accuracy over the done repeats, highest first, so the
     * best is [0]; a tie keeps the order of the configurations' first
     * trials in the results table (the higher best member first). Then
     * the configurations with no done repeat, in that order too. */
    repeat_configuration *configurations;
    int best;                    /* 0, or -1 when no configuration has a done repeat */
    int any_labelled;            /* some trial belongs to a configuration: the sweep has repeats */
    const trial_record **storage;   /* owned: every configuration's trials */
} repeat_table;

/* Groups r's trials (trials without settings.configuration, or with "",
 * are configurations of one, never joined to another) and fills t; free
 * it with repeats_free. r must outlive t: t points into its records. */
void repeats_group(const sweep_results *r, repeat_table *t);
void repeats_free(repeat_table *t);

/* Whether some trial of r belongs to a configuration (repeats > 1). */
int repeats_present(const sweep_results *r);

#endif
