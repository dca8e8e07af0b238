/* plot: `sweep plot RESULTS.h5 [-o DIR] [--points N]` -- the study's
 * pictures and one HTML page, from the results file alone (features come
 * from the best trial's saved weights, images from the dataset the file
 * names), so it can run while the sweep trains and shows what is done so
 * far. Its own library in the build (the only user of cairo): a build
 * without cairo still trains. Called by main.c. */
#ifndef SWEEP_PLOT_H
#define SWEEP_PLOT_H

typedef struct {
    const char *results_path;
    const char *out_dir;         /* NULL: RESULTS without .h5, e.g. results/NAME/ */
    int points;                  /* test images in the feature scatter */
} plot_options;

#define PLOT_DEFAULT_POINTS 1000

/* Returns 0; or EXIT_IO (the results file, a weights file, an output
 * file), EXIT_DATA (the dataset, for the pictures of images) with one
 * line on stderr per fault -- everything that could be drawn is drawn
 * and the page written first. */
int plot_command(const plot_options *o);

/* `sweep plot`'s arguments (after "plot"), options before or after the
 * file; then plot_command. A bad command line: EXIT_USAGE, one line. */
int plot_main(int argc, char **argv);

#endif
