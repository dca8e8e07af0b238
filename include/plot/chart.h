/* chart: the little of a plotting toolkit the study's pictures need --
 * a canvas (a cairo image surface saved as PNG), axes with nice ticks,
 * grid lines and labels, lines, markers, bars, text, legends, greyscale
 * thumbnails, and two colour maps chosen for colour-blind readers (Paul
 * Tol's "muted" qualitative palette for classes, viridis for heat maps).
 * Used by plot/figures.c only; nothing in training includes cairo. */
#ifndef SWEEP_PLOT_CHART_H
#define SWEEP_PLOT_CHART_H

#include <cairo.h>
#include <stdint.h>

typedef struct { double r, g, b; } chart_rgb;

typedef struct {
    cairo_surface_t *surface;
    cairo_t *cr;
    int width_px, height_px;
} chart_canvas;

/* A plotting area in pixels and the data ranges it shows. */
typedef struct {
    double left_px, top_px, width_px, height_px;
    double x_min, x_max, y_min, y_max;
    int x_log;                   /* log10 scale on x (all x > 0) */
    int x_whole;                 /* ticks at whole numbers only (epochs) */
} chart_axes;

/* Font sizes in pixels, legible at the PNGs' own size. */
#define CHART_TEXT_PX 14.0
#define CHART_SMALL_PX 12.0
#define CHART_TITLE_PX 16.0

/* A white canvas; 0, or -1 if cairo cannot make one. */
int chart_open(chart_canvas *c, int width_px, int height_px);
/* Writes the canvas as PNG to path (through path.tmp and a rename, so a
 * page open in a browser never shows half a picture). 0, or -1 with err. */
int chart_save_png(chart_canvas *c, const char *path, char *err, int err_size);
void chart_close(chart_canvas *c);
/* chart_open with err naming path; and chart_save_png then chart_close. */
int chart_begin(chart_canvas *c, int width_px, int height_px, const char *path, char *err,
                int err_size);
int chart_finish(chart_canvas *c, const char *path, char *err, int err_size);

/* Colours. */
chart_rgb chart_hex(unsigned rgb);          /* 0xRRGGBB */
chart_rgb chart_class_colour(int k);        /* k = 0..9 */
chart_rgb chart_viridis(double t);          /* t in [0, 1] */
extern const chart_rgb chart_black, chart_grey, chart_light_grey, chart_highlight, chart_muted;

/* Data to pixels. */
double chart_px_x(const chart_axes *a, double x);
double chart_px_y(const chart_axes *a, double y);

/* Up to max "nice" tick values (1, 2, 5 x 10^k steps) within [lo, hi];
 * returns how many. */
int chart_ticks(double lo, double hi, int target, double *ticks, int max);
/* Widens [*lo, *hi] outward to tick steps, with a small margin. */
void chart_nice_range(double *lo, double *hi, int target);

/* Frame, ticks with labels, light grid lines, axis labels and a title
 * (each may be NULL). y_format is a printf format for y tick labels. */
void chart_draw_axes(chart_canvas *c, const chart_axes *a, const char *x_label,
                     const char *y_label, const char *title, const char *y_format);

/* Text at (x, y): align_x 0 left, 0.5 centre, 1 right; align_y likewise
 * (0 top, 0.5 middle, 1 baseline-bottom). Returns the text's width. */
double chart_text(chart_canvas *c, double x, double y, const char *text, double size_px,
                  double align_x, double align_y, int bold, chart_rgb colour);
/* The same turned by angle_rad counter-clockwise about (x, y): a y-axis
 * label (pi/2, centred), slanted column labels (pi/4, right-aligned). */
void chart_text_turned(chart_canvas *c, double x, double y, const char *text, double size_px,
                       double angle_rad, double align_x, chart_rgb colour);
double chart_text_width(chart_canvas *c, const char *text, double size_px, int bold);

void chart_polyline(chart_canvas *c, const chart_axes *a, const double *x, const double *y,
                    int n, chart_rgb colour, double width_px, int dashed);
void chart_dot(chart_canvas *c, double x_px, double y_px, double radius_px, chart_rgb colour);
void chart_rect(chart_canvas *c, double x_px, double y_px, double w_px, double h_px,
                chart_rgb fill);
void chart_vline(chart_canvas *c, const chart_axes *a, double x, chart_rgb colour, int dashed);

/* A legend box: n entries, a line (kind 0), a dot (1) or a square (2) of
 * each colour, at the top-left corner (x, y). */
typedef struct { const char *label; chart_rgb colour; int kind; } chart_legend_entry;
void chart_legend(chart_canvas *c, double x_px, double y_px, const chart_legend_entry *e, int n);
/* The legend's width and height, to place it. */
void chart_legend_size(chart_canvas *c, const chart_legend_entry *e, int n, double *w, double *h);

/* A 28x28 greyscale image (bytes 0..255, 0 black) drawn as side_px
 * square at (x, y), pixels kept square and sharp. */
void chart_thumbnail(chart_canvas *c, const uint8_t *pixels, int side, double x_px,
                     double y_px, double side_px);

#endif
