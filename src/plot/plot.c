/* plot: every picture of a results file, then the page. */
#include "plot/plot.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "data/data.h"
#include "plot/features.h"
#include "plot/figures.h"
#include "plot/page.h"
#include "report/report.h"
#include "core/util.h"

#define SAMPLES_PER_CLASS 10

typedef struct {
    const plot_options *options;
    sweep_results results;
    char dir[TRIAL_PATH_MAX];
    int rc;                      /* the first fault's exit status, 0 if none */
    page_content page;
    const trial_record **done;   /* in the table's order: best first */
    int n_done;
    double *done_reference;
    plot_images images;          /* the first test images, when readable */
    sweep_config *config;        /* /sweep/config_text parsed, for reference_accuracy */
} plot_run;

static void run_free(plot_run *p)
{
    free(p->page.trials);
    free(p->page.pictures);
    free(p->page.notes);
    free(p->done);
    free(p->done_reference);
    free(p->images.pixels);
    free(p->images.labels);
    if (p->config)
        config_free(p->config);
    results_free(&p->results);
}

/* One line on stderr and on the page; the run's status is the first fault's. */
static void fault(plot_run *p, int status, const char *format, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, format);
    vsnprintf(line, sizeof line, format, ap);
    va_end(ap);
    fprintf(stderr, "sweep: %s\n", line);
    p->page.notes = xrealloc(p->page.notes, sizeof *p->page.notes * (size_t)(p->page.n_notes + 1));
    snprintf(p->page.notes[p->page.n_notes++], sizeof *p->page.notes, "%s", line);
    if (!p->rc)
        p->rc = status;
}

/* results/NAME.h5 -> results/NAME; any other name -> NAME.plots */
static int default_dir(const char *results_path, char *out, size_t size)
{
    size_t n = strlen(results_path);
    if (n > 3 && strcmp(results_path + n - 3, ".h5") == 0)
        return snprintf(out, size, "%.*s", (int)(n - 3), results_path) < (int)size ? 0 : -1;
    return snprintf(out, size, "%s.plots", results_path) < (int)size ? 0 : -1;
}

static int picture_path(plot_run *p, const char *file, char *path, size_t size)
{
    if (snprintf(path, size, "%s/%s", p->dir, file) < (int)size)
        return 0;
    fault(p, EXIT_IO, "%s/%s: path too long", p->dir, file);
    return -1;
}

static void add_picture(page_picture *list, int *count, const char *file, const char *caption)
{
    page_picture *pic = &list[(*count)++];
    snprintf(pic->file, sizeof pic->file, "%s", file);
    snprintf(pic->caption, sizeof pic->caption, "%s", caption);
}

static page_picture *sweep_picture_slot(plot_run *p)
{
    p->page.pictures = xrealloc(p->page.pictures,
                                sizeof *p->page.pictures * (size_t)(p->page.n_pictures + 1));
    return p->page.pictures;
}

/* ---- each trial ------------------------------------------------------------ */

typedef int (*trial_draw_fn)(const trial_record *t, const char *path, char *err, int err_size);

static void trial_picture(plot_run *p, page_trial *pt, trial_draw_fn draw, const char *kind,
                          const char *caption)
{
    char file[PAGE_FILE_MAX], path[TRIAL_PATH_MAX + PAGE_FILE_MAX], err[1024];
    snprintf(file, sizeof file, "%s.%s.png", pt->trial->settings.name, kind);
    if (picture_path(p, file, path, sizeof path) != 0)
        return;
    if (draw(pt->trial, path, err, sizeof err) != 0) {
        fault(p, EXIT_IO, "%s", err);
        return;
    }
    add_picture(pt->pictures, &pt->n_pictures, file, caption);
}

static void draw_trials(plot_run *p)
{
    for (int i = 0; i < p->page.n_trials; i++) {
        page_trial *pt = &p->page.trials[i];
        if (pt->trial->n_history > 0)
            trial_picture(p, pt, figure_learning_curves, "curves",
                          "Accuracy and loss per epoch, training (solid) and validation (dashed); "
                          "the dot marks the epoch whose weights were tested");
        if (pt->trial->status == TRIAL_DONE) {
            trial_picture(p, pt, figure_confusion, "confusion",
                          "Confusion matrix on the test set: counts, coloured by the share of each true class");
            trial_picture(p, pt, figure_class_scores, "classes",
                          "Precision, recall and F1 of each class on the test set");
        }
    }
}

/* ---- the table's order, references ------------------------------------------ */

static double reference_of(const plot_run *p, const char *name)
{
    if (!p->config)
        return NAN;
    for (int i = 0; i < p->config->n_trials; i++)
        if (strcmp(p->config->trials[i].name, name) == 0)
            return p->config->trials[i].reference_accuracy;
    return NAN;
}

static void order_trials(plot_run *p)
{
    const sweep_results *r = &p->results;
    char err[512];
    if (r->config_text)
        p->config = config_parse(r->config_text, r->config_path, err, sizeof err);
    const trial_record **order = report_order(r);
    p->page.n_trials = r->n_records;
    p->page.trials = xcalloc((size_t)r->n_records + 1, sizeof *p->page.trials);
    p->done = xcalloc((size_t)r->n_records + 1, sizeof *p->done);
    p->done_reference = xcalloc((size_t)r->n_records + 1, sizeof *p->done_reference);
    for (int i = 0; i < r->n_records; i++) {
        page_trial *pt = &p->page.trials[i];
        pt->trial = order[i];
        pt->best = i == 0 && order[i]->status == TRIAL_DONE;
        pt->reference_accuracy = reference_of(p, order[i]->settings.name);
        if (order[i]->status == TRIAL_DONE) {
            p->done_reference[p->n_done] = pt->reference_accuracy;
            p->done[p->n_done++] = order[i];
        }
    }
    free(order);
}

/* ---- the sweep ------------------------------------------------------------------- */

static void draw_accuracy(plot_run *p)
{
    char path[TRIAL_PATH_MAX + PAGE_FILE_MAX], err[1024], file[PAGE_FILE_MAX], caption[256];
    if (p->n_done == 0)
        return;
    if (picture_path(p, "accuracy.png", path, sizeof path) != 0)
        return;
    if (figure_accuracy_bars(p->done, p->done_reference, p->n_done, path, err, sizeof err) != 0)
        fault(p, EXIT_IO, "%s", err);
    else
        add_picture(sweep_picture_slot(p), &p->page.n_pictures, "accuracy.png",
                    "Test accuracy of every done trial, best first (black marks: the report's figures)");
    for (int s = 0; s < plot_n_settings; s++) {
        const plot_setting *set = &plot_settings[s];
        if (!plot_setting_varies(set, p->done, p->n_done))
            continue;
        snprintf(file, sizeof file, "accuracy_by_%s.png", set->name);
        if (picture_path(p, file, path, sizeof path) != 0)
            continue;
        if (figure_accuracy_by_setting(set, p->done, p->n_done, path, err, sizeof err) != 0) {
            fault(p, EXIT_IO, "%s", err);
            continue;
        }
        snprintf(caption, sizeof caption, "Test accuracy against %s: each done trial, and the mean at each value",
                 set->label);
        add_picture(sweep_picture_slot(p), &p->page.n_pictures, file, caption);
    }
}

/* The first `count` test images and labels of the data directory the
 * trial read, into p->images. */
static int load_images(plot_run *p, const trial_record *t, int count)
{
    char images[TRIAL_PATH_MAX + 64], labels[TRIAL_PATH_MAX + 64], err[1024];
    int n_images = 0, n_labels = 0;
    if (dataset_file_path(images, sizeof images, t->settings.data_dir, "t10k-images-idx3-ubyte",
                          err, sizeof err) != 0 ||
        dataset_file_path(labels, sizeof labels, t->settings.data_dir, "t10k-labels-idx1-ubyte",
                          err, sizeof err) != 0 ||
        idx_read(images, 3, count, &p->images.pixels, &n_images, err, sizeof err) != 0 ||
        idx_read(labels, 1, count, &p->images.labels, &n_labels, err, sizeof err) != 0) {
        fault(p, EXIT_DATA, "%s (the pictures of test images are left out)", err);
        return -1;
    }
    p->images.count = n_images < n_labels ? n_images : n_labels;
    return 0;
}

static void draw_images(plot_run *p)
{
    char path[TRIAL_PATH_MAX + PAGE_FILE_MAX], err[1024];
    if (picture_path(p, "samples.png", path, sizeof path) == 0) {
        if (figure_samples(&p->images, SAMPLES_PER_CLASS, path, err, sizeof err) != 0)
            fault(p, EXIT_IO, "%s", err);
        else
            add_picture(sweep_picture_slot(p), &p->page.n_pictures, "samples.png",
                        "The first test images of each class");
    }
    if (p->n_done == 0 || picture_path(p, "confused.png", path, sizeof path) != 0)
        return;
    if (figure_confused_pairs(p->done[0], &p->images, path, err, sizeof err) != 0)
        fault(p, EXIT_IO, "%s", err);
    else
        add_picture(sweep_picture_slot(p), &p->page.n_pictures, "confused.png",
                    "The best trial's most frequent mistakes, with test images it got wrong");
}

/* The scatter's points as a table too, for other tools (and tests). */
static int write_points(const char *path, const double *xy, const plot_images *im, int n,
                        char *err, int err_size)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        snprintf(err, (size_t)err_size, "%s: cannot create: %s", path, strerror(errno));
        return -1;
    }
    fputs("test_index,label,class,pc1,pc2\n", f);
    for (int i = 0; i < n; i++)
        fprintf(f, "%d,%d,%s,%.9g,%.9g\n", i, im->labels[i], class_names[im->labels[i]], xy[2 * i],
                xy[2 * i + 1]);
    int failed = ferror(f);
    if (fclose(f) != 0 || failed) {
        snprintf(err, (size_t)err_size, "%s: cannot write", path);
        return -1;
    }
    return 0;
}

static void draw_features(plot_run *p)
{
    char path[TRIAL_PATH_MAX + PAGE_FILE_MAX], err[2048], caption[256];
    const trial_record *best = p->done[0];
    int n = p->options->points < p->images.count ? p->options->points : p->images.count;
    float *features = NULL;
    int dims = 0;
    if (n <= 0)
        return;
    if (features_of_trial(best, p->images.pixels, n, &features, &dims, err, sizeof err) != 0) {
        fault(p, EXIT_IO, "%s (the feature scatter is left out)", err);
        return;
    }
    double *xy = xcalloc((size_t)n * 2, sizeof *xy), explained[2];
    features_pca_2d(features, n, dims, xy, explained);
    if (picture_path(p, "features.png", path, sizeof path) == 0) {
        if (figure_scatter(xy, p->images.labels, n, explained, best->settings.name, path, err,
                           sizeof err) != 0) {
            fault(p, EXIT_IO, "%s", err);
        } else {
            snprintf(caption, sizeof caption,
                     "The best trial's %d penultimate-layer features of %d test images, "
                     "projected on their first two principal components", dims, n);
            add_picture(sweep_picture_slot(p), &p->page.n_pictures, "features.png", caption);
        }
    }
    if (picture_path(p, "features.csv", path, sizeof path) == 0 &&
        write_points(path, xy, &p->images, n, err, sizeof err) != 0)
        fault(p, EXIT_IO, "%s", err);
    free(xy);
    free(features);
}

static void draw_sweep(plot_run *p)
{
    draw_accuracy(p);
    if (p->results.n_records == 0)
        return;
    const trial_record *source = p->n_done ? p->done[0] : &p->results.records[0];
    int wanted = p->options->points;
    if (p->n_done && p->done[0]->n_predictions > wanted)
        wanted = p->done[0]->n_predictions;
    if (load_images(p, source, wanted) != 0)
        return;
    draw_images(p);
    if (p->n_done)
        draw_features(p);
}

/* Names and makes the directory the pictures go to: -o DIR, else the
   default beside the results file. */
static int output_directory(const plot_options *o, char *dir, size_t dir_size, char *err, size_t err_size)
{
    int n = o->out_dir ? snprintf(dir, dir_size, "%s", o->out_dir) : 0;
    if (n < 0 || (size_t)n >= dir_size - 1 || (!o->out_dir && default_dir(o->results_path, dir, dir_size) != 0)) {
        snprintf(err, err_size, "plot: the output directory's name is too long");
        return -1;
    }
    return make_directories(dir, err, err_size);
}

int plot_command(const plot_options *o)
{
    plot_run p;
    memset(&p, 0, sizeof p);
    p.options = o;
    char err[2048];
    if (results_read(&p.results, o->results_path, err, sizeof err) != 0) {
        fprintf(stderr, "sweep: %s\n", err);
        return EXIT_IO;
    }
    if (output_directory(o, p.dir, sizeof p.dir, err, sizeof err) != 0) {
        fprintf(stderr, "sweep: %s\n", err);
        run_free(&p);
        return EXIT_IO;
    }
    order_trials(&p);
    draw_trials(&p);
    draw_sweep(&p);
    p.page.results = &p.results;
    p.page.results_path = o->results_path;
    char path[TRIAL_PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/index.html", p.dir);
    if (page_write(&p.page, path, err, sizeof err) != 0)
        fault(&p, EXIT_IO, "%s", err);
    else
        printf("%s\n", path);
    int rc = p.rc;
    run_free(&p);
    return rc;
}

static const char plot_usage[] = "usage: sweep plot RESULTS.h5 [-o DIR] [--points N]";

int plot_main(int argc, char **argv)
{
    plot_options o = { NULL, NULL, PLOT_DEFAULT_POINTS };
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if ((strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) && i + 1 < argc) {
            o.out_dir = argv[++i];
        } else if (strcmp(a, "--points") == 0 && i + 1 < argc) {
            char *end;
            long n = strtol(argv[++i], &end, 10);
            if (*end || end == argv[i] || n < 1 || n > 10000) {
                fprintf(stderr, "sweep: plot: --points %s: a whole number of test images, 1 to 10000\n", argv[i]);
                return EXIT_USAGE;
            }
            o.points = (int)n;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "sweep: plot: %s: unknown or incomplete option (%s)\n", a, plot_usage);
            return EXIT_USAGE;
        } else if (o.results_path) {
            fprintf(stderr, "sweep: plot: %s: one results file at a time (%s)\n", a, plot_usage);
            return EXIT_USAGE;
        } else {
            o.results_path = a;
        }
    }
    if (!o.results_path) {
        fprintf(stderr, "sweep: plot: no results file (%s)\n", plot_usage);
        return EXIT_USAGE;
    }
    return plot_command(&o);
}
