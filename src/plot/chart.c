/* chart: axes, marks and text on a cairo canvas. */
#include "plot/chart.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/util.h"

#define FONT "DejaVu Sans"

const chart_rgb chart_black = { 0.13, 0.13, 0.13 };
const chart_rgb chart_grey = { 0.45, 0.45, 0.45 };
const chart_rgb chart_light_grey = { 0.90, 0.90, 0.90 };
const chart_rgb chart_highlight = { 0.80, 0.40, 0.47 };   /* Tol's rose: the best */
const chart_rgb chart_muted = { 0.53, 0.80, 0.93 };       /* Tol's cyan: the others */

chart_rgb chart_hex(unsigned v)
{
    chart_rgb c = { ((v >> 16) & 255) / 255.0, ((v >> 8) & 255) / 255.0, (v & 255) / 255.0 };
    return c;
}

/* Paul Tol's "muted" scheme (distinct under the common colour-vision
 * deficiencies), its pale grey replaced by near-black for a tenth class. */
chart_rgb chart_class_colour(int k)
{
    static const unsigned muted[10] = { 0x332288, 0x88ccee, 0x44aa99, 0x117733, 0x999933,
                                        0xddcc77, 0xcc6677, 0x882255, 0xaa4499, 0x222222 };
    return chart_hex(muted[((k % 10) + 10) % 10]);
}

/* matplotlib's viridis at nine evenly spaced points, interpolated:
 * perceptually uniform and readable in greyscale and by colour-blind
 * readers. */
chart_rgb chart_viridis(double t)
{
    static const unsigned anchors[9] = { 0x440154, 0x472d7b, 0x3b528b, 0x2c728e, 0x21918c,
                                         0x28ae80, 0x5ec962, 0xaadc32, 0xfde725 };
    if (!(t > 0))
        t = 0;
    if (t > 1)
        t = 1;
    double at = t * 8;
    int i = at >= 8 ? 7 : (int)at;
    double f = at - i;
    chart_rgb a = chart_hex(anchors[i]), b = chart_hex(anchors[i + 1]);
    chart_rgb c = { a.r + f * (b.r - a.r), a.g + f * (b.g - a.g), a.b + f * (b.b - a.b) };
    return c;
}

int chart_open(chart_canvas *c, int width_px, int height_px)
{
    memset(c, 0, sizeof *c);
    c->surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, width_px, height_px);
    if (cairo_surface_status(c->surface) != CAIRO_STATUS_SUCCESS)
        return -1;
    c->cr = cairo_create(c->surface);
    c->width_px = width_px;
    c->height_px = height_px;
    cairo_set_source_rgb(c->cr, 1, 1, 1);
    cairo_paint(c->cr);
    cairo_select_font_face(c->cr, FONT, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    return cairo_status(c->cr) == CAIRO_STATUS_SUCCESS ? 0 : -1;
}

int chart_save_png(chart_canvas *c, const char *path, char *err, int err_size)
{
    char tmp[PATH_MAX + 8];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) {
        snprintf(err, (size_t)err_size, "%s: path too long", path);
        return -1;
    }
    cairo_surface_flush(c->surface);
    cairo_status_t s = cairo_surface_write_to_png(c->surface, tmp);
    if (s != CAIRO_STATUS_SUCCESS) {
        snprintf(err, (size_t)err_size, "%s: cannot write: %s", tmp, cairo_status_to_string(s));
        remove(tmp);
        return -1;
    }
    if (rename(tmp, path) != 0) {
        snprintf(err, (size_t)err_size, "%s: cannot rename into place", path);
        remove(tmp);
        return -1;
    }
    return 0;
}

void chart_close(chart_canvas *c)
{
    if (c->cr)
        cairo_destroy(c->cr);
    if (c->surface)
        cairo_surface_destroy(c->surface);
    memset(c, 0, sizeof *c);
}

int chart_begin(chart_canvas *c, int width_px, int height_px, const char *path, char *err,
                int err_size)
{
    if (chart_open(c, width_px, height_px) == 0)
        return 0;
    snprintf(err, (size_t)err_size, "%s: cairo cannot make a %dx%d picture", path, width_px,
             height_px);
    chart_close(c);
    return -1;
}

int chart_finish(chart_canvas *c, const char *path, char *err, int err_size)
{
    int rc = chart_save_png(c, path, err, err_size);
    chart_close(c);
    return rc;
}

static void set_colour(chart_canvas *c, chart_rgb colour)
{
    cairo_set_source_rgb(c->cr, colour.r, colour.g, colour.b);
}

double chart_px_x(const chart_axes *a, double x)
{
    double lo = a->x_min, hi = a->x_max;
    if (a->x_log) {
        x = log10(x);
        lo = log10(lo);
        hi = log10(hi);
    }
    return a->left_px + (hi > lo ? (x - lo) / (hi - lo) : 0.5) * a->width_px;
}

double chart_px_y(const chart_axes *a, double y)
{
    double span = a->y_max - a->y_min;
    return a->top_px + a->height_px - (span > 0 ? (y - a->y_min) / span : 0.5) * a->height_px;
}

static double tick_step(double lo, double hi, int target)
{
    double raw = (hi - lo) / (target > 1 ? target : 1);
    if (!(raw > 0))
        return 1;
    double magnitude = pow(10, floor(log10(raw)));
    double f = raw / magnitude;
    return magnitude * (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10);
}

int chart_ticks(double lo, double hi, int target, double *ticks, int max)
{
    double step = tick_step(lo, hi, target);
    int n = 0;
    for (double v = ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9 && n < max; v += step)
        ticks[n++] = fabs(v) < step * 1e-9 ? 0 : v;
    return n;
}

void chart_nice_range(double *lo, double *hi, int target)
{
    if (!(*hi > *lo)) {
        double pad = fabs(*lo) > 0 ? fabs(*lo) * 0.05 : 0.5;
        *lo -= pad;
        *hi += pad;
    }
    double step = tick_step(*lo, *hi, target);
    *lo = floor(*lo / step) * step;
    *hi = ceil(*hi / step) * step;
}

double chart_text_width(chart_canvas *c, const char *text, double size_px, int bold)
{
    cairo_text_extents_t e;
    cairo_select_font_face(c->cr, FONT, CAIRO_FONT_SLANT_NORMAL,
                           bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(c->cr, size_px);
    cairo_text_extents(c->cr, text, &e);
    return e.x_advance;
}

double chart_text(chart_canvas *c, double x, double y, const char *text, double size_px,
                  double align_x, double align_y, int bold, chart_rgb colour)
{
    double w = chart_text_width(c, text, size_px, bold);
    /* align_y by the font's cap height, not the string's own ink, so
     * labels of one row share a baseline */
    double cap = size_px * 0.73;
    set_colour(c, colour);
    cairo_move_to(c->cr, x - align_x * w, y + (1 - align_y) * cap);
    cairo_show_text(c->cr, text);
    return w;
}

void chart_text_turned(chart_canvas *c, double x, double y, const char *text, double size_px,
                       double angle_rad, double align_x, chart_rgb colour)
{
    cairo_save(c->cr);
    cairo_translate(c->cr, x, y);
    cairo_rotate(c->cr, -angle_rad);
    chart_text(c, 0, 0, text, size_px, align_x, 0.5, 0, colour);
    cairo_restore(c->cr);
}

static void format_tick(char *buf, size_t size, double v, const char *format, int log_scale)
{
    if (log_scale) {
        int e = (int)lround(log10(v));
        if (e >= -2 && e <= 3)
            snprintf(buf, size, "%g", pow(10, e));
        else
            snprintf(buf, size, "1e%d", e);
    } else {
        snprintf(buf, size, format ? format : "%g", v);
    }
}

static void draw_x_ticks(chart_canvas *c, const chart_axes *a)
{
    double ticks[32];
    int n;
    if (a->x_log) {
        n = 0;
        for (int e = (int)ceil(log10(a->x_min) - 1e-9); e <= (int)floor(log10(a->x_max) + 1e-9) && n < 32; e++)
            ticks[n++] = pow(10, e);
    } else {
        n = chart_ticks(a->x_min, a->x_max, 6, ticks, 32);
    }
    if (a->x_whole) {
        int kept = 0;
        for (int i = 0; i < n; i++)
            if (fabs(ticks[i] - round(ticks[i])) < 1e-9)
                ticks[kept++] = ticks[i];
        n = kept;
    }
    double bottom = a->top_px + a->height_px;
    for (int i = 0; i < n; i++) {
        double x = chart_px_x(a, ticks[i]);
        char label[32];
        set_colour(c, chart_light_grey);
        cairo_move_to(c->cr, x, a->top_px);
        cairo_line_to(c->cr, x, bottom);
        cairo_stroke(c->cr);
        set_colour(c, chart_black);
        cairo_move_to(c->cr, x, bottom);
        cairo_line_to(c->cr, x, bottom + 5);
        cairo_stroke(c->cr);
        format_tick(label, sizeof label, ticks[i], NULL, a->x_log);
        chart_text(c, x, bottom + 8, label, CHART_SMALL_PX, 0.5, 0, 0, chart_black);
    }
}

/* Returns the widest label, to place the axis label clear of it. */
static double draw_y_ticks(chart_canvas *c, const chart_axes *a, const char *format)
{
    double ticks[32], widest = 0;
    int n = chart_ticks(a->y_min, a->y_max, 5, ticks, 32);
    double right = a->left_px + a->width_px;
    for (int i = 0; i < n; i++) {
        double y = chart_px_y(a, ticks[i]);
        char label[32];
        set_colour(c, chart_light_grey);
        cairo_move_to(c->cr, a->left_px, y);
        cairo_line_to(c->cr, right, y);
        cairo_stroke(c->cr);
        set_colour(c, chart_black);
        cairo_move_to(c->cr, a->left_px - 5, y);
        cairo_line_to(c->cr, a->left_px, y);
        cairo_stroke(c->cr);
        format_tick(label, sizeof label, ticks[i], format, 0);
        double w = chart_text(c, a->left_px - 8, y, label, CHART_SMALL_PX, 1, 0.5, 0, chart_black);
        if (w > widest)
            widest = w;
    }
    return widest;
}

void chart_draw_axes(chart_canvas *c, const chart_axes *a, const char *x_label,
                     const char *y_label, const char *title, const char *y_format)
{
    cairo_set_line_width(c->cr, 1);
    if (x_label) {
        draw_x_ticks(c, a);
        chart_text(c, a->left_px + a->width_px / 2, a->top_px + a->height_px + 28, x_label,
                   CHART_TEXT_PX, 0.5, 0, 0, chart_black);
    }
    double widest = y_label ? draw_y_ticks(c, a, y_format) : 0;
    if (y_label)
        chart_text_turned(c, a->left_px - widest - 22, a->top_px + a->height_px / 2, y_label,
                          CHART_TEXT_PX, M_PI / 2, 0.5, chart_black);
    set_colour(c, chart_black);
    cairo_rectangle(c->cr, a->left_px + 0.5, a->top_px + 0.5, a->width_px, a->height_px);
    cairo_stroke(c->cr);
    if (title)
        chart_text(c, a->left_px + a->width_px / 2, a->top_px - 12, title, CHART_TITLE_PX, 0.5,
                   1, 1, chart_black);
}

void chart_polyline(chart_canvas *c, const chart_axes *a, const double *x, const double *y,
                    int n, chart_rgb colour, double width_px, int dashed)
{
    static const double dash[] = { 6, 4 };
    int started = 0;
    set_colour(c, colour);
    cairo_set_line_width(c->cr, width_px);
    cairo_set_dash(c->cr, dash, dashed ? 2 : 0, 0);
    for (int i = 0; i < n; i++) {
        if (!isfinite(y[i])) {
            started = 0;   /* a gap, not a line through a missing value */
            continue;
        }
        double px = chart_px_x(a, x[i]), py = chart_px_y(a, y[i]);
        if (started)
            cairo_line_to(c->cr, px, py);
        else
            cairo_move_to(c->cr, px, py);
        started = 1;
    }
    cairo_stroke(c->cr);
    cairo_set_dash(c->cr, dash, 0, 0);
    cairo_set_line_width(c->cr, 1);
}

void chart_dot(chart_canvas *c, double x_px, double y_px, double radius_px, chart_rgb colour)
{
    set_colour(c, colour);
    cairo_new_sub_path(c->cr);
    cairo_arc(c->cr, x_px, y_px, radius_px, 0, 2 * M_PI);
    cairo_fill(c->cr);
}

void chart_rect(chart_canvas *c, double x_px, double y_px, double w_px, double h_px, chart_rgb fill)
{
    set_colour(c, fill);
    cairo_rectangle(c->cr, x_px, y_px, w_px, h_px);
    cairo_fill(c->cr);
}

void chart_vline(chart_canvas *c, const chart_axes *a, double x, chart_rgb colour, int dashed)
{
    double xs[2] = { x, x }, ys[2] = { a->y_min, a->y_max };
    chart_polyline(c, a, xs, ys, 2, colour, 1.5, dashed);
}

#define LEGEND_ROW_PX 20.0
#define LEGEND_SWATCH_PX 22.0

void chart_legend_size(chart_canvas *c, const chart_legend_entry *e, int n, double *w, double *h)
{
    double widest = 0;
    for (int i = 0; i < n; i++) {
        double tw = chart_text_width(c, e[i].label, CHART_SMALL_PX, 0);
        if (tw > widest)
            widest = tw;
    }
    *w = widest + LEGEND_SWATCH_PX + 22;
    *h = n * LEGEND_ROW_PX + 10;
}

void chart_legend(chart_canvas *c, double x_px, double y_px, const chart_legend_entry *e, int n)
{
    double w, h;
    chart_legend_size(c, e, n, &w, &h);
    cairo_set_source_rgba(c->cr, 1, 1, 1, 0.9);
    cairo_rectangle(c->cr, x_px, y_px, w, h);
    cairo_fill_preserve(c->cr);
    set_colour(c, chart_grey);
    cairo_set_line_width(c->cr, 1);
    cairo_stroke(c->cr);
    for (int i = 0; i < n; i++) {
        double y = y_px + 5 + LEGEND_ROW_PX * (i + 0.5), x = x_px + 8;
        if (e[i].kind == 0) {
            set_colour(c, e[i].colour);
            cairo_set_line_width(c->cr, 2.5);
            cairo_move_to(c->cr, x, y);
            cairo_line_to(c->cr, x + LEGEND_SWATCH_PX - 4, y);
            cairo_stroke(c->cr);
            cairo_set_line_width(c->cr, 1);
        } else if (e[i].kind == 1) {
            chart_dot(c, x + LEGEND_SWATCH_PX / 2 - 2, y, 4.5, e[i].colour);
        } else {
            chart_rect(c, x + 2, y - 6, 12, 12, e[i].colour);
        }
        chart_text(c, x + LEGEND_SWATCH_PX + 4, y, e[i].label, CHART_SMALL_PX, 0, 0.5, 0, chart_black);
    }
}

void chart_thumbnail(chart_canvas *c, const uint8_t *pixels, int side, double x_px,
                     double y_px, double side_px)
{
    cairo_surface_t *img = cairo_image_surface_create(CAIRO_FORMAT_RGB24, side, side);
    if (cairo_surface_status(img) != CAIRO_STATUS_SUCCESS)
        return;
    cairo_surface_flush(img);
    unsigned char *data = cairo_image_surface_get_data(img);
    int stride = cairo_image_surface_get_stride(img);
    for (int y = 0; y < side; y++)
        for (int x = 0; x < side; x++) {
            uint32_t v = pixels[y * side + x];
            memcpy(data + (size_t)y * (size_t)stride + 4 * (size_t)x,
                   &(uint32_t){ (v << 16) | (v << 8) | v }, 4);
        }
    cairo_surface_mark_dirty(img);
    cairo_save(c->cr);
    cairo_translate(c->cr, x_px, y_px);
    cairo_scale(c->cr, side_px / side, side_px / side);
    cairo_set_source_surface(c->cr, img, 0, 0);
    cairo_pattern_set_filter(cairo_get_source(c->cr), CAIRO_FILTER_NEAREST);
    cairo_paint(c->cr);
    cairo_restore(c->cr);
    cairo_surface_destroy(img);
}
