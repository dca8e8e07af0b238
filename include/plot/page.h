/* page: index.html of `sweep plot` -- the summary table (every trial, its
 * varying settings and metrics, sortable by any column, best marked,
 * unfinished trials shown as such); for a sweep with repeats the
 * configurations table (repeats.h: mean and sd of each figure, Welch's
 * p against the best, sortable too) and its bar chart; the sweep's
 * pictures, then each trial's. One file, its style and script inline, the pictures beside it
 * by relative name: it opens from disk with no server and no network.
 * Called by plot.c once every picture is drawn. */
#ifndef SWEEP_PLOT_PAGE_H
#define SWEEP_PLOT_PAGE_H

#include "plot/figures.h"
#include "store/results.h"

#define PAGE_FILE_MAX 160

typedef struct {
    char file[PAGE_FILE_MAX];    /* relative to the page */
    char caption[256];
} page_picture;

/* What plot.c drew for one trial, in the table's order. */
typedef struct {
    const trial_record *trial;
    int best;
    double reference_accuracy;   /* NaN: none given */
    int n_pictures;
    page_picture pictures[3];    /* curves, confusion, per-class scores */
} page_trial;

typedef struct {
    const sweep_results *results;
    const char *results_path;
    int n_trials;
    page_trial *trials;
    int n_pictures;
    page_picture *pictures;      /* the sweep's */
    int n_notes;
    char (*notes)[512];          /* what could not be drawn, and why */
} page_content;

/* Writes path (through path.tmp and a rename). A sweep with repeats also
 * gets configurations.png beside it (figure_configuration_bars), drawn
 * here since the page is its only user; if that picture cannot be
 * written the page is still written, saying so at its top, and -1 is
 * returned with err naming the picture. 0, or -1 with err. */
int page_write(const page_content *p, const char *path, char *err, int err_size);

#endif
