/* test_repeats: the statistics of `sweep report`'s configurations table
 * on hand-made results -- repeats grouped by settings.configuration (a
 * trial without one is a configuration of its own, never joined to a
 * configuration of its name), ordered by mean test accuracy with ties in
 * table order; means and sample standard deviations of every figure over
 * the done repeats; Welch's t, degrees of freedom and p-value against the
 * best, with unequal n and unequal variances, a configuration identical
 * to the best (p = 1), a clearly different one (p < 1e-3), no test below
 * two done repeats on either side; the regularized incomplete beta and
 * Student's t against closed forms and scipy; the text table's rows.
 *
 * Every expected number was computed once, when this test was written,
 * by Debian's /usr/bin/python3 (3.11, scipy 1.10.1) from the same
 * values: means and standard deviations by statistics.mean and
 * statistics.stdev (exact rational arithmetic, then rounded), p-values
 * and t by scipy.stats.ttest_ind(a, b, equal_var=False), degrees of
 * freedom by the Welch-Satterthwaite formula on statistics.variance,
 * incomplete betas by scipy.special.betainc; printed with repr(). The
 * script for the fixture is the comment above fixture_trials. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/text_pool.h"
#include "core/util.h"
#include "report/repeats.h"
#include "report/report.h"
#include "report/stats.h"
#include "testing.h"

/* |got - want| within rel of want (and 1e-300 absolute, for zeros);
 * both NaN is equal. */
static int same(double got, double want, double rel)
{
    return (isnan(got) && isnan(want)) || fabs(got - want) <= 1e-300 + rel * fabs(want);
}

#define EXPECT_SAME(got, want, rel, ...) do { \
    double g_ = (got), w_ = (want); \
    if (!same(g_, w_, rel)) \
        fprintf(stderr, "  %s = %.17g, want %.17g (relative %.2g)\n", #got, g_, w_, fabs(g_ - w_) / fabs(w_)); \
    EXPECT(same(g_, w_, rel), __VA_ARGS__); } while (0)

/* ---- the statistics alone ------------------------------------------------------ */

static void test_mean_and_sample_sd_match_python_statistics(void)
{
    const double x[] = { 0.91, 0.915, 0.905 }, y[] = { 0.9, 0.93, 0.88, 0.92, 0.895 };
    EXPECT_SAME(stats_mean(x, 3), 0.91, 1e-15, "mean");
    EXPECT_SAME(stats_sample_sd(x, 3), 0.0050000000000000044, 1e-13, "statistics.stdev");
    EXPECT_SAME(stats_mean(y, 5), 0.905, 1e-15, "mean");
    EXPECT_SAME(stats_sample_sd(y, 5), 0.020000000000000018, 1e-13, "statistics.stdev");
    /* figures agreeing to many digits keep their spread: statistics.stdev
     * of [1e9 + 0.1, 1e9 + 0.2, 1e9 + 0.3] as doubles (0.1 before rounding) */
    const double close[] = { 1e9 + 0.1, 1e9 + 0.2, 1e9 + 0.3 };
    EXPECT_SAME(stats_sample_sd(close, 3), 0.09999996423721906, 1e-12, "close values");
    EXPECT(isnan(stats_mean(x, 0)) && isnan(stats_sample_sd(x, 1)) && stats_sample_sd(x, 2) > 0,
           "no mean of nothing, no sd of one");
}

static void test_incomplete_beta_matches_closed_forms_and_scipy(void)
{
    /* closed forms: I_x(1, b) = 1 - (1-x)^b; I_x(a, 1) = x^a; I_x(1/2, 1/2)
     * = 2/pi asin(sqrt x); I_1/2(a, a) = 1/2 */
    const double xs[] = { 1e-6, 0.01, 0.3, 0.5, 0.77, 0.999 };
    for (int i = 0; i < 6; i++) {
        double x = xs[i];
        EXPECT_SAME(stats_incomplete_beta(1, 7.5, x), -expm1(7.5 * log1p(-x)), 1e-13, "I_%g(1, 7.5)", x);
        EXPECT_SAME(stats_incomplete_beta(3.25, 1, x), pow(x, 3.25), 1e-13, "I_%g(3.25, 1)", x);
        EXPECT_SAME(stats_incomplete_beta(0.5, 0.5, x), 2 / M_PI * asin(sqrt(x)), 1e-13, "I_%g(1/2, 1/2)", x);
    }
    EXPECT_SAME(stats_incomplete_beta(40, 40, 0.5), 0.5, 1e-13, "symmetric");
    /* scipy.special.betainc(a, b, x) */
    static const struct { double a, b, x, want; } scipy[] = {
        { 2, 3, 0.4, 0.5247999999999999 },
        { 10, 0.5, 0.95, 0.3171515754655451 },
        { 0.5, 200, 0.001, 0.4727558929747329 },
        { 1000, 0.5, 0.999, 0.15724727426683946 },
        { 30, 0.5, 0.2, 1.226521971415884e-22 },
        { 2.5, 0.5, 0.9999, 0.983024321550496 },
    };
    for (size_t i = 0; i < sizeof scipy / sizeof scipy[0]; i++)
        EXPECT_SAME(stats_incomplete_beta(scipy[i].a, scipy[i].b, scipy[i].x), scipy[i].want, 1e-12,
                    "I_%g(%g, %g)", scipy[i].x, scipy[i].a, scipy[i].b);
    EXPECT(stats_incomplete_beta(2, 3, 0) == 0 && stats_incomplete_beta(2, 3, 1) == 1, "the ends");
    EXPECT(isnan(stats_incomplete_beta(0, 3, 0.5)) && isnan(stats_incomplete_beta(2, 3, 1.5)) &&
           isnan(stats_incomplete_beta(2, 3, NAN)), "outside the domain");
}

static void test_student_t_matches_closed_forms_and_tables(void)
{
    /* df 1 (Cauchy): 1 - 2/pi atan|t| = 2/pi atan(1/|t|); df 2:
     * 1 - |t| / sqrt(t^2 + 2) = 2 / (s (s + |t|)), s = sqrt(t^2 + 2) (the
     * forms without cancellation, for the tails) */
    const double ts[] = { 0.01, 0.5, 1, 2.5, 12, 300, 1e6 };
    for (int i = 0; i < 7; i++) {
        double t = ts[i], s = sqrt(t * t + 2);
        EXPECT_SAME(stats_student_t_two_sided(t, 1), 2 / M_PI * atan(1 / t), 1e-12, "df 1, t %g", t);
        EXPECT_SAME(stats_student_t_two_sided(-t, 2), 2 / (s * (s + t)), 1e-12, "df 2, t %g", t);
    }
    /* the tables' two-sided 5% points, 12.706 (df 1), 2.776 (df 4), 1.960
     * (normal), as scipy.stats.t.ppf(0.975, df) and norm.ppf(0.975) give
     * them; at df 1e7, 2 * t.sf(1.96..., 1e7) */
    EXPECT_SAME(stats_student_t_two_sided(12.706204736432095, 1), 0.05, 1e-9, "df 1");
    EXPECT_SAME(stats_student_t_two_sided(2.7764451051977987, 4), 0.05, 1e-9, "df 4");
    EXPECT_SAME(stats_student_t_two_sided(1.959963984540054, 1e7), 0.05000002772951258, 1e-9, "df 1e7");
    EXPECT(stats_student_t_two_sided(0, 3) == 1 && stats_student_t_two_sided(INFINITY, 3) == 0,
           "t 0 and infinite");
    EXPECT(isnan(stats_student_t_two_sided(NAN, 3)) && isnan(stats_student_t_two_sided(1, 0)),
           "NaN t, df 0");
}

static void test_welch_matches_scipy_ttest_ind_unequal_var(void)
{
    static double large_a[200], large_b[300];
    for (int i = 0; i < 200; i++)
        large_a[i] = 0.9 + 0.01 * sin(i);
    for (int i = 0; i < 300; i++)
        large_b[i] = 0.899 + 0.02 * cos(1.3 * i);
    static const double ints_a[] = { 1, 2, 3, 4 }, ints_b[] = { 2, 4, 6, 8, 10, 12 };
    static const double two_a[] = { 0.1, 0.2 },
                        ten_b[] = { 0.3, 0.35, 0.32, 0.31, 0.29, 0.33, 0.34, 0.36, 0.30, 0.28 };
    static const double far_a[] = { 1.0, 1.001, 0.999 }, far_b[] = { 0.0, 0.001, -0.001 };
    /* a and b as [math.sin ...] lists in Python for large_*; t, df, p */
    const struct {
        const char *name;
        const double *a, *b;
        int n_a, n_b;
        double t, df, p;
    } cases[] = {
        { "unequal n, unequal variances", ints_a, ints_b, 4, 6,
          -2.713602101199873, 6.59467097295115, 0.03182444378084147 },
        { "2 against 10", two_a, ten_b, 2, 10,
          -3.3134956031407654, 1.057238477973029, 0.1757116569319562 },
        { "200 against 300", large_a, large_b, 200, 300,
          1.0667766758228738, 466.5258366528718, 0.2866244274237737 },
        { "far apart", far_a, far_b, 3, 3,
          1224.7448713916226, 3.9999999999999996, 2.6666548148560044e-12 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        welch_test w = stats_welch(cases[i].a, cases[i].n_a, cases[i].b, cases[i].n_b);
        EXPECT_SAME(w.t, cases[i].t, 1e-10, "%s", cases[i].name);
        EXPECT_SAME(w.df, cases[i].df, 1e-10, "%s", cases[i].name);
        EXPECT_SAME(w.p, cases[i].p, 1e-9, "%s", cases[i].name);
    }
    welch_test one = stats_welch(two_a, 1, ten_b, 10), none = stats_welch(two_a, 2, ten_b, 1);
    EXPECT(isnan(one.t) && isnan(one.df) && isnan(one.p) && isnan(none.p), "n < 2: no test");
    welch_test same = stats_welch(far_a, 3, far_a, 3);
    EXPECT(same.t == 0 && same.p == 1, "identical samples: t %g p %g", same.t, same.p);
    const double flat_a[] = { 0.9, 0.9 }, flat_b[] = { 0.8, 0.8, 0.8 };
    welch_test flat = stats_welch(flat_a, 2, flat_b, 3), level = stats_welch(flat_a, 2, flat_a, 2);
    EXPECT(flat.t == INFINITY && flat.p == 0 && level.t == 0 && level.p == 1,
           "no spread: t %g p %g; equal: t %g p %g", flat.t, flat.p, level.t, level.p);
}

/* ---- grouping a sweep -------------------------------------------------------------- */

typedef struct {
    const char *name, *configuration;
    trial_status status;
    double figures[REPEAT_N_FIGURES];   /* test_accuracy, test_loss, precision, recall, f1, rmse, val_accuracy */
} fixture_trial;

/* Made with (python3):
 *   trials = [("cA_seed-43", "cA", "done", 0.91), ... as below ...]
 *   for j, (n, c, s, a) in enumerate(trials): k = j % 5; loss = round(0.3 + 0.011*k + (1-a), 6),
 *     precision = round(a + 0.003*k, 6), recall = a, f1 = round(a - 0.002*k, 6),
 *     rmse = round(1.1 + 0.05*k, 6), val_accuracy = round(a + 0.01 - 0.001*k, 6)
 * cA: the best (mean 0.91, first in the table); cD: the same accuracies
 * in another order (a tie with the best, kept second); cB: 4 repeats;
 * cE: 5, four times cA's spread; cC: far below; cF: one done, one
 * pending; the trial "cA" without a configuration: its own; cH: none done. */
static const fixture_trial fixture_trials[] = {
    { "cA_seed-43", "cA", TRIAL_DONE, { 0.91, 0.39, 0.91, 0.91, 0.91, 1.1, 0.92 } },
    { "cA_seed-44", "cA", TRIAL_DONE, { 0.915, 0.396, 0.918, 0.915, 0.913, 1.15, 0.924 } },
    { "cA_seed-45", "cA", TRIAL_DONE, { 0.905, 0.417, 0.911, 0.905, 0.901, 1.2, 0.913 } },
    { "cB_seed-43", "cB", TRIAL_DONE, { 0.905, 0.428, 0.914, 0.905, 0.899, 1.25, 0.912 } },
    { "cB_seed-44", "cB", TRIAL_DONE, { 0.912, 0.432, 0.924, 0.912, 0.904, 1.3, 0.918 } },
    { "cB_seed-45", "cB", TRIAL_DONE, { 0.899, 0.401, 0.899, 0.899, 0.899, 1.1, 0.909 } },
    { "cB_seed-46", "cB", TRIAL_DONE, { 0.908, 0.403, 0.911, 0.908, 0.906, 1.15, 0.917 } },
    { "cC_seed-43", "cC", TRIAL_DONE, { 0.86, 0.462, 0.866, 0.86, 0.856, 1.2, 0.868 } },
    { "cC_seed-44", "cC", TRIAL_DONE, { 0.87, 0.463, 0.879, 0.87, 0.864, 1.25, 0.877 } },
    { "cC_seed-45", "cC", TRIAL_DONE, { 0.865, 0.479, 0.877, 0.865, 0.857, 1.3, 0.871 } },
    { "cD_seed-43", "cD", TRIAL_DONE, { 0.915, 0.385, 0.915, 0.915, 0.915, 1.1, 0.925 } },
    { "cD_seed-44", "cD", TRIAL_DONE, { 0.905, 0.406, 0.908, 0.905, 0.903, 1.15, 0.914 } },
    { "cD_seed-45", "cD", TRIAL_DONE, { 0.91, 0.412, 0.916, 0.91, 0.906, 1.2, 0.918 } },
    { "cE_seed-43", "cE", TRIAL_DONE, { 0.9, 0.433, 0.909, 0.9, 0.894, 1.25, 0.907 } },
    { "cE_seed-44", "cE", TRIAL_DONE, { 0.93, 0.414, 0.942, 0.93, 0.922, 1.3, 0.936 } },
    { "cE_seed-45", "cE", TRIAL_DONE, { 0.88, 0.42, 0.88, 0.88, 0.88, 1.1, 0.89 } },
    { "cE_seed-46", "cE", TRIAL_DONE, { 0.92, 0.391, 0.923, 0.92, 0.918, 1.15, 0.929 } },
    { "cE_seed-47", "cE", TRIAL_DONE, { 0.895, 0.427, 0.901, 0.895, 0.891, 1.2, 0.903 } },
    { "cF_seed-43", "cF", TRIAL_DONE, { 0.89, 0.443, 0.899, 0.89, 0.884, 1.25, 0.897 } },
    { "cF_seed-44", "cF", TRIAL_PENDING, { NAN, NAN, NAN, NAN, NAN, NAN, NAN } },
    { "cA", NULL, TRIAL_DONE, { 0.8, 0.5, 0.8, 0.8, 0.8, 1.1, 0.81 } },
    { "cH_seed-43", "cH", TRIAL_RUNNING, { NAN, NAN, NAN, NAN, NAN, NAN, NAN } },
    { "cH_seed-44", "cH", TRIAL_FAILED, { NAN, NAN, NAN, NAN, NAN, NAN, NAN } },
};

/* What the grouping must give, in its order: statistics.mean/stdev per
 * figure over the done repeats, and ttest_ind(c, cA, equal_var=False). */
static const struct {
    const char *name;
    int labelled, n_trials, n_done;
    repeat_spread figures[REPEAT_N_FIGURES];
    welch_test vs_best;
    repeat_verdict verdict;
} fixture_expected[] = {
    { "cA", 1, 3, 3, { { 0.91, 0.0050000000000000044 }, { 0.401, 0.014177446878757806 }, { 0.913, 0.004358898943540678 }, { 0.91, 0.0050000000000000044 }, { 0.908, 0.006244997998398403 }, { 1.15, 0.04999999999999993 }, { 0.919, 0.005567764362830027 } },
      { NAN, NAN, NAN }, VERDICT_BEST },
    /* scipy: t -2.7e-14, p 0.99999999999998 (its sums in another order); here exactly 0 and 1 */
    { "cD", 1, 3, 3, { { 0.91, 0.0050000000000000044 }, { 0.401, 0.014177446878757816 }, { 0.913, 0.004358898943540678 }, { 0.91, 0.0050000000000000044 }, { 0.908, 0.006244997998398403 }, { 1.15, 0.04999999999999993 }, { 0.919, 0.005567764362830027 } },
      { 0, 4.0, 1 }, VERDICT_LIKE_BEST },
    { "cB", 1, 4, 4, { { 0.906, 0.005477225575051666 }, { 0.41600000000000004, 0.01626857912254989 }, { 0.912, 0.01029563014098701 }, { 0.906, 0.005477225575051666 }, { 0.902, 0.0035590260840104404 }, { 1.2, 0.09128709291752768 }, { 0.914, 0.004242640687119289 } },
      { -1.0052493799000972, 4.688311688311688, 0.36380353139450683 }, VERDICT_LIKE_BEST },
    { "cE", 1, 5, 5, { { 0.905, 0.020000000000000018 }, { 0.417, 0.01620185174601964 }, { 0.911, 0.023291629397704215 }, { 0.905, 0.020000000000000018 }, { 0.901, 0.018165902124584965 }, { 1.2, 0.07905694150420949 }, { 0.913, 0.01903943276465979 } },
      { -0.5319951765989432, 4.773152081563296, 0.6185450438488114 }, VERDICT_LIKE_BEST },
    { "cF", 1, 2, 1, { { 0.89, NAN }, { 0.443, NAN }, { 0.899, NAN }, { 0.89, NAN }, { 0.884, NAN }, { 1.25, NAN }, { 0.897, NAN } },
      { NAN, NAN, NAN }, VERDICT_UNTESTED },
    { "cC", 1, 3, 3, { { 0.865, 0.0050000000000000044 }, { 0.468, 0.009539392014169434 }, { 0.874, 0.007000000000000006 }, { 0.865, 0.0050000000000000044 }, { 0.859, 0.004358898943540678 }, { 1.25, 0.050000000000000044 }, { 0.872, 0.004582575694955844 } },
      { -11.022703842524354, 4.0, 0.00038506771136653377 }, VERDICT_WORSE },
    { "cA", 0, 1, 1, { { 0.8, NAN }, { 0.5, NAN }, { 0.8, NAN }, { 0.8, NAN }, { 0.8, NAN }, { 1.1, NAN }, { 0.81, NAN } },
      { NAN, NAN, NAN }, VERDICT_UNTESTED },
    { "cH", 1, 2, 0, { { NAN, NAN }, { NAN, NAN }, { NAN, NAN }, { NAN, NAN }, { NAN, NAN }, { NAN, NAN }, { NAN, NAN } },
      { NAN, NAN, NAN }, VERDICT_UNTESTED },
};

/* r holds the n trials as records, in that (file) order. */
static void make_results(sweep_results *r, const fixture_trial *trials, int n)
{
    results_init(r);
    r->n_records = n;
    r->records = xcalloc((size_t)n, sizeof *r->records);
    for (int i = 0; i < n; i++) {
        trial_record *t = &r->records[i];
        const double *f = trials[i].figures;
        trial_defaults(&t->settings);
        snprintf(t->settings.name, sizeof t->settings.name, "%s", trials[i].name);
        t->settings.configuration = trials[i].configuration ? text_pool_intern(trials[i].configuration) : NULL;
        t->settings.seed = 43 + (uint64_t)i;
        t->status = trials[i].status;
        t->in_grid = 1;
        t->test.metrics.accuracy = f[FIGURE_TEST_ACCURACY];
        t->test.loss = f[FIGURE_TEST_LOSS];
        t->test.metrics.precision = f[FIGURE_PRECISION];
        t->test.metrics.recall = f[FIGURE_RECALL];
        t->test.metrics.f1 = f[FIGURE_F1];
        t->test.metrics.rmse = f[FIGURE_RMSE];
        t->val_accuracy = f[FIGURE_VAL_ACCURACY];
    }
}

#define N_FIXTURE ((int)(sizeof fixture_trials / sizeof fixture_trials[0]))
#define N_EXPECTED ((int)(sizeof fixture_expected / sizeof fixture_expected[0]))

static void test_repeats_grouped_ordered_and_compared_with_the_best(void)
{
    sweep_results r;
    make_results(&r, fixture_trials, N_FIXTURE);
    repeat_table t;
    repeats_group(&r, &t);
    EXPECT(t.any_labelled && repeats_present(&r), "the sweep has repeats");
    EXPECT(t.best == 0, "best %d", t.best);
    EXPECT(t.n_configurations == N_EXPECTED, "%d configurations", t.n_configurations);
    int members = 0;
    for (int i = 0; i < t.n_configurations && i < N_EXPECTED; i++) {
        const repeat_configuration *c = &t.configurations[i];
        EXPECT(strcmp(c->name, fixture_expected[i].name) == 0 && c->labelled == fixture_expected[i].labelled,
               "configuration %d: %s (labelled %d), want %s", i, c->name, c->labelled, fixture_expected[i].name);
        EXPECT(c->n_trials == fixture_expected[i].n_trials && c->n_done == fixture_expected[i].n_done,
               "%s: %d trials, %d done", c->name, c->n_trials, c->n_done);
        for (int k = 0; k < c->n_trials; k++) {
            const char *label = c->trials[k]->settings.configuration;
            EXPECT(c->labelled ? label && strcmp(label, c->name) == 0 : !label, "%s holds %s", c->name,
                   c->trials[k]->settings.name);
            /* the table's order: a done one before one that is not, higher accuracy first */
            if (k > 0 && c->trials[k]->status == TRIAL_DONE)
                EXPECT(c->trials[k - 1]->status == TRIAL_DONE &&
                       c->trials[k - 1]->test.metrics.accuracy >= c->trials[k]->test.metrics.accuracy,
                       "%s's trials out of the table's order", c->name);
        }
        members += c->n_trials;
        for (int f = 0; f < REPEAT_N_FIGURES; f++) {
            EXPECT_SAME(c->figures[f].mean, fixture_expected[i].figures[f].mean, 1e-14, "%s %s mean", c->name, repeat_figure_names[f]);
            EXPECT_SAME(c->figures[f].sd, fixture_expected[i].figures[f].sd, 1e-12, "%s %s sd", c->name, repeat_figure_names[f]);
        }
        EXPECT_SAME(c->vs_best.t, fixture_expected[i].vs_best.t, 1e-10, "%s", c->name);
        EXPECT_SAME(c->vs_best.df, fixture_expected[i].vs_best.df, 1e-10, "%s", c->name);
        EXPECT_SAME(c->vs_best.p, fixture_expected[i].vs_best.p, 1e-9, "%s", c->name);
        EXPECT(c->verdict == fixture_expected[i].verdict, "%s: verdict %s, want %s", c->name,
               repeat_verdict_names[c->verdict], repeat_verdict_names[fixture_expected[i].verdict]);
    }
    EXPECT(members == N_FIXTURE, "%d trials in configurations, %d in the sweep", members, N_FIXTURE);
    /* the two named cases of the brief: identical to the best, clearly different */
    EXPECT(t.n_configurations > 5 && t.configurations[1].vs_best.p == 1 && t.configurations[5].vs_best.p < 1e-3,
           "identical p = 1, far p < 1e-3");
    repeats_free(&t);
    results_free(&r);
}

static void test_a_best_of_one_repeat_tests_nothing(void)
{
    static const fixture_trial trials[] = {
        { "x_seed-43", "x", TRIAL_DONE, { 0.95, 0.2, 0.95, 0.95, 0.95, 0.5, 0.95 } },
        { "x_seed-44", "x", TRIAL_INTERRUPTED, { NAN, NAN, NAN, NAN, NAN, NAN, NAN } },
        { "y_seed-43", "y", TRIAL_DONE, { 0.90, 0.3, 0.9, 0.9, 0.9, 0.6, 0.9 } },
        { "y_seed-44", "y", TRIAL_DONE, { 0.91, 0.3, 0.91, 0.91, 0.91, 0.6, 0.91 } },
    };
    sweep_results r;
    make_results(&r, trials, 4);
    repeat_table t;
    repeats_group(&r, &t);
    EXPECT(t.n_configurations == 2 && t.best == 0 && strcmp(t.configurations[0].name, "x") == 0 &&
           t.configurations[0].n_done == 1, "x is the best, of one done repeat");
    EXPECT(t.n_configurations == 2 && isnan(t.configurations[1].vs_best.p) &&
           t.configurations[1].verdict == VERDICT_UNTESTED && t.configurations[0].verdict == VERDICT_BEST,
           "no test against a best of one");
    repeats_free(&t);
    results_free(&r);
}

static void test_a_sweep_without_repeats_is_configurations_of_one(void)
{
    static const fixture_trial trials[] = {
        { "a", NULL, TRIAL_DONE, { 0.85, 0.2, 0.85, 0.85, 0.85, 0.5, 0.85 } },
        { "b", "", TRIAL_DONE, { 0.90, 0.3, 0.9, 0.9, 0.9, 0.6, 0.9 } },
        { "c", NULL, TRIAL_PENDING, { NAN, NAN, NAN, NAN, NAN, NAN, NAN } },
    };
    sweep_results r;
    make_results(&r, trials, 3);
    repeat_table t;
    repeats_group(&r, &t);
    EXPECT(!repeats_present(&r) && !t.any_labelled, "no repeats");
    EXPECT(t.n_configurations == 3 && strcmp(t.configurations[0].name, "b") == 0 &&
           strcmp(t.configurations[1].name, "a") == 0 && strcmp(t.configurations[2].name, "c") == 0,
           "one configuration a trial, in the table's order");
    repeats_free(&t);
    results_free(&r);
    sweep_results empty;
    results_init(&empty);
    repeats_group(&empty, &t);
    EXPECT(t.n_configurations == 0 && t.best == -1, "an empty sweep");
    repeats_free(&t);
}

/* ---- the text table ----------------------------------------------------------------- */

static void test_configurations_table_rows_and_marks(void)
{
    sweep_results r;
    make_results(&r, fixture_trials, N_FIXTURE);
    char *text = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&text, &size);
    report_configurations_table(&r, f);
    fclose(f);
    const char *want[] = {
        "",
        "configurations (mean \u00b1 sd over repeats; ",
        "configuration                      n     test_accuracy         test_loss                f1  vs_best",
        "cA                                 3   0.9100 \u00b1 0.0050   0.4010 \u00b1 0.0142   0.9080 \u00b1 0.0062  best",
        "cD                                 3   0.9100 \u00b1 0.0050   0.4010 \u00b1 0.0142   0.9080 \u00b1 0.0062  ~best p=1",
        "cB                                 4   0.9060 \u00b1 0.0055   0.4160 \u00b1 0.0163   0.9020 \u00b1 0.0036  ~best p=0.364",
        "cE                                 5   0.9050 \u00b1 0.0200   0.4170 \u00b1 0.0162   0.9010 \u00b1 0.0182  ~best p=0.619",
        "cF                                 1        0.8900 \u00b1 -        0.4430 \u00b1 -        0.8840 \u00b1 -  -",
        "cC                                 3   0.8650 \u00b1 0.0050   0.4680 \u00b1 0.0095   0.8590 \u00b1 0.0044  p=0.000385",
        "cA                                 1        0.8000 \u00b1 -        0.5000 \u00b1 -        0.8000 \u00b1 -  -",
        "cH                                 0                 -                 -                 -  -",
    };
    const char *line = text;
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        size_t n = strcspn(line, "\n");
        int prefix = i == 1;   /* the title's explanation may be reworded */
        EXPECT(prefix ? strncmp(line, want[i], strlen(want[i])) == 0
                      : n == strlen(want[i]) && strncmp(line, want[i], n) == 0,
               "line %zu: \"%.*s\", want \"%s\"", i, (int)n, line, want[i]);
        line += n + (line[n] == '\n');
    }
    EXPECT(*line == 0, "more lines: %s", line);
    free(text);
    results_free(&r);
}

int main(void)
{
    RUN_TEST(test_mean_and_sample_sd_match_python_statistics);
    RUN_TEST(test_incomplete_beta_matches_closed_forms_and_scipy);
    RUN_TEST(test_student_t_matches_closed_forms_and_tables);
    RUN_TEST(test_welch_matches_scipy_ttest_ind_unequal_var);
    RUN_TEST(test_repeats_grouped_ordered_and_compared_with_the_best);
    RUN_TEST(test_a_best_of_one_repeat_tests_nothing);
    RUN_TEST(test_a_sweep_without_repeats_is_configurations_of_one);
    RUN_TEST(test_configurations_table_rows_and_marks);
    return testing_finish("test_repeats");
}
