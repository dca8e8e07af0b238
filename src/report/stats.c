/* stats: mean, sample standard deviation, Welch's t-test. */
#include "report/stats.h"

#include <float.h>
#include <math.h>

double stats_mean(const double *x, int n)
{
    if (n <= 0)
        return NAN;
    double sum = 0;
    for (int i = 0; i < n; i++)
        sum += x[i];
    return sum / n;
}

double stats_sample_sd(const double *x, int n)
{
    if (n < 2)
        return NAN;
    double mean = stats_mean(x, n), sum = 0, squares = 0;
    for (int i = 0; i < n; i++) {
        sum += x[i] - mean;
        squares += (x[i] - mean) * (x[i] - mean);
    }
    /* sum is the rounding error of the mean: subtracting its share makes
     * this the corrected two-pass formula (Chan, Golub and LeVeque 1983) */
    return sqrt((squares - sum * sum / n) / (n - 1));
}

#define BETA_MAX_TERMS 20000
#define BETA_EPSILON 1e-15
#define BETA_TINY (DBL_MIN / DBL_EPSILON)   /* NR's FPMIN: keeps a denominator off 0 */

/* One step of the modified Lentz method for the coefficient aa: the new
 * C_m and D_m (each kept off 0, NR's way) and the factor C_m D_m the
 * fraction's value is multiplied by. */
static double lentz_step(double aa, double *c, double *d)
{
    *d = 1 + aa * *d;
    if (fabs(*d) < BETA_TINY)
        *d = BETA_TINY;
    *c = 1 + aa / *c;
    if (fabs(*c) < BETA_TINY)
        *c = BETA_TINY;
    *d = 1 / *d;
    return *d * *c;
}

/* The continued fraction of I_x(a, b) (NR's betacf), by the modified
 * Lentz method: h = d_0 (1 + a_1 / (1 + a_2 / ...)) built as a product of
 * ratios C_m D_m, each term's even and odd coefficients in turn. */
static double beta_fraction(double a, double b, double x)
{
    double qab = a + b, qap = a + 1, qam = a - 1;
    double c = 1, d = 1 - qab * x / qap;
    if (fabs(d) < BETA_TINY)
        d = BETA_TINY;
    d = 1 / d;
    double h = d;
    for (int m = 1; m <= BETA_MAX_TERMS; m++) {
        int m2 = 2 * m;
        h *= lentz_step(m * (b - m) * x / ((qam + m2) * (a + m2)), &c, &d);
        double step = lentz_step(-(a + m) * (qab + m) * x / ((a + m2) * (qap + m2)), &c, &d);
        h *= step;
        if (fabs(step - 1) < BETA_EPSILON)
            break;
    }
    return h;
}

/* lgamma(x) - Stirling's approximation (x - 1/2) log x - x + log sqrt(2 pi),
 * for x >= 10, from Stirling's series: the Bernoulli terms
 * B_2k / (2k (2k-1) x^(2k-1)); the first left out is below 1e-15 there. */
static double stirling_remainder(double x)
{
    double x2 = 1 / (x * x);
    return (1.0 / 12 + x2 * (-1.0 / 360 + x2 * (1.0 / 1260 + x2 * (-1.0 / 1680 +
            x2 * (1.0 / 1188 + x2 * (-691.0 / 360360)))))) / x;
}

#define LOG_SQRT_2PI 0.91893853320467274178

/* log B(a, b). With both small, lgamma's own; else the three lgammas
 * written out by Stirling with their large, nearly equal terms cancelled
 * by hand (log1p of the ratios), since lgamma(a + b) - lgamma(a) with a
 * in the millions (half a sweep's df at most, but the t distribution is
 * asked for any df) keeps only about 16 - log10(a log a) digits. */
static double log_beta(double a, double b)
{
    double p = fmin(a, b), q = fmax(a, b), sum = p + q;
    if (q < 10)
        return lgamma(p) + lgamma(q) - lgamma(sum);
    if (p >= 10)
        return (p - 0.5) * log(p / sum) + (q - 0.5) * log1p(-p / sum) - 0.5 * log(sum) +
               LOG_SQRT_2PI + stirling_remainder(p) + stirling_remainder(q) - stirling_remainder(sum);
    /* lgamma(q) - lgamma(p + q), the same way; lgamma(p) as it is */
    return lgamma(p) + p - p * log(sum) + (q - 0.5) * log1p(-p / sum) + stirling_remainder(q) -
           stirling_remainder(sum);
}

/* I_x(a, b) with y = 1 - x given: a caller who knows it exactly (t^2 /
 * (df + t^2)) does not lose it to rounding. The front factor
 * x^a y^b / B(a, b) is taken through logarithms, log x as log1p(-y) when
 * x is near 1, so a factor a in the millions does not magnify its
 * rounding. */
static double incomplete_beta(double a, double b, double x, double y)
{
    if (!(a > 0) || !(b > 0) || !(x >= 0) || !(x <= 1))
        return NAN;
    if (x == 0 || x == 1)
        return x;
    double log_x = x > 0.5 ? log1p(-y) : log(x), log_y = y > 0.5 ? log1p(-x) : log(y);
    double front = exp(a * log_x + b * log_y - log_beta(a, b));
    if (x < (a + 1) / (a + b + 2))
        return front * beta_fraction(a, b, x) / a;
    return 1 - front * beta_fraction(b, a, y) / b;
}

double stats_incomplete_beta(double a, double b, double x)
{
    return incomplete_beta(a, b, x, 1 - x);
}

double stats_student_t_two_sided(double t, double df)
{
    if (isnan(t) || !(df > 0))
        return NAN;
    if (isinf(t))
        return 0;
    double t2 = t * t;
    return incomplete_beta(df / 2, 0.5, df / (df + t2), t2 / (df + t2));
}

welch_test stats_welch(const double *a, int n_a, const double *b, int n_b)
{
    welch_test w = { NAN, NAN, NAN };
    if (n_a < 2 || n_b < 2)
        return w;
    double sd_a = stats_sample_sd(a, n_a), sd_b = stats_sample_sd(b, n_b);
    double va = sd_a * sd_a / n_a, vb = sd_b * sd_b / n_b, difference = stats_mean(a, n_a) - stats_mean(b, n_b);
    if (va + vb == 0) {
        w.t = difference == 0 ? 0 : copysign(INFINITY, difference);
        w.p = difference == 0 ? 1 : 0;
        return w;
    }
    w.t = difference / sqrt(va + vb);
    w.df = (va + vb) * (va + vb) / (va * va / (n_a - 1) + vb * vb / (n_b - 1));
    w.p = stats_student_t_two_sided(w.t, w.df);
    return w;
}
