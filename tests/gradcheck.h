/* gradcheck: finite-difference gradient checks for the layer tests.
 * A test writes its loss as a scalar function of its buffers (usually
 * f = sum(out * g) for a fixed random upstream gradient g, so df/dout = g
 * and the layer's backward called with dout = g is the analytic gradient),
 * then EXPECT_GRADIENT perturbs one buffer element at a time and compares
 * the central difference (f(x+h) - f(x-h)) / 2h with the analytic value.
 * Header-only; tests are its only callers. Also holds the deterministic
 * fill the tests use for their inputs, so layer tests do not depend on the
 * rng module they are not testing. */
#ifndef SWEEP_GRADCHECK_H
#define SWEEP_GRADCHECK_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "testing.h"

/* The scalar being differentiated, evaluated at the buffers' current
 * contents. Sums should run in double: the difference of two nearby
 * values of f is what the check divides by 2h. */
typedef double (*gradcheck_scalar)(void *ctx);

/* The element that came closest to (or went furthest past) its tolerance.
 * excess = |numeric - analytic| / (atol + rtol * |analytic|): <= 1 passes,
 * NaN or infinity anywhere makes it infinite. */
typedef struct {
    size_t index;
    double numeric, analytic, excess;
} gradcheck_report;

static inline gradcheck_report gradcheck_compare(float *x, const float *analytic, size_t n,
                                                 float h, double atol, double rtol,
                                                 gradcheck_scalar f, void *ctx)
{
    gradcheck_report worst = { 0, 0.0, 0.0, -1.0 };
#ifdef _OPENMP
    /* f runs 2n times, on one thread: a team's barrier costs a scheduler
     * slice whenever another process holds a core, which turns a 0.05 s
     * check into 10 s on a busy machine. The caller computed the analytic
     * gradient with the full team, so the parallel loops are still covered. */
    const int threads = omp_get_max_threads();
    omp_set_num_threads(1);
#endif
    for (size_t i = 0; i < n; i++) {
        const float saved = x[i];
        const float up = saved + h, down = saved - h;
        x[i] = up;
        const double f_up = f(ctx);
        x[i] = down;
        const double f_down = f(ctx);
        x[i] = saved;
        /* Divide by the step float arithmetic actually took, not by 2h:
         * saved +- h is rounded to float and the difference matters at
         * |x| >> h. */
        const double numeric = (f_up - f_down) / ((double)up - (double)down);
        const double ana = analytic[i];
        double excess = fabs(numeric - ana) / (atol + rtol * fabs(ana));
        if (!isfinite(excess))
            excess = INFINITY;
        if (excess > worst.excess) {
            worst.index = i;
            worst.numeric = numeric;
            worst.analytic = ana;
            worst.excess = excess;
        }
    }
#ifdef _OPENMP
    omp_set_num_threads(threads);
#endif
    if (getenv("GRADCHECK_VERBOSE"))
        fprintf(stderr, "  gradcheck: worst element %zu of %zu: numeric %.7g, analytic %.7g, "
                "%.3g of the tolerance\n", worst.index, n, worst.numeric, worst.analytic,
                worst.excess);
    return worst;
}

/* Checks d f / d x[i] against analytic[i] for every i < n; one EXPECT for
 * the whole buffer, naming the worst element, so a failure is one line
 * that says where it was reported from. */
#define EXPECT_GRADIENT(label, x, analytic_, n, h, atol, rtol, f, ctx) do { \
    gradcheck_report gr_ = gradcheck_compare((x), (analytic_), (n), (h), (atol), (rtol), \
                                             (f), (ctx)); \
    EXPECT(gr_.excess <= 1.0, \
           "%s: worst element %zu of %zu: numeric %.7g, analytic %.7g, |diff| %.3g > " \
           "allowed %.3g (atol %g + rtol %g * |analytic|)", \
           (label), gr_.index, (size_t)(n), gr_.numeric, gr_.analytic, \
           fabs(gr_.numeric - gr_.analytic), (atol) + (rtol) * fabs(gr_.analytic), \
           (double)(atol), (double)(rtol)); } while (0)

/* sum(out * g) in double: the usual scalar for a layer's gradient check. */
static inline double gradcheck_dot(const float *out, const float *g, size_t n)
{
    double sum = 0.0;
    for (size_t i = 0; i < n; i++)
        sum += (double)out[i] * g[i];
    return sum;
}

/* Uniform floats between lo and hi from a fixed seed (xorshift64*: small, and
 * independent of src/rng.c). */
static inline void gradcheck_fill(float *x, size_t n, float lo, float hi, uint64_t seed)
{
    uint64_t s = seed * 0x9e3779b97f4a7c15ULL + 1;
    for (size_t i = 0; i < n; i++) {
        s ^= s >> 12;
        s ^= s << 25;
        s ^= s >> 27;
        const uint64_t r = s * 0x2545f4914f6cdd1dULL;
        x[i] = lo + (hi - lo) * (float)((double)(r >> 40) / 16777216.0);
    }
}

#endif
