/* report: the results table. */
#include "report/report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report/repeats.h"
#include "report/report_export.h"
#include "core/util.h"

/* Done first, best test accuracy first; then the unfinished by status:
 * running, interrupted, pruned (further rungs first), pending, failed. */
static int rank_of(const trial_record *t)
{
    switch (t->status) {
    case TRIAL_DONE: return 0;
    case TRIAL_RUNNING: return 1;
    case TRIAL_INTERRUPTED: return 2;
    case TRIAL_PRUNED: return 3;
    case TRIAL_PENDING: return 4;
    default: return 5;
    }
}

static int by_test_accuracy(const void *a, const void *b)
{
    const trial_record *x = *(const trial_record *const *)a, *y = *(const trial_record *const *)b;
    if (rank_of(x) != rank_of(y))
        return rank_of(x) - rank_of(y);
    if (x->status == TRIAL_DONE && x->test.metrics.accuracy != y->test.metrics.accuracy)
        return x->test.metrics.accuracy < y->test.metrics.accuracy ? 1 : -1;
    if (x->status == TRIAL_PRUNED && x->rung != y->rung)
        return y->rung - x->rung;
    if (x->in_grid != y->in_grid)
        return y->in_grid - x->in_grid;
    return x < y ? -1 : x > y;   /* the records are one array: file order */
}

int report_shows_rungs(const sweep_results *r)
{
    return r->search.method == SEARCH_SHA || r->search.method == SEARCH_ASHA;
}

static void print_row(const trial_record *t, int best, int rungs, FILE *out)
{
    const class_metrics *m = &t->test.metrics;
    char note[64], rung[16] = "";
    snprintf(note, sizeof note, "%s%s", best ? "best" : trial_status_names[t->status],
             t->in_grid ? "" : ",not-in-grid");
    if (rungs)
        snprintf(rung, sizeof rung, " %4d", t->rung);
    if (t->status != TRIAL_DONE) {
        fprintf(out, "%-32s %13s %9s %9s %9s %9s %9s %6d %10s %9.1f%s  %s\n", t->settings.name, "-",
                "-", "-", "-", "-", "-", t->epochs_run, "-", t->train_seconds, rung, note);
        return;
    }
    fprintf(out, "%-32s %13.4f %9.4f %9.4f %9.4f %9.4f %9.4f %6d %10d %9.1f%s  %s\n",
            t->settings.name, m->accuracy, t->test.loss, m->precision, m->recall, m->f1,
            m->rmse, t->epochs_run, t->best_epoch, t->train_seconds, rung, note);
}

const trial_record **report_order(const sweep_results *r)
{
    const trial_record **sorted = xcalloc((size_t)r->n_records + 1, sizeof *sorted);
    for (int i = 0; i < r->n_records; i++)
        sorted[i] = &r->records[i];
    qsort(sorted, (size_t)r->n_records, sizeof *sorted, by_test_accuracy);
    return sorted;
}

void report_table(const sweep_results *r, FILE *out)
{
    const trial_record **sorted = report_order(r);
    int rungs = report_shows_rungs(r);
    fprintf(out, "%-32s %13s %9s %9s %9s %9s %9s %6s %10s %9s%s  %s\n", "name", "test_accuracy",
            "test_loss", "precision", "recall", "f1", "rmse", "epochs", "best_epoch", "seconds",
            rungs ? " rung" : "", "status");
    for (int i = 0; i < r->n_records; i++)
        print_row(sorted[i], i == 0 && sorted[i]->status == TRIAL_DONE, rungs, out);
    free(sorted);
    fflush(out);
}

void report_counts(const sweep_results *r, const char *path, FILE *out)
{
    int count[TRIAL_STATUS_COUNT] = { 0 };
    for (int i = 0; i < r->n_records; i++)
        count[r->records[i].status]++;
    char pruned[32] = "";   /* only where a search prunes: a grid's line stays as it was */
    if (report_shows_rungs(r) || count[TRIAL_PRUNED])
        snprintf(pruned, sizeof pruned, ", %d pruned", count[TRIAL_PRUNED]);
    fprintf(out, "%s: %d trials: %d done, %d running, %d interrupted%s, %d pending, %d failed; "
            "started %s, updated %s\n", path, r->n_records, count[TRIAL_DONE],
            count[TRIAL_RUNNING], count[TRIAL_INTERRUPTED], pruned, count[TRIAL_PENDING],
            count[TRIAL_FAILED], r->started, r->updated);
}

/* text padded on the left to width characters; UTF-8's continuation
 * bytes take no column ("±" is two bytes, one column). */
static void put_right(const char *text, int width, FILE *out)
{
    int columns = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        columns += (*p & 0xC0) != 0x80;
    fprintf(out, "%*s%s", width > columns ? width - columns : 0, "", text);
}

static void put_spread(const repeat_spread *s, FILE *out)
{
    char text[64];
    if (isnan(s->mean))
        snprintf(text, sizeof text, "-");
    else if (isnan(s->sd))
        snprintf(text, sizeof text, "%.4f \u00b1 -", s->mean);
    else
        snprintf(text, sizeof text, "%.4f \u00b1 %.4f", s->mean, s->sd);
    put_right(text, 18, out);
}

void report_configurations_table(const sweep_results *r, FILE *out)
{
    static const repeat_figure shown[] = { FIGURE_TEST_ACCURACY, FIGURE_TEST_LOSS, FIGURE_F1 };
    repeat_table t;
    repeats_group(r, &t);
    fprintf(out, "\nconfigurations (mean \u00b1 sd over repeats; ~best: not distinguishable from the "
            "best, Welch's t-test of test_accuracy, two-sided, p >= %g)\n", REPEATS_ALPHA);
    fprintf(out, "%-32s %3s", "configuration", "n");
    for (size_t f = 0; f < sizeof shown / sizeof shown[0]; f++)
        put_right(repeat_figure_names[shown[f]], 18, out);
    fputs("  vs_best\n", out);
    for (int i = 0; i < t.n_configurations; i++) {
        const repeat_configuration *c = &t.configurations[i];
        fprintf(out, "%-32s %3d", c->name, c->n_done);
        for (size_t f = 0; f < sizeof shown / sizeof shown[0]; f++)
            put_spread(&c->figures[shown[f]], out);
        if (c->verdict == VERDICT_LIKE_BEST)
            fprintf(out, "  ~best p=%.3g\n", c->vs_best.p);
        else if (c->verdict == VERDICT_WORSE)
            fprintf(out, "  p=%.3g\n", c->vs_best.p);
        else
            fprintf(out, "  %s\n", repeat_verdict_names[c->verdict]);
    }
    repeats_free(&t);
    fflush(out);
}

int report_command(const char *path, report_style style, int configurations)
{
    sweep_results r;
    char err[2048];
    if (results_read(&r, path, err, sizeof err) != 0) {
        fprintf(stderr, "sweep: %s\n", err);
        return EXIT_IO;
    }
    if (style == REPORT_TABLE) {
        report_counts(&r, path, stdout);
        if (!configurations)
            report_table(&r, stdout);
        if (configurations || repeats_present(&r))
            report_configurations_table(&r, stdout);
    } else if (configurations) {
        report_export_configurations(&r, style == REPORT_CSV ? EXPORT_CSV : EXPORT_JSON, stdout);
    } else {
        int rc = report_export(&r, path, style == REPORT_CSV ? EXPORT_CSV : EXPORT_JSON, stdout);
        CHECK(rc == 0, "the HDF5 library cannot build the /summary type");
    }
    results_free(&r);
    return 0;
}

int report_main(int argc, char **argv)
{
    static const char usage_line[] = "usage: sweep report [--csv | --json] [--configurations] RESULTS.h5";
    report_style style = REPORT_TABLE;
    int configurations = 0;
    const char *path = NULL;
    for (int i = 0; i < argc; i++) {
        report_style given = strcmp(argv[i], "--csv") == 0 ? REPORT_CSV
                             : strcmp(argv[i], "--json") == 0 ? REPORT_JSON : REPORT_TABLE;
        if (given != REPORT_TABLE && style != REPORT_TABLE) {
            fprintf(stderr, "sweep: report: %s: one format at a time (%s)\n", argv[i], usage_line);
            return EXIT_USAGE;
        }
        if (given != REPORT_TABLE) {
            style = given;
        } else if (strcmp(argv[i], "--configurations") == 0) {
            configurations = 1;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "sweep: report: %s: unknown option (%s)\n", argv[i], usage_line);
            return EXIT_USAGE;
        } else if (path) {
            fprintf(stderr, "sweep: report: %s: one results file at a time (%s)\n", argv[i], usage_line);
            return EXIT_USAGE;
        } else {
            path = argv[i];
        }
    }
    if (!path) {
        fprintf(stderr, "sweep: report: no results file (%s)\n", usage_line);
        return EXIT_USAGE;
    }
    return report_command(path, style, configurations);
}
