/* trial_figures: the pictures of one trial -- learning curves, confusion
 * matrix, per-class precision / recall / F1. */
#include "plot/figures.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "data/data.h"
#include "plot/chart.h"
#include "core/util.h"

#define TRAIN_COLOUR chart_hex(0x332288)        /* Tol indigo */
#define VALIDATION_COLOUR chart_hex(0xcc6677)   /* Tol rose */

/* One panel: train and validation of one measure per epoch, the tested
 * epoch marked. which: 0 accuracy, 1 loss. */
static void curve_panel(chart_canvas *c, const trial_record *t, const chart_axes *frame, int which)
{
    int n = t->n_history;
    double *x = xcalloc((size_t)n + 1, sizeof *x), *train = xcalloc((size_t)n + 1, sizeof *train);
    double *val = xcalloc((size_t)n + 1, sizeof *val);
    chart_axes a = *frame;
    a.y_min = INFINITY;
    a.y_max = -INFINITY;
    for (int i = 0; i < n; i++) {
        const epoch_record *e = &t->history[i];
        x[i] = e->epoch;
        train[i] = which ? e->loss : e->accuracy;
        val[i] = which ? e->val_loss : e->val_accuracy;
        for (int k = 0; k < 2; k++) {
            double v = k ? val[i] : train[i];
            if (isfinite(v)) {
                a.y_min = fmin(a.y_min, v);
                a.y_max = fmax(a.y_max, v);
            }
        }
    }
    if (!isfinite(a.y_min)) {
        a.y_min = 0;
        a.y_max = 1;
    }
    chart_nice_range(&a.y_min, &a.y_max, 5);
    /* a quarter epoch of margin: the tested epoch's line clear of the frame */
    a.x_min = n > 1 ? 0.75 : 0.5;
    a.x_max = n > 1 ? n + 0.25 : 1.5;
    a.x_whole = 1;
    chart_draw_axes(c, &a, "epoch", which ? "loss (cross-entropy)" : "accuracy (fraction correct)",
                    which ? "loss" : "accuracy", which ? "%.2f" : "%.2f");
    chart_polyline(c, &a, x, train, n, TRAIN_COLOUR, 2.5, 0);
    chart_polyline(c, &a, x, val, n, VALIDATION_COLOUR, 2.5, 1);
    for (int i = 0; i < n; i++) {
        chart_dot(c, chart_px_x(&a, x[i]), chart_px_y(&a, train[i]), 3, TRAIN_COLOUR);
        if (isfinite(val[i]))
            chart_dot(c, chart_px_x(&a, x[i]), chart_px_y(&a, val[i]), 3, VALIDATION_COLOUR);
    }
    if (t->best_epoch >= 1 && t->best_epoch <= n) {
        chart_vline(c, &a, t->best_epoch, chart_grey, 1);
        double v = val[t->best_epoch - 1];
        if (isfinite(v))
            chart_dot(c, chart_px_x(&a, t->best_epoch), chart_px_y(&a, v), 6, chart_black);
    }
    chart_legend_entry legend[3] = { { "training", TRAIN_COLOUR, 0 },
                                     { "validation", VALIDATION_COLOUR, 0 },
                                     { "tested epoch", chart_black, 1 } };
    double lw, lh;
    int entries = t->best_epoch >= 1 ? 3 : 2;
    chart_legend_size(c, legend, entries, &lw, &lh);
    /* accuracy rises, loss falls: the legend goes where the lines are not */
    chart_legend(c, a.left_px + a.width_px - lw - 8,
                 which ? a.top_px + 8 : a.top_px + a.height_px - lh - 8, legend, entries);
    free(x);
    free(train);
    free(val);
}

int figure_learning_curves(const trial_record *t, const char *path, char *err, int err_size)
{
    chart_canvas c;
    if (chart_begin(&c, 1000, 420, path, err, err_size) != 0)
        return -1;
    char title[TRIAL_NAME_MAX + 96];
    snprintf(title, sizeof title, "%s: %d epoch%s, %s", t->settings.name, t->n_history,
             t->n_history == 1 ? "" : "s", trial_status_names[t->status]);
    chart_text(&c, 500, 8, title, CHART_TITLE_PX, 0.5, 0, 1, chart_black);
    chart_axes left = { .left_px = 80, .top_px = 60, .width_px = 380, .height_px = 290, .x_min = 0, .x_max = 1, .y_min = 0, .y_max = 1, .x_log = 0 };
    chart_axes right = { .left_px = 580, .top_px = 60, .width_px = 380, .height_px = 290, .x_min = 0, .x_max = 1, .y_min = 0, .y_max = 1, .x_log = 0 };
    curve_panel(&c, t, &left, 0);
    curve_panel(&c, t, &right, 1);
    return chart_finish(&c, path, err, err_size);
}

#define CELL_PX 46.0

int figure_confusion(const trial_record *t, const char *path, char *err, int err_size)
{
    chart_canvas c;
    if (chart_begin(&c, 760, 620, path, err, err_size) != 0)
        return -1;
    const class_metrics *m = &t->test.metrics;
    const double left = 170, top = 60;
    char text[TRIAL_NAME_MAX + 96];
    snprintf(text, sizeof text, "%s: confusion matrix, %ld test images", t->settings.name, m->count);
    chart_text(&c, 380, 14, text, CHART_TITLE_PX, 0.5, 0, 1, chart_black);
    for (int i = 0; i < N_CLASSES; i++) {
        long row = 0;
        for (int j = 0; j < N_CLASSES; j++)
            row += m->confusion[i][j];
        for (int j = 0; j < N_CLASSES; j++) {
            /* coloured by the share of the true class, so rare and
             * common classes read alike; the count is written in */
            double share = row > 0 ? (double)m->confusion[i][j] / row : 0;
            double x = left + j * CELL_PX, y = top + i * CELL_PX;
            chart_rect(&c, x, y, CELL_PX - 1, CELL_PX - 1, chart_viridis(share));
            snprintf(text, sizeof text, "%ld", m->confusion[i][j]);
            chart_rgb ink = { 1, 1, 1 };
            chart_text(&c, x + CELL_PX / 2, y + CELL_PX / 2, text, CHART_SMALL_PX, 0.5, 0.5,
                       i == j, share > 0.55 ? chart_black : ink);
        }
        chart_text(&c, left - 8, top + (i + 0.5) * CELL_PX, class_names[i], CHART_SMALL_PX, 1, 0.5,
                   0, chart_black);
        chart_text_turned(&c, left + (i + 0.5) * CELL_PX, top + N_CLASSES * CELL_PX + 8,
                          class_names[i], CHART_SMALL_PX, M_PI / 4, 1, chart_black);
    }
    chart_text_turned(&c, 70, top + 5 * CELL_PX, "true class", CHART_TEXT_PX, M_PI / 2, 0.5,
                      chart_black);
    chart_text(&c, left + 5 * CELL_PX, 605, "predicted class", CHART_TEXT_PX, 0.5, 1, 0, chart_black);
    /* the colour bar */
    const double bar_x = left + N_CLASSES * CELL_PX + 30, bar_h = N_CLASSES * CELL_PX;
    for (int k = 0; k < 100; k++)
        chart_rect(&c, bar_x, top + bar_h * (1 - (k + 1) / 100.0), 16, bar_h / 100 + 0.5,
                   chart_viridis(k / 99.0));
    for (int k = 0; k <= 4; k++) {
        snprintf(text, sizeof text, "%.2f", k / 4.0);
        chart_text(&c, bar_x + 22, top + bar_h * (1 - k / 4.0), text, CHART_SMALL_PX, 0, 0.5, 0,
                   chart_black);
    }
    chart_text_turned(&c, bar_x + 72, top + bar_h / 2, "share of the true class", CHART_SMALL_PX,
                      M_PI / 2, 0.5, chart_black);
    return chart_finish(&c, path, err, err_size);
}

int figure_class_scores(const trial_record *t, const char *path, char *err, int err_size)
{
    chart_canvas c;
    if (chart_begin(&c, 1000, 390, path, err, err_size) != 0)
        return -1;
    const class_metrics *m = &t->test.metrics;
    static const char *const names[3] = { "precision", "recall", "F1" };
    const chart_rgb colour[3] = { chart_hex(0x332288), chart_hex(0x44aa99), chart_hex(0xddcc77) };
    chart_axes a = { .left_px = 80, .top_px = 50, .width_px = 780, .height_px = 280, .x_min = 0, .x_max = N_CLASSES, .y_min = 0, .y_max = 1, .x_log = 0 };
    char title[TRIAL_NAME_MAX + 64];
    snprintf(title, sizeof title, "%s: per-class scores on the test set", t->settings.name);
    chart_draw_axes(&c, &a, NULL, "score (fraction)", title, "%.1f");
    const double group_px = a.width_px / N_CLASSES, bar_px = group_px * 0.26;
    for (int i = 0; i < N_CLASSES; i++) {
        double score[3] = { m->class_precision[i], m->class_recall[i], m->class_f1[i] };
        double x0 = a.left_px + i * group_px + (group_px - 3 * bar_px) / 2;
        for (int k = 0; k < 3; k++) {
            double top = chart_px_y(&a, score[k]);
            chart_rect(&c, x0 + k * bar_px, top, bar_px - 1, chart_px_y(&a, 0) - top, colour[k]);
        }
        chart_text_turned(&c, a.left_px + (i + 0.5) * group_px, a.top_px + a.height_px + 10,
                          class_names[i], CHART_SMALL_PX, M_PI / 6, 1, chart_black);
    }
    chart_legend_entry legend[3];
    for (int k = 0; k < 3; k++) {
        legend[k].label = names[k];
        legend[k].colour = colour[k];
        legend[k].kind = 2;
    }
    chart_legend(&c, a.left_px + a.width_px + 12, a.top_px, legend, 3);
    return chart_finish(&c, path, err, err_size);
}
