/* sweep_figures: the pictures of the whole sweep -- test accuracy of every
 * done trial, accuracy against each setting, sample images, the most
 * confused pairs, the feature scatter. */
#include "plot/figures.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/data.h"
#include "nn/net.h"
#include "plot/chart.h"
#include "core/util.h"

#define ROW_PX 24.0

/* ---- test accuracy of every done trial ---------------------------------- */

static double widest_name(chart_canvas *c, const trial_record *const *done, int n)
{
    double w = 0;
    for (int i = 0; i < n; i++)
        w = fmax(w, chart_text_width(c, done[i]->settings.name, CHART_SMALL_PX, 0));
    return w;
}

/* The axis starts near the lowest figure, not at 0 -- the trials differ
 * in the second decimal -- and says so in its label. [*lo, *hi] holds the
 * figures (lo 1, hi 0 when there are none); made a nice range in [0, 1]. */
static void accuracy_axis(double *lo, double *hi)
{
    *lo -= 0.02;
    chart_nice_range(lo, hi, 6);
    *lo = fmax(*lo, 0);
    *hi = fmin(*hi, 1);
}

static void accuracy_range(const trial_record *const *done, const double *reference, int n,
                           double *lo, double *hi)
{
    *lo = 1;
    *hi = 0;
    for (int i = 0; i < n; i++) {
        double v[2] = { done[i]->test.metrics.accuracy, reference ? reference[i] : NAN };
        for (int k = 0; k < 2; k++)
            if (isfinite(v[k])) {
                *lo = fmin(*lo, v[k]);
                *hi = fmax(*hi, v[k]);
            }
    }
    accuracy_axis(lo, hi);
}

int figure_accuracy_bars(const trial_record *const *done, const double *reference, int n,
                         const char *path, char *err, int err_size)
{
    chart_canvas c;
    int height = (int)(190 + ROW_PX * (n > 0 ? n : 1));
    if (chart_begin(&c, 1000, height, path, err, err_size) != 0)
        return -1;
    double left = widest_name(&c, done, n) + 24, lo, hi;
    accuracy_range(done, reference, n, &lo, &hi);
    chart_axes a = { .left_px = left, .top_px = 50, .width_px = 1000 - left - 40, .height_px = ROW_PX * (n > 0 ? n : 1), .x_min = lo, .x_max = hi, .y_min = 0, .y_max = n, .x_log = 0 };
    char label[96];
    snprintf(label, sizeof label, "test accuracy (fraction correct; the axis starts at %g)", lo);
    chart_draw_axes(&c, &a, label, NULL, "Test accuracy of every done trial, best first", NULL);
    int any_reference = 0;
    for (int i = 0; i < n; i++) {
        double y = a.top_px + i * ROW_PX, acc = done[i]->test.metrics.accuracy;
        double x1 = chart_px_x(&a, acc);
        chart_rect(&c, a.left_px + 1, y + 4, x1 - a.left_px - 1, ROW_PX - 8,
                   i == 0 ? chart_highlight : chart_muted);
        char value[32];
        snprintf(value, sizeof value, "%.4f%s", acc, i == 0 ? "  best" : "");
        chart_text(&c, x1 + 4, y + ROW_PX / 2, value, CHART_SMALL_PX, 0, 0.5, i == 0, chart_black);
        chart_text(&c, left - 8, y + ROW_PX / 2, done[i]->settings.name, CHART_SMALL_PX, 1, 0.5,
                   i == 0, chart_black);
        if (reference && isfinite(reference[i])) {
            double xr = chart_px_x(&a, reference[i]);
            chart_rect(&c, xr - 1.5, y + 1, 3, ROW_PX - 2, chart_black);
            any_reference = 1;
        }
    }
    chart_legend_entry legend[3] = { { "best trial", chart_highlight, 2 },
                                     { "other done trials", chart_muted, 2 },
                                     { "the report's figure (reference_accuracy)", chart_black, 2 } };
    double lw, lh;
    chart_legend_size(&c, legend, 2 + any_reference, &lw, &lh);
    chart_legend(&c, a.left_px + a.width_px - lw, a.top_px + a.height_px + 50, legend, 2 + any_reference);
    return chart_finish(&c, path, err, err_size);
}

/* ---- mean test accuracy of each configuration ------------------------------ */

/* A paler shade of chart_highlight: the configurations Welch's test cannot
 * tell from the best, of the best's hue. */
#define LIKE_BEST_RGB 0xE6B3BC

/* A horizontal error bar from x0 to x1 pixels at y, with end caps. */
static void error_bar(chart_canvas *c, double x0, double x1, double y)
{
    cairo_set_source_rgb(c->cr, chart_black.r, chart_black.g, chart_black.b);
    cairo_set_line_width(c->cr, 1.5);
    cairo_move_to(c->cr, x0, y);
    cairo_line_to(c->cr, x1, y);
    for (int k = 0; k < 2; k++) {
        cairo_move_to(c->cr, k ? x1 : x0, y - 5);
        cairo_line_to(c->cr, k ? x1 : x0, y + 5);
    }
    cairo_stroke(c->cr);
}

int figure_configuration_bars(const repeat_table *t, const char *path, char *err, int err_size)
{
    int n = 0;   /* the configurations with a done repeat come first */
    while (n < t->n_configurations && t->configurations[n].n_done > 0)
        n++;
    chart_canvas c;
    int rows = n > 0 ? n : 1, height = (int)(210 + ROW_PX * rows);
    if (chart_begin(&c, 1000, height, path, err, err_size) != 0)
        return -1;
    double widest = 0, lo = 1, hi = 0;
    for (int i = 0; i < n; i++) {
        const repeat_spread *s = &t->configurations[i].figures[FIGURE_TEST_ACCURACY];
        double sd = isnan(s->sd) ? 0 : s->sd;
        widest = fmax(widest, chart_text_width(&c, t->configurations[i].name, CHART_SMALL_PX, 0));
        lo = fmin(lo, s->mean - sd);
        hi = fmax(hi, s->mean + sd);
    }
    accuracy_axis(&lo, &hi);
    /* room on the right for "0.9123 ± 0.0045 (n 5)  ~best p=0.123" */
    double left = widest + 24, right = 250;
    chart_axes a = { .left_px = left, .top_px = 50, .width_px = 1000 - left - right, .height_px = ROW_PX * rows, .x_min = lo, .x_max = hi, .y_min = 0, .y_max = rows, .x_log = 0 };
    char label[128];
    snprintf(label, sizeof label, "mean test accuracy over the done repeats, \u00b11 sd (the axis starts at %g)", lo);
    chart_draw_axes(&c, &a, label, NULL, "Test accuracy of each configuration over its repeats, best first", NULL);
    for (int i = 0; i < n; i++) {
        const repeat_configuration *k = &t->configurations[i];
        const repeat_spread *s = &k->figures[FIGURE_TEST_ACCURACY];
        double y = a.top_px + i * ROW_PX, x1 = chart_px_x(&a, s->mean), end = x1;
        int best = k->verdict == VERDICT_BEST;
        chart_rect(&c, a.left_px + 1, y + 4, x1 - a.left_px - 1, ROW_PX - 8,
                   best ? chart_highlight : k->verdict == VERDICT_LIKE_BEST ? chart_hex(LIKE_BEST_RGB) : chart_muted);
        if (!isnan(s->sd)) {
            double x0 = chart_px_x(&a, fmax(s->mean - s->sd, lo));
            end = chart_px_x(&a, fmin(s->mean + s->sd, hi));
            error_bar(&c, x0, end, y + ROW_PX / 2);
        }
        char value[96], verdict[48];
        if (k->verdict == VERDICT_LIKE_BEST)
            snprintf(verdict, sizeof verdict, "  ~best p=%.2g", k->vs_best.p);
        else if (k->verdict == VERDICT_WORSE)
            snprintf(verdict, sizeof verdict, "  p=%.2g", k->vs_best.p);
        else
            snprintf(verdict, sizeof verdict, "%s", best ? "  best" : "");
        if (isnan(s->sd))
            snprintf(value, sizeof value, "%.4f (n 1)%s", s->mean, verdict);
        else
            snprintf(value, sizeof value, "%.4f \u00b1 %.4f (n %d)%s", s->mean, s->sd, k->n_done, verdict);
        chart_text(&c, end + 6, y + ROW_PX / 2, value, CHART_SMALL_PX, 0, 0.5, best, chart_black);
        chart_text(&c, left - 8, y + ROW_PX / 2, k->name, CHART_SMALL_PX, 1, 0.5, best, chart_black);
    }
    if (n == 0)
        chart_text(&c, a.left_px + 10, a.top_px + ROW_PX / 2, "no configuration has a done repeat yet",
                   CHART_TEXT_PX, 0, 0.5, 0, chart_black);
    chart_legend_entry legend[4] = {
        { "the best configuration (highest mean)", chart_highlight, 2 },
        { "not distinguishable from the best (Welch's t-test, p >= 0.05)", chart_hex(LIKE_BEST_RGB), 2 },
        { "worse, or untested (fewer than 2 done repeats)", chart_muted, 2 },
        { "\u00b11 sample standard deviation", chart_black, 0 },
    };
    double lw, lh;
    chart_legend_size(&c, legend, 4, &lw, &lh);
    chart_legend(&c, a.left_px + a.width_px + right - 20 - lw, a.top_px + a.height_px + 50, legend, 4);
    return chart_finish(&c, path, err, err_size);
}

/* ---- accuracy against each setting ---------------------------------------- */

static double dropout_of(const trial_settings *s) { return s->dropout; }
static double l2_of(const trial_settings *s) { return s->l2; }
static double learning_rate_of(const trial_settings *s) { return s->learning_rate; }
static double batch_size_of(const trial_settings *s) { return s->batch_size; }
static double epochs_of(const trial_settings *s) { return s->epochs; }
static double batch_norm_of(const trial_settings *s) { return s->batch_norm; }
static double blocks_of(const trial_settings *s) { return s->n_blocks; }
static double dense_layers_of(const trial_settings *s) { return s->n_dense; }
static double train_images_of(const trial_settings *s) { return s->train_limit ? s->train_limit : 60000; }

static double conv_layers_of(const trial_settings *s)
{
    int n = 0;
    for (int b = 0; b < s->n_blocks; b++)
        n += s->block_convs[b];
    return n;
}

static double parameters_of(const trial_settings *s)
{
    char err[256];
    net *layout = net_layout(s, err, sizeof err);
    double n = layout ? (double)layout->n_params : NAN;
    net_free(layout);
    return n;
}

const plot_setting plot_settings[] = {
    { "parameters", "trainable parameters", parameters_of, 1 },
    { "conv_blocks", "conv blocks (each ends in 2x2 max pooling)", blocks_of, 0 },
    { "conv_layers", "3x3 conv layers in all", conv_layers_of, 0 },
    { "dense_layers", "hidden dense layers", dense_layers_of, 0 },
    { "dropout", "dropout rate", dropout_of, 0 },
    { "l2", "L2 factor on dense kernels", l2_of, 1 },
    { "batch_norm", "batch normalization (0 no, 1 yes)", batch_norm_of, 0 },
    { "learning_rate", "Adam learning rate", learning_rate_of, 1 },
    { "batch_size", "batch size (images)", batch_size_of, 1 },
    { "epochs", "epoch limit", epochs_of, 0 },
    { "train_images", "training images (before the validation split)", train_images_of, 1 },
};
const int plot_n_settings = (int)(sizeof plot_settings / sizeof plot_settings[0]);

int plot_setting_varies(const plot_setting *s, const trial_record *const *done, int n)
{
    for (int i = 1; i < n; i++)
        if (s->value(&done[i]->settings) != s->value(&done[0]->settings))
            return 1;
    return 0;
}

/* 4% beyond the ticks on every side, so no dot sits on the frame. */
static void pad_range(chart_axes *a)
{
    const double f = 0.04;
    if (a->x_log) {
        double decades = log10(a->x_max / a->x_min);
        a->x_min /= pow(10, f * decades);
        a->x_max *= pow(10, f * decades);
    } else {
        double span = a->x_max - a->x_min;
        a->x_min -= f * span;
        a->x_max += f * span;
    }
    double span = a->y_max - a->y_min;
    a->y_min -= f * span;
    a->y_max += f * span;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The mean accuracy at each distinct value, as a line (xs sorted). */
static void mean_line(chart_canvas *c, const chart_axes *a, const double *x, const double *acc, int n)
{
    double *xs = xcalloc((size_t)n, sizeof *xs), *means = xcalloc((size_t)n, sizeof *means);
    memcpy(xs, x, sizeof *xs * (size_t)n);
    qsort(xs, (size_t)n, sizeof *xs, by_value);
    int distinct = 0;
    for (int i = 0; i < n; i++)
        if (distinct == 0 || xs[i] != xs[distinct - 1])
            xs[distinct++] = xs[i];
    for (int k = 0; k < distinct; k++) {
        int count = 0;
        for (int i = 0; i < n; i++)
            if (x[i] == xs[k]) {
                means[k] += acc[i];
                count++;
            }
        means[k] /= count;
    }
    chart_polyline(c, a, xs, means, distinct, chart_grey, 1.5, 0);
    free(xs);
    free(means);
}

int figure_accuracy_by_setting(const plot_setting *s, const trial_record *const *done, int n,
                               const char *path, char *err, int err_size)
{
    chart_canvas c;
    if (chart_begin(&c, 800, 420, path, err, err_size) != 0)
        return -1;
    double *x = xcalloc((size_t)n + 1, sizeof *x), *acc = xcalloc((size_t)n + 1, sizeof *acc);
    chart_axes a = { .left_px = 90, .top_px = 50, .width_px = 520, .height_px = 310, .x_min = INFINITY, .x_max = -INFINITY, .y_min = 1, .y_max = 0, .x_log = s->log_scale };
    for (int i = 0; i < n; i++) {
        x[i] = s->value(&done[i]->settings);
        acc[i] = done[i]->test.metrics.accuracy;
        a.x_min = fmin(a.x_min, x[i]);
        a.x_max = fmax(a.x_max, x[i]);
        a.y_min = fmin(a.y_min, acc[i]);
        a.y_max = fmax(a.y_max, acc[i]);
    }
    if (a.x_log && !(a.x_min > 0))
        a.x_log = 0;
    if (a.x_log) {
        a.x_min = pow(10, floor(log10(a.x_min)));
        a.x_max = pow(10, ceil(log10(a.x_max)));
        if (a.x_max <= a.x_min)
            a.x_max = a.x_min * 10;
    } else {
        chart_nice_range(&a.x_min, &a.x_max, 6);
    }
    chart_nice_range(&a.y_min, &a.y_max, 5);
    pad_range(&a);
    char title[160];
    snprintf(title, sizeof title, "Test accuracy by %s", s->label);
    chart_draw_axes(&c, &a, s->label, "test accuracy (fraction)", title, "%.3f");
    mean_line(&c, &a, x, acc, n);
    for (int i = 0; i < n; i++)   /* done[0] is the best: drawn last, on top */
        chart_dot(&c, chart_px_x(&a, x[n - 1 - i]), chart_px_y(&a, acc[n - 1 - i]),
                  n - 1 - i == 0 ? 6 : 4.5, n - 1 - i == 0 ? chart_highlight : chart_hex(0x332288));
    chart_legend_entry legend[3] = { { "a done trial", chart_hex(0x332288), 1 },
                                     { "the best trial", chart_highlight, 1 },
                                     { "mean at each value", chart_grey, 0 } };
    chart_legend(&c, a.left_px + a.width_px + 12, a.top_px, legend, 3);
    free(x);
    free(acc);
    return chart_finish(&c, path, err, err_size);
}

/* ---- images ----------------------------------------------------------------- */

#define THUMB_PX 44.0
#define THUMB_GAP_PX 4.0

int figure_samples(const plot_images *im, int per_class, const char *path, char *err, int err_size)
{
    chart_canvas c;
    const double left = 130, top = 50, step = THUMB_PX + THUMB_GAP_PX;
    if (chart_begin(&c, (int)(left + per_class * step + 20), (int)(top + N_CLASSES * step + 20),
                    path, err, err_size) != 0)
        return -1;
    chart_text(&c, c.width_px / 2.0, 14, "Test images of each class", CHART_TITLE_PX, 0.5, 0, 1,
               chart_black);
    int shown[N_CLASSES] = { 0 };
    for (int i = 0; i < im->count; i++) {
        int k = im->labels[i];
        if (k >= N_CLASSES || shown[k] >= per_class)
            continue;
        chart_thumbnail(&c, im->pixels + (size_t)i * IMAGE_PIXELS, IMAGE_SIDE,
                        left + shown[k] * step, top + k * step, THUMB_PX);
        shown[k]++;
    }
    for (int k = 0; k < N_CLASSES; k++)
        chart_text(&c, left - 10, top + k * step + THUMB_PX / 2, class_names[k], CHART_TEXT_PX, 1,
                   0.5, 0, chart_black);
    return chart_finish(&c, path, err, err_size);
}

#define CONFUSED_PAIRS 5
#define CONFUSED_EXAMPLES 10

/* The CONFUSED_PAIRS most frequent (true, predicted) mistakes, most first. */
static int top_mistakes(const class_metrics *m, int pairs[][2])
{
    int n = 0;
    for (int p = 0; p < CONFUSED_PAIRS; p++) {
        long best = 0;
        int bi = -1, bj = -1;
        for (int i = 0; i < N_CLASSES; i++)
            for (int j = 0; j < N_CLASSES; j++) {
                int taken = 0;
                for (int q = 0; q < n; q++)
                    taken |= pairs[q][0] == i && pairs[q][1] == j;
                if (i != j && !taken && m->confusion[i][j] > best) {
                    best = m->confusion[i][j];
                    bi = i;
                    bj = j;
                }
            }
        if (bi < 0)
            break;
        pairs[n][0] = bi;
        pairs[n][1] = bj;
        n++;
    }
    return n;
}

int figure_confused_pairs(const trial_record *t, const plot_images *im, const char *path,
                          char *err, int err_size)
{
    int pairs[CONFUSED_PAIRS][2];
    const class_metrics *m = &t->test.metrics;
    int n = top_mistakes(m, pairs);
    chart_canvas c;
    const double left = 20, top = 50, step = THUMB_PX + THUMB_GAP_PX, row_px = THUMB_PX + 36;
    if (chart_begin(&c, (int)(left + CONFUSED_EXAMPLES * step + 20),
                    (int)(top + (n > 0 ? n : 1) * row_px + 10), path, err, err_size) != 0)
        return -1;
    char text[TRIAL_NAME_MAX + 96];
    snprintf(text, sizeof text, "Most frequent mistakes of %s", t->settings.name);
    chart_text(&c, c.width_px / 2.0, 14, text, CHART_TITLE_PX, 0.5, 0, 1, chart_black);
    if (n == 0)
        chart_text(&c, left, top + 20, "no test image was misclassified", CHART_TEXT_PX, 0, 0.5, 0,
                   chart_black);
    int count = t->n_predictions < im->count ? t->n_predictions : im->count;
    for (int p = 0; p < n; p++) {
        int truth = pairs[p][0], said = pairs[p][1];
        double y = top + p * row_px;
        snprintf(text, sizeof text, "%s taken for %s: %ld of %ld", class_names[truth],
                 class_names[said], m->confusion[truth][said], m->class_support[truth]);
        chart_text(&c, left, y + 8, text, CHART_TEXT_PX, 0, 0.5, 0, chart_black);
        int shown = 0;
        for (int i = 0; i < count && shown < CONFUSED_EXAMPLES; i++)
            if (im->labels[i] == truth && t->predictions[i] == said)
                chart_thumbnail(&c, im->pixels + (size_t)i * IMAGE_PIXELS, IMAGE_SIDE,
                                left + step * shown++, y + 24, THUMB_PX);
    }
    return chart_finish(&c, path, err, err_size);
}

/* ---- the feature scatter ------------------------------------------------------- */

int figure_scatter(const double *xy, const uint8_t *labels, int n, const double explained[2],
                   const char *trial_name, const char *path, char *err, int err_size)
{
    chart_canvas c;
    if (chart_begin(&c, 960, 720, path, err, err_size) != 0)
        return -1;
    chart_axes a = { .left_px = 90, .top_px = 50, .width_px = 640, .height_px = 590, .x_min = INFINITY, .x_max = -INFINITY, .y_min = INFINITY, .y_max = -INFINITY, .x_log = 0 };
    for (int i = 0; i < n; i++) {
        a.x_min = fmin(a.x_min, xy[2 * i]);
        a.x_max = fmax(a.x_max, xy[2 * i]);
        a.y_min = fmin(a.y_min, xy[2 * i + 1]);
        a.y_max = fmax(a.y_max, xy[2 * i + 1]);
    }
    if (n == 0)
        a.x_min = a.y_min = -1, a.x_max = a.y_max = 1;
    chart_nice_range(&a.x_min, &a.x_max, 6);
    chart_nice_range(&a.y_min, &a.y_max, 6);
    pad_range(&a);
    char x_label[64], y_label[64], title[TRIAL_NAME_MAX + 96];
    snprintf(x_label, sizeof x_label, "principal component 1 (%.0f%% of the variance)", 100 * explained[0]);
    snprintf(y_label, sizeof y_label, "principal component 2 (%.0f%% of the variance)", 100 * explained[1]);
    snprintf(title, sizeof title, "Penultimate-layer features of %d test images, %s (PCA)", n,
             trial_name);
    chart_draw_axes(&c, &a, x_label, y_label, title, "%g");
    cairo_push_group(c.cr);
    for (int i = 0; i < n; i++)
        chart_dot(&c, chart_px_x(&a, xy[2 * i]), chart_px_y(&a, xy[2 * i + 1]), 3,
                  chart_class_colour(labels[i]));
    cairo_pop_group_to_source(c.cr);
    cairo_paint_with_alpha(c.cr, 0.8);
    chart_legend_entry legend[N_CLASSES];
    for (int k = 0; k < N_CLASSES; k++) {
        legend[k].label = class_names[k];
        legend[k].colour = chart_class_colour(k);
        legend[k].kind = 1;
    }
    chart_legend(&c, a.left_px + a.width_px + 14, a.top_px, legend, N_CLASSES);
    return chart_finish(&c, path, err, err_size);
}
