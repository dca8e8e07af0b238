/* metrics: the confusion matrix and the figures derived from it, defined
 * as scikit-learn's classification_report defines them, since the study's
 * tables came from it: a class with nothing predicted has precision 0
 * (zero_division=0) rather than NaN, and the summary figures are averages
 * over the ten classes weighted by true-class support ("weighted avg"). */
#include "train/metrics.h"

#include <math.h>
#include <string.h>

#include "core/util.h"

static double ratio_or_zero(double num, double den)
{
    return den > 0 ? num / den : 0.0;
}

static void per_class(class_metrics *m)
{
    for (int c = 0; c < N_CLASSES; c++) {
        long predicted_as_c = 0, support = 0;
        for (int k = 0; k < N_CLASSES; k++) {
            predicted_as_c += m->confusion[k][c];
            support += m->confusion[c][k];
        }
        double tp = (double)m->confusion[c][c];
        double p = ratio_or_zero(tp, (double)predicted_as_c);
        double r = ratio_or_zero(tp, (double)support);
        m->class_support[c] = support;
        m->class_precision[c] = p;
        m->class_recall[c] = r;
        m->class_f1[c] = ratio_or_zero(2 * p * r, p + r);
    }
}

/* Support-weighted means; the supports sum to count. Weighted recall is
 * then trace / count, the accuracy, as in scikit-learn. */
static void weighted_averages(class_metrics *m)
{
    double p = 0, r = 0, f1 = 0, trace = 0;
    for (int c = 0; c < N_CLASSES; c++) {
        double w = (double)m->class_support[c];
        p += w * m->class_precision[c];
        r += w * m->class_recall[c];
        f1 += w * m->class_f1[c];
        trace += (double)m->confusion[c][c];
    }
    double n = (double)m->count;
    m->precision = ratio_or_zero(p, n);
    m->recall = ratio_or_zero(r, n);
    m->f1 = ratio_or_zero(f1, n);
    m->accuracy = ratio_or_zero(trace, n);
}

void metrics_from_predictions(class_metrics *m, const uint8_t *truth,
                              const uint8_t *predicted, int count)
{
    memset(m, 0, sizeof *m);
    m->count = count > 0 ? count : 0;
    double squared_error = 0;
    for (int i = 0; i < count; i++) {
        int t = truth[i], p = predicted[i];
        CHECK(t < N_CLASSES && p < N_CLASSES,
              "class out of range at %d: true %d, predicted %d", i, t, p);
        m->confusion[t][p]++;
        squared_error += (double)(p - t) * (p - t);
    }
    per_class(m);
    weighted_averages(m);
    /* The study's RMSE treats class indices as numbers: predicting Ankle
     * boot (9) for a T-shirt (0) costs more than Trouser (1) for it. */
    m->rmse = sqrt(ratio_or_zero(squared_error, (double)m->count));
}
