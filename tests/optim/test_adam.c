/* test_adam: Adam with Keras's defaults and Keras's update, in which
 * epsilon is added to sqrt(v) after the bias corrections were folded into
 * the step size (not to sqrt(v_hat) as in torch, which differs where
 * sqrt(v) is comparable to epsilon -- the tiny gradients below). */
#include <string.h>

#include "optim/adam.h"
#include "gradcheck.h"
#include "testing.h"

enum { COUNT = 10 };

/* Gradients across eight decades and both signs; the smallest make
 * sqrt(v) ~ epsilon, where the place of epsilon decides the step. */
static const float grads_first[COUNT] = {
    1.0f, -1.0f, 0.5f, -3.0f, 100.0f, -0.01f, 1e-3f, -1e-4f, 1e-5f, -1e-6f,
};

/* Keras's formula in double for `steps` updates; the betas and epsilon
 * are the float values the optimiser holds (float 0.999 is 0.99900001...,
 * which shows at 1e-6 in the tiny-gradient steps). */
static void reference_adam(double *w, double *m, double *v, const adam_state *a,
                           const float *const *grads, int steps)
{
    const double b1 = a->beta1, b2 = a->beta2, eps = a->epsilon, lr = a->learning_rate;
    for (int t = 1; t <= steps; t++) {
        const double lr_t = lr * sqrt(1.0 - pow(b2, t)) / (1.0 - pow(b1, t));
        for (int i = 0; i < COUNT; i++) {
            const double g = grads[t - 1][i];
            m[i] = b1 * m[i] + (1.0 - b1) * g;
            v[i] = b2 * v[i] + (1.0 - b2) * g * g;
            w[i] -= lr_t * m[i] / (sqrt(v[i]) + eps);
        }
    }
}

static void test_adam_new_has_keras_defaults(void)
{
    adam_state *a = adam_new(COUNT, 0.001f);
    EXPECT(a->count == COUNT, "count %zu", a->count);
    EXPECT(a->step == 0, "step %ld", a->step);
    EXPECT(a->learning_rate == 0.001f, "learning_rate %g", a->learning_rate);
    EXPECT(a->beta1 == 0.9f, "beta1 %g", a->beta1);
    EXPECT(a->beta2 == 0.999f, "beta2 %g", a->beta2);
    EXPECT(a->epsilon == 1e-7f, "epsilon %g", a->epsilon);
    int nonzero = 0;
    for (int i = 0; i < COUNT; i++)
        nonzero += a->m[i] != 0.0f || a->v[i] != 0.0f;
    EXPECT(nonzero == 0, "%d moments start nonzero", nonzero);
    adam_free(a);
}

/* At t = 1, m = (1 - b1) g and sqrt(v) = sqrt(1 - b2) |g|, and the step
 * size lr sqrt(1 - b2) / (1 - b1) cancels both factors:
 *   w1 = w0 - lr g / (|g| + eps / sqrt(1 - b2)),
 * about lr against the sign of g wherever |g| >> eps / sqrt(1 - b2) ~ 3e-6.
 * Parameters start at 0 so w1 is the step itself, to float precision. */
static void test_adam_first_step_moves_each_parameter_by_lr_against_gradient_sign(void)
{
    const float lr = 0.001f;
    adam_state *a = adam_new(COUNT, lr);
    float w[COUNT] = { 0 };
    adam_update(a, w, grads_first);
    const double b2 = a->beta2, eps = a->epsilon;
    for (int i = 0; i < COUNT; i++) {
        const double g = grads_first[i];
        const double exact = -(double)lr * g / (fabs(g) + eps / sqrt(1.0 - b2));
        EXPECT_NEAR(w[i], exact, 0.0, 1e-6);
        if (fabs(g) >= 1e-2)
            EXPECT_NEAR(w[i], g > 0 ? -lr : lr, 1e-3 * lr, 0.0);
    }
    EXPECT(a->step == 1, "step %ld after one update", a->step);
    adam_free(a);
}

/* A non-default learning rate, nonzero starting weights, and a second
 * gradient that flips some signs, so momentum and both bias corrections
 * (t = 1 and t = 2) all enter. Tolerance 1e-6 relative (float arithmetic
 * is ~1e-7) plus 1e-6 of a step absolute, for the weights' float rounding. */
static void test_adam_two_steps_match_double_reference_of_keras_formula(void)
{
    const float lr = 0.01f;
    const float grads_second[COUNT] = {
        0.5f, 2.0f, -0.5f, -3.0f, 1.0f, 0.02f, -1e-3f, -1e-4f, 3e-5f, 1e-6f,
    };
    const float *const grads[2] = { grads_first, grads_second };
    adam_state *a = adam_new(COUNT, lr);
    float w[COUNT];
    double w_ref[COUNT], m_ref[COUNT] = { 0 }, v_ref[COUNT] = { 0 };
    gradcheck_fill(w, COUNT, -0.01f, 0.01f, 5);
    for (int i = 0; i < COUNT; i++)
        w_ref[i] = w[i];
    adam_update(a, w, grads[0]);
    adam_update(a, w, grads[1]);
    reference_adam(w_ref, m_ref, v_ref, a, grads, 2);
    for (int i = 0; i < COUNT; i++) {
        EXPECT_NEAR(w[i], w_ref[i], 1e-6 * lr, 1e-6);
        EXPECT_NEAR(a->m[i], m_ref[i], 0.0, 1e-6);
        EXPECT_NEAR(a->v[i], v_ref[i], 0.0, 1e-6);
    }
    EXPECT(a->step == 2, "step %ld after two updates", a->step);
    adam_free(a);
}

static void test_adam_zero_gradient_leaves_parameters_unchanged(void)
{
    adam_state *a = adam_new(COUNT, 0.001f);
    float w[COUNT], before[COUNT];
    const float zero[COUNT] = { 0 };
    gradcheck_fill(w, COUNT, -1.0f, 1.0f, 6);
    memcpy(before, w, sizeof w);
    adam_update(a, w, zero);
    EXPECT(memcmp(w, before, sizeof w) == 0, "a zero gradient moved the parameters");
    adam_free(a);
}

int main(void)
{
    RUN_TEST(test_adam_new_has_keras_defaults);
    RUN_TEST(test_adam_first_step_moves_each_parameter_by_lr_against_gradient_sign);
    RUN_TEST(test_adam_two_steps_match_double_reference_of_keras_formula);
    RUN_TEST(test_adam_zero_gradient_leaves_parameters_unchanged);
    return testing_finish("test_adam");
}
