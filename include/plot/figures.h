/* figures: each picture of the study, drawn with chart.h and saved as
 * one PNG -- per trial its learning curves, confusion matrix and
 * per-class scores (trial_figures.c); for the sweep its sorted test
 * accuracies, accuracy against each setting that varies, sample images
 * per class, the most-confused pairs and the feature scatter
 * (sweep_figures.c). Each returns 0, or -1 with err one line naming the
 * file. Called by plot.c. */
#ifndef SWEEP_PLOT_FIGURES_H
#define SWEEP_PLOT_FIGURES_H

#include <stdint.h>

#include "report/repeats.h"
#include "store/results.h"

/* Test images as the dataset holds them, for the pictures that show them. */
typedef struct {
    int count;
    uint8_t *pixels;             /* count x 784 bytes, 0 black */
    uint8_t *labels;
} plot_images;

/* ---- one trial (needs at least one epoch of history) ---- */
int figure_learning_curves(const trial_record *t, const char *path, char *err, int err_size);
/* Done trials only. */
int figure_confusion(const trial_record *t, const char *path, char *err, int err_size);
int figure_class_scores(const trial_record *t, const char *path, char *err, int err_size);

/* ---- the sweep ---- */

/* Done trials by test accuracy, best first, the best highlighted;
 * reference[i] (NaN: none) the report's figure for done[i]. */
int figure_accuracy_bars(const trial_record *const *done, const double *reference, int n,
                         const char *path, char *err, int err_size);

/* A sweep with repeats (repeats.h): each configuration with a done repeat,
 * in the table's order (best first), its mean test accuracy a bar and
 * +-1 sample standard deviation an error bar; the best highlighted, the
 * ones Welch's test cannot tell from it (p >= 0.05) in a paler shade of
 * it and labelled ~best with their p, the others plain with theirs. */
int figure_configuration_bars(const repeat_table *t, const char *path, char *err, int err_size);

/* A trial setting the sweep varies, plotted against test accuracy. */
typedef struct {
    const char *name;            /* file-name part and /summary-like name */
    const char *label;           /* axis label, with unit */
    double (*value)(const trial_settings *s);
    int log_scale;               /* worth a log axis when all values > 0 */
} plot_setting;
extern const plot_setting plot_settings[];
extern const int plot_n_settings;
/* Whether the done trials hold two or more values of s. */
int plot_setting_varies(const plot_setting *s, const trial_record *const *done, int n);
int figure_accuracy_by_setting(const plot_setting *s, const trial_record *const *done, int n,
                               const char *path, char *err, int err_size);

/* per_class images of each class, a row each, from the first test images. */
int figure_samples(const plot_images *im, int per_class, const char *path, char *err,
                   int err_size);
/* t's most frequent (true, predicted) mistakes, each with example images
 * (t's stored predictions on the first test images). */
int figure_confused_pairs(const trial_record *t, const plot_images *im, const char *path,
                          char *err, int err_size);
/* n points (xy: 2n) coloured by class label. */
int figure_scatter(const double *xy, const uint8_t *labels, int n, const double explained[2],
                   const char *trial_name, const char *path, char *err, int err_size);

#endif
