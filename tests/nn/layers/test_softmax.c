/* test_softmax: softmax with sparse categorical cross-entropy -- rows of
 * probabilities summing to 1 even for logits of +-1000, the forward
 * returning the SUM of -log p[label], the backward writing (p - onehot) *
 * scale, and that backward (scale 1/B) as the gradient of the mean loss. */
#include <stdint.h>
#include <string.h>

#include "gradcheck.h"
#include "nn/layers/softmax.h"
#include "testing.h"

enum { B = 3, C = 7 };

static const uint8_t labels[B] = { 0, 6, 3 };

/* Softmax of one row in double, shifted by the row maximum. */
static void reference_softmax(double *p, const float *z, int n)
{
    double zmax = z[0], sum = 0.0;
    for (int c = 1; c < n; c++)
        zmax = z[c] > zmax ? z[c] : zmax;
    for (int c = 0; c < n; c++)
        sum += exp(z[c] - zmax);
    for (int c = 0; c < n; c++)
        p[c] = exp(z[c] - zmax) / sum;
}

static void test_softmax_probabilities_sum_to_one_and_match_reference(void)
{
    float logits[B * C], probs[B * C];
    gradcheck_fill(logits, B * C, -5.0f, 5.0f, 1);
    softmax_xent_forward(probs, logits, labels, B, C);
    for (int b = 0; b < B; b++) {
        double p[C], sum = 0.0;
        reference_softmax(p, logits + b * C, C);
        for (int c = 0; c < C; c++) {
            EXPECT(probs[b * C + c] > 0.0f, "p[%d][%d] = %g", b, c, probs[b * C + c]);
            EXPECT_NEAR(probs[b * C + c], p[c], 1e-7, 1e-6);
            sum += probs[b * C + c];
        }
        EXPECT_NEAR(sum, 1.0, 1e-6, 0.0);
    }
}

/* exp(1000) overflows float and double: only a shifted softmax survives.
 * The loss is logsumexp(z) - z[label], also for a label whose probability
 * underflows to 0 (no log(0), no clip: 2000 for the middle row). */
static void test_softmax_is_stable_for_logits_of_1000(void)
{
    const float logits[B * C] = {
        1000, 999, 998, 1000, 997, 996, 995,
        1000, -1000, 0, 0, 0, 0, 0,
        -1000, -1001, -1002, -1003, -1004, -1005, -999,
    };
    const uint8_t big_labels[B] = { 3, 1, 6 };
    float probs[B * C];
    const double loss = softmax_xent_forward(probs, logits, big_labels, B, C);
    double expected_loss = 0.0;
    for (int b = 0; b < B; b++) {
        double p[C], zmax = -INFINITY, sum_exp = 0.0, sum = 0.0;
        reference_softmax(p, logits + b * C, C);
        for (int c = 0; c < C; c++)
            zmax = logits[b * C + c] > zmax ? logits[b * C + c] : zmax;
        for (int c = 0; c < C; c++) {
            sum_exp += exp(logits[b * C + c] - zmax);
            EXPECT(isfinite(probs[b * C + c]), "p[%d][%d] = %g", b, c, probs[b * C + c]);
            EXPECT_NEAR(probs[b * C + c], p[c], 1e-7, 1e-6);
            sum += probs[b * C + c];
        }
        EXPECT_NEAR(sum, 1.0, 1e-6, 0.0);
        expected_loss += log(sum_exp) + zmax - logits[b * C + big_labels[b]];
    }
    EXPECT(isfinite(loss), "loss = %g", loss);
    EXPECT_NEAR(loss, expected_loss, 1e-6, 1e-9);
}

static void test_softmax_loss_is_sum_of_minus_log_p_label(void)
{
    float logits[B * C], probs[B * C];
    gradcheck_fill(logits, B * C, -3.0f, 3.0f, 2);
    const double loss = softmax_xent_forward(probs, logits, labels, B, C);
    double expected = 0.0;
    for (int b = 0; b < B; b++) {
        double p[C];
        reference_softmax(p, logits + b * C, C);
        expected -= log(p[labels[b]]);
    }
    EXPECT_NEAR(loss, expected, 1e-9, 1e-9);
}

static void test_softmax_backward_is_p_minus_onehot_times_scale(void)
{
    float logits[B * C], probs[B * C], dlogits[B * C];
    gradcheck_fill(logits, B * C, -3.0f, 3.0f, 3);
    softmax_xent_forward(probs, logits, labels, B, C);
    const float scale = 0.125f;
    for (int i = 0; i < B * C; i++)
        dlogits[i] = 1e3f;  /* garbage the backward must overwrite */
    softmax_xent_backward(dlogits, probs, labels, scale, B, C);
    for (int b = 0; b < B; b++)
        for (int c = 0; c < C; c++) {
            const double expected = ((double)probs[b * C + c] - (c == labels[b])) * scale;
            EXPECT_NEAR(dlogits[b * C + c], expected, 1e-8, 1e-6);
        }
}

typedef struct {
    float logits[B * C], probs[B * C];
} softmax_case;

static double mean_loss(void *ctx)
{
    softmax_case *c = ctx;
    return softmax_xent_forward(c->probs, c->logits, labels, B, C) / B;
}

/* The mean loss is smooth with bounded third derivative (< 1) in logits
 * spread +-3: with h = 1e-2 the truncation is ~1e-5 and the float
 * rounding of p enters the backward at 1e-7; tolerance 1e-4 absolute +
 * 1e-3 relative. */
static void test_softmax_backward_is_gradient_of_mean_loss(void)
{
    softmax_case c;
    gradcheck_fill(c.logits, B * C, -3.0f, 3.0f, 4);
    float dlogits[B * C];
    softmax_xent_forward(c.probs, c.logits, labels, B, C);
    softmax_xent_backward(dlogits, c.probs, labels, 1.0f / B, B, C);
    EXPECT_GRADIENT("dlogits", c.logits, dlogits, B * C, 1e-2f, 1e-4, 1e-3, mean_loss, &c);
}

int main(void)
{
    RUN_TEST(test_softmax_probabilities_sum_to_one_and_match_reference);
    RUN_TEST(test_softmax_is_stable_for_logits_of_1000);
    RUN_TEST(test_softmax_loss_is_sum_of_minus_log_p_label);
    RUN_TEST(test_softmax_backward_is_p_minus_onehot_times_scale);
    RUN_TEST(test_softmax_backward_is_gradient_of_mean_loss);
    return testing_finish("test_softmax");
}
