/* metrics: the test-set measures the report compares models by --
 * accuracy, support-weighted precision / recall / F1 (scikit-learn's
 * "weighted avg"), RMSE of (predicted - true class index), the confusion
 * matrix and the per-class figures. Pure functions of the predictions;
 * called by the trainer after the final evaluation. */
#ifndef SWEEP_METRICS_H
#define SWEEP_METRICS_H

#include <stdint.h>

#include "data/data.h"

typedef struct {
    long count;
    long confusion[N_CLASSES][N_CLASSES];  /* [true class][predicted class] */
    double accuracy;
    double precision, recall, f1;          /* weighted by true-class support */
    double rmse;
    double class_precision[N_CLASSES];     /* 0 where nothing was predicted */
    double class_recall[N_CLASSES];        /* 0 where the class is absent */
    double class_f1[N_CLASSES];
    long class_support[N_CLASSES];
} class_metrics;

void metrics_from_predictions(class_metrics *m, const uint8_t *truth,
                              const uint8_t *predicted, int count);

#endif
