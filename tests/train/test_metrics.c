/* test_metrics: the test-set figures on a hand-worked example, on perfect
 * and degenerate predictions, and the identities that tie them together
 * (scikit-learn's definitions: zero_division=0, support-weighted averages). */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "train/metrics.h"
#include "testing.h"

#define TOL 1e-12

static void test_hand_worked_example_matches_by_hand_figures(void)
{
    /* i:      0 1 2 3 4 5 6 7 8 9
     * truth:  0 0 0 0 1 1 2 2 2 3
     * pred:   0 0 0 1 1 2 2 2 0 2
     * confusion[true][pred]: [0][0]=3 [0][1]=1; [1][1]=1 [1][2]=1;
     *                        [2][2]=2 [2][0]=1; [3][2]=1.
     * support (row sums):        4, 2, 3, 1
     * predicted as c (columns):  4, 2, 4, 0
     * TP:                        3, 1, 2, 0        accuracy = 6/10 = 0.6
     * precision: 3/4, 1/2, 2/4, 0 (class 3 never predicted)
     * recall:    3/4, 1/2, 2/3, 0
     * f1:        3/4, 1/2, 2(1/2)(2/3)/(1/2 + 2/3) = 4/7, 0
     * weighted precision = (4(3/4) + 2(1/2) + 3(1/2) + 0) / 10 = 5.5/10 = 0.55
     * weighted recall    = (3 + 1 + 2 + 0) / 10 = 0.6 (= accuracy)
     * weighted f1        = (3 + 1 + 3(4/7) + 0) / 10 = (40/7)/10 = 4/7
     * pred - true: 0 0 0 1 0 1 0 0 -2 -1, squares sum to 7: rmse = sqrt(0.7) */
    const uint8_t truth[] = {0, 0, 0, 0, 1, 1, 2, 2, 2, 3};
    const uint8_t pred[] = {0, 0, 0, 1, 1, 2, 2, 2, 0, 2};
    class_metrics m;
    metrics_from_predictions(&m, truth, pred, 10);
    EXPECT(m.count == 10, "count = %ld", m.count);
    EXPECT(m.confusion[0][0] == 3 && m.confusion[0][1] == 1 && m.confusion[1][1] == 1 &&
           m.confusion[1][2] == 1 && m.confusion[2][2] == 2 && m.confusion[2][0] == 1 &&
           m.confusion[3][2] == 1, "confusion cells");
    EXPECT(m.class_support[0] == 4 && m.class_support[1] == 2 &&
           m.class_support[2] == 3 && m.class_support[3] == 1 && m.class_support[4] == 0,
           "supports");
    EXPECT_NEAR(m.accuracy, 0.6, TOL, 0);
    EXPECT_NEAR(m.class_precision[0], 0.75, TOL, 0);
    EXPECT_NEAR(m.class_precision[1], 0.5, TOL, 0);
    EXPECT_NEAR(m.class_precision[2], 0.5, TOL, 0);
    EXPECT_NEAR(m.class_precision[3], 0.0, TOL, 0);
    EXPECT_NEAR(m.class_recall[0], 0.75, TOL, 0);
    EXPECT_NEAR(m.class_recall[1], 0.5, TOL, 0);
    EXPECT_NEAR(m.class_recall[2], 2.0 / 3.0, TOL, 0);
    EXPECT_NEAR(m.class_recall[3], 0.0, TOL, 0);
    EXPECT_NEAR(m.class_f1[0], 0.75, TOL, 0);
    EXPECT_NEAR(m.class_f1[1], 0.5, TOL, 0);
    EXPECT_NEAR(m.class_f1[2], 4.0 / 7.0, TOL, 0);
    EXPECT_NEAR(m.class_f1[3], 0.0, TOL, 0);
    EXPECT_NEAR(m.precision, 0.55, TOL, 0);
    EXPECT_NEAR(m.recall, 0.6, TOL, 0);
    EXPECT_NEAR(m.f1, 4.0 / 7.0, TOL, 0);
    EXPECT_NEAR(m.rmse, sqrt(0.7), TOL, 0);
}

static void test_perfect_predictions_score_one_and_rmse_zero(void)
{
    uint8_t labels[50];
    for (int i = 0; i < 50; i++)
        labels[i] = (uint8_t)(i % N_CLASSES);
    class_metrics m;
    metrics_from_predictions(&m, labels, labels, 50);
    EXPECT(m.accuracy == 1.0 && m.precision == 1.0 && m.recall == 1.0 && m.f1 == 1.0,
           "accuracy %g precision %g recall %g f1 %g", m.accuracy, m.precision,
           m.recall, m.f1);
    EXPECT(m.rmse == 0.0, "rmse = %g", m.rmse);
    for (int c = 0; c < N_CLASSES; c++)
        EXPECT(m.class_precision[c] == 1.0 && m.class_recall[c] == 1.0 &&
               m.class_f1[c] == 1.0 && m.confusion[c][c] == 5 && m.class_support[c] == 5,
               "class %d", c);
}

static void test_class_never_predicted_has_precision_zero_not_nan(void)
{
    /* Everything predicted as 0: classes 1 and 2 are never predicted (0/0
     * precision, scikit-learn's zero_division=0 gives 0), classes 3-9 have
     * no support either (0/0 recall gives 0).
     * precision: c0 = 1/3; recall: c0 = 1; f1 c0 = 2(1/3)(1)/(4/3) = 1/2.
     * weighted (supports 1, 1, 1): precision 1/9, recall 1/3, f1 1/6.
     * rmse = sqrt((0 + 1 + 4) / 3). */
    const uint8_t truth[] = {0, 1, 2};
    const uint8_t pred[] = {0, 0, 0};
    class_metrics m;
    metrics_from_predictions(&m, truth, pred, 3);
    for (int c = 0; c < N_CLASSES; c++)
        EXPECT(!isnan(m.class_precision[c]) && !isnan(m.class_recall[c]) &&
               !isnan(m.class_f1[c]), "class %d has a NaN", c);
    EXPECT(m.class_precision[1] == 0.0 && m.class_precision[2] == 0.0 &&
           m.class_recall[1] == 0.0 && m.class_f1[2] == 0.0 &&
           m.class_precision[9] == 0.0 && m.class_recall[9] == 0.0,
           "never-predicted and absent classes are 0");
    EXPECT_NEAR(m.class_precision[0], 1.0 / 3.0, TOL, 0);
    EXPECT_NEAR(m.class_f1[0], 0.5, TOL, 0);
    EXPECT_NEAR(m.precision, 1.0 / 9.0, TOL, 0);
    EXPECT_NEAR(m.recall, 1.0 / 3.0, TOL, 0);
    EXPECT_NEAR(m.f1, 1.0 / 6.0, TOL, 0);
    EXPECT_NEAR(m.rmse, sqrt(5.0 / 3.0), TOL, 0);
}

static void test_no_predictions_give_zeros_not_nan(void)
{
    class_metrics m;
    metrics_from_predictions(&m, NULL, NULL, 0);
    EXPECT(m.count == 0 && m.accuracy == 0.0 && m.precision == 0.0 && m.recall == 0.0 &&
           m.f1 == 0.0 && m.rmse == 0.0, "all zero for an empty set");
}

static void test_identities_hold_on_scattered_predictions(void)
{
    enum { N = 997 };
    uint8_t truth[N], pred[N];
    uint32_t x = 12345;
    for (int i = 0; i < N; i++) {
        x = x * 1664525u + 1013904223u;  /* LCG: a fixed, varied sample */
        truth[i] = (uint8_t)((x >> 24) % N_CLASSES);
        /* right about 60% of the time, otherwise a nearby class */
        pred[i] = (x >> 8) % 10 < 6 ? truth[i]
                                    : (uint8_t)((truth[i] + 1 + (x >> 12) % 3) % N_CLASSES);
    }
    class_metrics m;
    metrics_from_predictions(&m, truth, pred, N);
    long total = 0, trace = 0, support = 0;
    for (int t = 0; t < N_CLASSES; t++) {
        long row = 0;
        for (int p = 0; p < N_CLASSES; p++)
            row += m.confusion[t][p];
        EXPECT(row == m.class_support[t], "row %d sums to %ld, support %ld", t, row,
               m.class_support[t]);
        total += row;
        trace += m.confusion[t][t];
        support += m.class_support[t];
    }
    EXPECT(total == N && support == N, "confusion sums to %ld, supports to %ld", total,
           support);
    EXPECT_NEAR(m.accuracy, (double)trace / N, TOL, 0);
    /* scikit-learn: weighted recall = sum(support * TP/support) / N = accuracy */
    EXPECT_NEAR(m.recall, m.accuracy, TOL, 0);
    EXPECT(m.accuracy > 0.5 && m.accuracy < 0.7, "accuracy %g near the 60%% built in",
           m.accuracy);
}

int main(void)
{
    RUN_TEST(test_hand_worked_example_matches_by_hand_figures);
    RUN_TEST(test_perfect_predictions_score_one_and_rmse_zero);
    RUN_TEST(test_class_never_predicted_has_precision_zero_not_nan);
    RUN_TEST(test_no_predictions_give_zeros_not_nan);
    RUN_TEST(test_identities_hold_on_scattered_predictions);
    return testing_finish("test_metrics");
}
