/* stats: the little statistics the report needs to compare repeats of a
 * configuration -- mean, sample standard deviation, Welch's two-sample
 * t-test, and under it Student's t distribution from the regularized
 * incomplete beta function (the continued fraction of Numerical Recipes,
 * 3rd ed., section 6.4, evaluated by the modified Lentz method). Pure
 * arithmetic, no I/O; called by repeats.c and its tests. */
#ifndef SWEEP_STATS_H
#define SWEEP_STATS_H

/* The mean of x[0..n-1]; NaN when n is 0. */
double stats_mean(const double *x, int n);

/* The sample standard deviation (n - 1 in the denominator, as Python's
 * statistics.stdev and numpy's std(ddof=1)); NaN when n < 2. Two passes:
 * the deviations from the mean are summed, not the squares, so figures
 * that agree to many digits (accuracies of repeats) lose none. */
double stats_sample_sd(const double *x, int n);

/* I_x(a, b) = B(x; a, b) / B(a, b) for a, b > 0 and x in [0, 1]; NaN
 * outside that. The symmetry I_x(a, b) = 1 - I_{1-x}(b, a) keeps x below
 * (a + 1) / (a + b + 2), where the fraction converges in O(sqrt(max(a, b)))
 * terms. Measured against mpmath at 40 digits: relative error below 1e-12
 * for a, b up to 5000 (t's df up to 10^4); it grows where a or b is in
 * the millions and x is near a / (a + b), where the fraction's terms
 * cancel (7.7e-10 for df 10^8 at t = 2). A sweep's df are its repeats. */
double stats_incomplete_beta(double a, double b, double x);

/* P(|T| >= |t|) for T of Student's t distribution with df > 0 degrees of
 * freedom (not necessarily whole): I_{df/(df+t^2)}(df/2, 1/2). 1 at t = 0,
 * 0 at an infinite t, NaN for a NaN t or df <= 0. */
double stats_student_t_two_sided(double t, double df);

/* Welch's unequal-variance t-test of two samples: the statistic
 * t = (mean_a - mean_b) / sqrt(var_a/n_a + var_b/n_b), the
 * Welch-Satterthwaite degrees of freedom
 * (var_a/n_a + var_b/n_b)^2 / ((var_a/n_a)^2/(n_a-1) + (var_b/n_b)^2/(n_b-1)),
 * and the two-sided p-value -- scipy.stats.ttest_ind(a, b, equal_var=False).
 * Every field NaN when n_a or n_b is below 2 (no variance to test with).
 * Where both samples have no spread at all (the standard error is 0) the
 * test says what the data do, where scipy says NaN: equal means t = 0,
 * p = 1; different means t = +-inf, p = 0; df NaN in both. */
typedef struct {
    double t, df, p;
} welch_test;

welch_test stats_welch(const double *a, int n_a, const double *b, int n_b);

#endif
