/* report: the results table. */
#include "report/report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report/report_export.h"
#include "core/util.h"

/* Done first, best test accuracy first; then the unfinished by status. */
static int rank_of(const trial_record *t)
{
    switch (t->status) {
    case TRIAL_DONE: return 0;
    case TRIAL_RUNNING: return 1;
    case TRIAL_INTERRUPTED: return 2;
    case TRIAL_PENDING: return 3;
    default: return 4;
    }
}

static int by_test_accuracy(const void *a, const void *b)
{
    const trial_record *x = *(const trial_record *const *)a, *y = *(const trial_record *const *)b;
    if (rank_of(x) != rank_of(y))
        return rank_of(x) - rank_of(y);
    if (x->status == TRIAL_DONE && x->test.metrics.accuracy != y->test.metrics.accuracy)
        return x->test.metrics.accuracy < y->test.metrics.accuracy ? 1 : -1;
    if (x->in_grid != y->in_grid)
        return y->in_grid - x->in_grid;
    return x < y ? -1 : x > y;   /* the records are one array: file order */
}

static void print_row(const trial_record *t, int best, FILE *out)
{
    const class_metrics *m = &t->test.metrics;
    char note[64];
    snprintf(note, sizeof note, "%s%s", best ? "best" : trial_status_names[t->status],
             t->in_grid ? "" : ",not-in-grid");
    if (t->status != TRIAL_DONE) {
        fprintf(out, "%-32s %13s %9s %9s %9s %9s %9s %6d %10s %9.1f  %s\n", t->settings.name, "-",
                "-", "-", "-", "-", "-", t->epochs_run, "-", t->train_seconds, note);
        return;
    }
    fprintf(out, "%-32s %13.4f %9.4f %9.4f %9.4f %9.4f %9.4f %6d %10d %9.1f  %s\n",
            t->settings.name, m->accuracy, t->test.loss, m->precision, m->recall, m->f1,
            m->rmse, t->epochs_run, t->best_epoch, t->train_seconds, note);
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
    fprintf(out, "%-32s %13s %9s %9s %9s %9s %9s %6s %10s %9s  %s\n", "name", "test_accuracy",
            "test_loss", "precision", "recall", "f1", "rmse", "epochs", "best_epoch", "seconds",
            "status");
    for (int i = 0; i < r->n_records; i++)
        print_row(sorted[i], i == 0 && sorted[i]->status == TRIAL_DONE, out);
    free(sorted);
    fflush(out);
}

void report_counts(const sweep_results *r, const char *path, FILE *out)
{
    int count[5] = { 0 };
    for (int i = 0; i < r->n_records; i++)
        count[r->records[i].status]++;
    fprintf(out, "%s: %d trials: %d done, %d running, %d interrupted, %d pending, %d failed; "
            "started %s, updated %s\n", path, r->n_records, count[TRIAL_DONE],
            count[TRIAL_RUNNING], count[TRIAL_INTERRUPTED], count[TRIAL_PENDING],
            count[TRIAL_FAILED], r->started, r->updated);
}

int report_command(const char *path, report_style style)
{
    sweep_results r;
    char err[2048];
    if (results_read(&r, path, err, sizeof err) != 0) {
        fprintf(stderr, "sweep: %s\n", err);
        return EXIT_IO;
    }
    if (style == REPORT_TABLE) {
        report_counts(&r, path, stdout);
        report_table(&r, stdout);
    } else {
        int rc = report_export(&r, path, style == REPORT_CSV ? EXPORT_CSV : EXPORT_JSON, stdout);
        CHECK(rc == 0, "the HDF5 library cannot build the /summary type");
    }
    results_free(&r);
    return 0;
}
