/* page: the HTML summary of a sweep. */
#include "plot/page.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/repeats.h"
#include "report/report.h"
#include "core/util.h"

/* Inline, so the page needs nothing but its pictures. Colours as in the
 * pictures (Tol's rose for the best). */
static const char page_style[] =
    "body{font-family:'DejaVu Sans',sans-serif;margin:1.5em 2em;color:#222;max-width:1400px}\n"
    "h1{font-size:1.5em}h2{font-size:1.25em;margin-top:2em}h3{font-size:1.05em;margin-top:1.6em}\n"
    "table{border-collapse:collapse;font-size:.85em}.wide{overflow-x:auto}\n"
    "th,td{padding:.25em .6em;border-bottom:1px solid #ddd;text-align:right;white-space:nowrap}\n"
    "th{cursor:pointer;background:#f4f4f4;position:sticky;top:0}th:hover{background:#e8e8e8}\n"
    "td.name,th.name{text-align:left}\n"
    "tr.best td{background:#f6dde1;font-weight:bold}tr.like-best td{background:#fbeff1}\n"
    "td.running{color:#117733}td.interrupted{color:#999933}td.pending{color:#888}"
    "td.failed{color:#882255;font-weight:bold}td.pruned{color:#888}\n"
    "figure{margin:.8em 0}figure img{max-width:100%;height:auto;border:1px solid #eee}\n"
    "figcaption{font-size:.85em;color:#555}.note{color:#882255}\n";

/* Clicking a header sorts its table by that column; numbers as numbers,
 * "-" last. The column is the header's place in its own row: the page
 * may have two sortable tables. */
static const char page_script[] =
    "document.querySelectorAll('table.sortable th').forEach(function(th){\n"
    " var col=th.cellIndex;th.addEventListener('click',function(){\n"
    "  var body=th.closest('table').tBodies[0],rows=Array.from(body.rows);\n"
    "  var down=th.dataset.down!=='1';th.dataset.down=down?'1':'0';\n"
    "  rows.sort(function(a,b){\n"
    "   var x=a.cells[col].dataset.v||a.cells[col].textContent,y=b.cells[col].dataset.v||b.cells[col].textContent;\n"
    "   var p=parseFloat(x),q=parseFloat(y);\n"
    "   if(isNaN(p)&&isNaN(q))return down?y.localeCompare(x):x.localeCompare(y);\n"
    "   if(isNaN(p))return 1;if(isNaN(q))return -1;return down?q-p:p-q;});\n"
    "  rows.forEach(function(r){body.appendChild(r);});});});\n";

static void put_escaped(FILE *f, const char *s)
{
    for (; *s; s++)
        switch (*s) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        case '"': fputs("&quot;", f); break;
        default: fputc(*s, f);
        }
}

static void put_figure(FILE *f, const page_picture *p)
{
    fputs("<figure><img src=\"", f);
    put_escaped(f, p->file);
    fputs("\" alt=\"", f);
    put_escaped(f, p->caption);
    fputs("\"><figcaption>", f);
    put_escaped(f, p->caption);
    fputs("</figcaption></figure>\n", f);
}

/* A number cell, "-" where there is none (NaN, or an unfinished trial). */
static void put_number(FILE *f, double v, const char *format)
{
    if (!isfinite(v)) {
        fputs("<td>-</td>", f);
        return;
    }
    fputs("<td>", f);
    fprintf(f, format, v);
    fputs("</td>", f);
}

static void put_row(FILE *f, const page_trial *t, int rungs)
{
    const trial_record *r = t->trial;
    int done = r->status == TRIAL_DONE;
    const class_metrics *m = &r->test.metrics;
    const char *status = t->best ? "best" : trial_status_names[r->status];
    fprintf(f, "<tr class=\"%s\"><td class=\"name\"><a href=\"#%s\">", t->best ? "best" : "",
            r->settings.name);
    put_escaped(f, r->settings.name);
    fprintf(f, "</a></td><td class=\"%s\">%s%s</td>", status, status, r->in_grid ? "" : ", not in grid");
    put_number(f, done ? m->accuracy : NAN, "%.4f");
    put_number(f, t->reference_accuracy, "%.4f");
    put_number(f, done ? r->test.loss : NAN, "%.4f");
    put_number(f, done ? m->precision : NAN, "%.4f");
    put_number(f, done ? m->recall : NAN, "%.4f");
    put_number(f, done ? m->f1 : NAN, "%.4f");
    put_number(f, done ? m->rmse : NAN, "%.4f");
    put_number(f, r->val_accuracy, "%.4f");
    fprintf(f, "<td>%d/%d</td>", r->epochs_run, r->settings.epochs);
    put_number(f, done ? r->best_epoch : NAN, "%.0f");
    if (rungs)
        fprintf(f, "<td>%d</td>", r->rung);
    put_number(f, r->train_seconds, "%.1f");
    char blocks[256], dense[128];
    trial_blocks_text(&r->settings, blocks, sizeof blocks);
    trial_dense_text(&r->settings, dense, sizeof dense);
    fprintf(f, "<td class=\"name\">%s</td><td class=\"name\">%s</td><td>%g</td><td>%g</td><td>%s</td>"
            "<td>%g</td><td>%d</td></tr>\n", blocks, dense, r->settings.dropout, r->settings.l2,
            r->settings.batch_norm ? "yes" : "no", r->settings.learning_rate,
            r->settings.batch_size);
}

static void put_table(FILE *f, const page_content *p)
{
    static const char *const columns[] = {
        "name", "status", "test_accuracy", "reference", "test_loss", "precision", "recall",
        "f1", "rmse", "val_accuracy", "epochs", "best_epoch", "seconds", "conv", "dense",
        "dropout", "l2", "batch_norm", "learning_rate", "batch_size"
    };
    int rungs = report_shows_rungs(p->results);
    fputs("<div class=\"wide\"><table class=\"sortable\"><thead><tr>", f);
    for (size_t i = 0; i < sizeof columns / sizeof columns[0]; i++) {
        fprintf(f, "<th%s title=\"sort by %s\">%s</th>", i == 0 ? " class=\"name\"" : "",
                columns[i], columns[i]);
        if (rungs && strcmp(columns[i], "best_epoch") == 0)
            fputs("<th title=\"sort by rung\">rung</th>", f);
    }
    fputs("</tr></thead><tbody>\n", f);
    for (int i = 0; i < p->n_trials; i++)
        put_row(f, &p->trials[i], rungs);
    fputs("</tbody></table></div>\n", f);
}

/* ---- the configurations of a sweep with repeats ------------------------------ */

#define CONFIGURATIONS_PICTURE "configurations.png"

/* "MEAN ± SD", sorted by the mean; "-" where there is none. */
static void put_spread(FILE *f, const repeat_spread *s)
{
    if (isnan(s->mean)) {
        fputs("<td>-</td>", f);
        return;
    }
    fprintf(f, "<td data-v=\"%.17g\">%.4f &plusmn; ", s->mean, s->mean);
    if (isnan(s->sd))
        fputs("-</td>", f);
    else
        fprintf(f, "%.4f</td>", s->sd);
}

static int by_seed_order(const void *a, const void *b)
{
    uint64_t x = (*(const trial_record *const *)a)->settings.seed, y = (*(const trial_record *const *)b)->settings.seed;
    return x < y ? -1 : x > y;
}

/* Each repeat by its seed, in seed order, a link to its section below. */
static void put_seeds(FILE *f, const repeat_configuration *c)
{
    const trial_record **by_seed = xcalloc((size_t)c->n_trials, sizeof *by_seed);
    memcpy(by_seed, c->trials, sizeof *by_seed * (size_t)c->n_trials);
    qsort(by_seed, (size_t)c->n_trials, sizeof *by_seed, by_seed_order);
    fputs("<td class=\"name\">", f);
    for (int i = 0; i < c->n_trials; i++) {
        const trial_settings *s = &by_seed[i]->settings;
        fprintf(f, "%s<a href=\"#%s\" title=\"", i ? " " : "", s->name);
        put_escaped(f, s->name);
        fprintf(f, " (%s)\">%" PRIu64 "</a>", trial_status_names[by_seed[i]->status], s->seed);
    }
    fputs("</td>", f);
    free(by_seed);
}

/* The columns: configuration, n, test_accuracy, p_value, vs_best (the
 * verdict beside the figure it is about), the other figures, seeds. */
static void put_configuration_row(FILE *f, const repeat_configuration *c)
{
    const char *row_class = c->verdict == VERDICT_BEST ? "best" : c->verdict == VERDICT_LIKE_BEST ? "like-best" : "";
    fprintf(f, "<tr class=\"%s\"><td class=\"name\">", row_class);
    put_escaped(f, c->name);
    fprintf(f, "</td><td>%d</td>", c->n_done);
    put_spread(f, &c->figures[FIGURE_TEST_ACCURACY]);
    if (isnan(c->vs_best.p))
        fputs("<td>-</td>", f);
    else
        fprintf(f, "<td data-v=\"%.17g\">%.3g</td>", c->vs_best.p, c->vs_best.p);
    fprintf(f, "<td class=\"name\">%s</td>", repeat_verdict_names[c->verdict]);
    for (int k = FIGURE_TEST_ACCURACY + 1; k < REPEAT_N_FIGURES; k++)
        put_spread(f, &c->figures[k]);
    put_seeds(f, c);
    fputs("</tr>\n", f);
}

static void put_configurations(FILE *f, const repeat_table *t, int picture)
{
    fprintf(f, "<h2>Configurations</h2>\n<p>Each configuration's repeats (its seeds; click one for "
            "its trial), and the mean &plusmn; sample standard deviation of each figure over the "
            "done ones. vs_best: Welch's t-test (two-sided) of the configuration's test accuracies "
            "against the best configuration's; <code>~best</code> where p &ge; %g, so these runs "
            "cannot tell it from the best; <code>-</code> where either has fewer than two done "
            "repeats.</p>\n", REPEATS_ALPHA);
    fprintf(f, "<div class=\"wide\"><table class=\"sortable\"><thead><tr><th class=\"name\">configuration</th>"
            "<th title=\"done repeats\">n</th><th title=\"sort by the mean\">%s</th><th>p_value</th>"
            "<th class=\"name\">vs_best</th>", repeat_figure_names[FIGURE_TEST_ACCURACY]);
    for (int k = FIGURE_TEST_ACCURACY + 1; k < REPEAT_N_FIGURES; k++)
        fprintf(f, "<th title=\"sort by the mean\">%s</th>", repeat_figure_names[k]);
    fputs("<th class=\"name\">seeds</th></tr></thead><tbody>\n", f);
    for (int i = 0; i < t->n_configurations; i++)
        put_configuration_row(f, &t->configurations[i]);
    fputs("</tbody></table></div>\n", f);
    if (picture) {
        page_picture pic;
        snprintf(pic.file, sizeof pic.file, "%s", CONFIGURATIONS_PICTURE);
        snprintf(pic.caption, sizeof pic.caption, "Mean test accuracy of each configuration with "
                 "\u00b11 sd over its done repeats; the best highlighted, those not distinguishable "
                 "from it (p \u2265 %g) paler and marked ~best", REPEATS_ALPHA);
        put_figure(f, &pic);
    }
}

/* The chart beside the page, in path's directory. */
static int draw_configurations(const repeat_table *t, const char *page_path, char *err, int err_size)
{
    char path[TRIAL_PATH_MAX + PAGE_FILE_MAX];
    const char *slash = strrchr(page_path, '/');
    int dir = slash ? (int)(slash - page_path) + 1 : 0;
    if (snprintf(path, sizeof path, "%.*s%s", dir, page_path, CONFIGURATIONS_PICTURE) >= (int)sizeof path) {
        snprintf(err, (size_t)err_size, "%.*s%s: path too long", dir, page_path, CONFIGURATIONS_PICTURE);
        return -1;
    }
    return figure_configuration_bars(t, path, err, err_size);
}

static void put_trial(FILE *f, const page_trial *t)
{
    const trial_record *r = t->trial;
    fprintf(f, "<h3 id=\"%s\">", r->settings.name);
    put_escaped(f, r->settings.name);
    fprintf(f, " <small>(%s%s, %d of %d epochs", t->best ? "best, done" : trial_status_names[r->status],
            r->in_grid ? "" : ", not in grid", r->epochs_run, r->settings.epochs);
    if (r->status == TRIAL_DONE)
        fprintf(f, ", test accuracy %.4f", r->test.metrics.accuracy);
    fputs(")</small></h3>\n", f);
    if (t->n_pictures == 0)
        fprintf(f, "<p>No pictures yet: the trial is %s and has no finished epoch.</p>\n",
                trial_status_names[r->status]);
    for (int k = 0; k < t->n_pictures; k++)
        put_figure(f, &t->pictures[k]);
}

static void put_page(FILE *f, const page_content *p, const repeat_table *configurations,
                     const char *chart_fault)
{
    const sweep_results *r = p->results;
    int count[TRIAL_STATUS_COUNT] = { 0 };
    for (int i = 0; i < r->n_records; i++)
        count[r->records[i].status]++;
    char pruned[32] = "";
    if (report_shows_rungs(r) || count[TRIAL_PRUNED])
        snprintf(pruned, sizeof pruned, ", %d pruned", count[TRIAL_PRUNED]);
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>sweep: ", f);
    put_escaped(f, p->results_path);
    fprintf(f, "</title>\n<style>\n%s</style>\n</head><body>\n<h1>Sweep ", page_style);
    put_escaped(f, p->results_path);
    fprintf(f, "</h1>\n<p>%d trials: %d done, %d running, %d interrupted%s, %d pending, %d failed. "
            "Started %s, results file updated %s; sweep %s.</p>\n", r->n_records,
            count[TRIAL_DONE], count[TRIAL_RUNNING], count[TRIAL_INTERRUPTED], pruned,
            count[TRIAL_PENDING], count[TRIAL_FAILED], r->started, r->updated, r->version);
    for (int i = 0; i < p->n_notes; i++) {
        fputs("<p class=\"note\">", f);
        put_escaped(f, p->notes[i]);
        fputs("</p>\n", f);
    }
    if (chart_fault) {
        fputs("<p class=\"note\">", f);
        put_escaped(f, chart_fault);
        fputs("</p>\n", f);
    }
    fputs("<h2>Trials</h2>\n<p>Click a column's name to sort by it. Figures are fractions; "
          "reference is the report's figure where the configuration gives one "
          "(<code>reference_accuracy</code>).</p>\n", f);
    put_table(f, p);
    if (configurations)
        put_configurations(f, configurations, !chart_fault);
    fputs("<h2>The sweep</h2>\n", f);
    for (int i = 0; i < p->n_pictures; i++)
        put_figure(f, &p->pictures[i]);
    fputs("<h2>Each trial</h2>\n", f);
    for (int i = 0; i < p->n_trials; i++)
        put_trial(f, &p->trials[i]);
    fprintf(f, "<script>\n%s</script>\n</body></html>\n", page_script);
}

static int write_file(const page_content *p, const char *path, const repeat_table *configurations,
                      const char *chart_fault, char *err, int err_size)
{
    char tmp[TRIAL_PATH_MAX + 8];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) {
        snprintf(err, (size_t)err_size, "%s: path too long", path);
        return -1;
    }
    FILE *f = fopen(tmp, "w");
    if (!f) {
        snprintf(err, (size_t)err_size, "%s: cannot create: %s", tmp, strerror(errno));
        return -1;
    }
    put_page(f, p, configurations, chart_fault);
    int failed = ferror(f);
    if (fclose(f) != 0 || failed) {
        snprintf(err, (size_t)err_size, "%s: cannot write: %s", tmp, strerror(errno));
        remove(tmp);
        return -1;
    }
    if (rename(tmp, path) != 0) {
        snprintf(err, (size_t)err_size, "%s: cannot rename into place: %s", path, strerror(errno));
        remove(tmp);
        return -1;
    }
    return 0;
}

int page_write(const page_content *p, const char *path, char *err, int err_size)
{
    if (!repeats_present(p->results))
        return write_file(p, path, NULL, NULL, err, err_size);
    repeat_table configurations;
    repeats_group(p->results, &configurations);
    char chart_err[1024];
    int chart_rc = draw_configurations(&configurations, path, chart_err, sizeof chart_err);
    int rc = write_file(p, path, &configurations, chart_rc ? chart_err : NULL, err, err_size);
    repeats_free(&configurations);
    if (rc == 0 && chart_rc != 0) {
        snprintf(err, (size_t)err_size, "%s", chart_err);
        return -1;
    }
    return rc;
}
