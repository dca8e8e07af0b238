/* page: the HTML summary of a sweep. */
#include "plot/page.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

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
    "tr.best td{background:#f6dde1;font-weight:bold}\n"
    "td.running{color:#117733}td.interrupted{color:#999933}td.pending{color:#888}"
    "td.failed{color:#882255;font-weight:bold}\n"
    "figure{margin:.8em 0}figure img{max-width:100%;height:auto;border:1px solid #eee}\n"
    "figcaption{font-size:.85em;color:#555}.note{color:#882255}\n";

/* Clicking a header sorts by that column; numbers as numbers, "-" last. */
static const char page_script[] =
    "document.querySelectorAll('table.sortable th').forEach(function(th,col){\n"
    " th.addEventListener('click',function(){\n"
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

static void put_row(FILE *f, const page_trial *t)
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
    fputs("<div class=\"wide\"><table class=\"sortable\"><thead><tr>", f);
    for (size_t i = 0; i < sizeof columns / sizeof columns[0]; i++)
        fprintf(f, "<th%s title=\"sort by %s\">%s</th>", i == 0 ? " class=\"name\"" : "",
                columns[i], columns[i]);
    fputs("</tr></thead><tbody>\n", f);
    for (int i = 0; i < p->n_trials; i++)
        put_row(f, &p->trials[i]);
    fputs("</tbody></table></div>\n", f);
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

static void put_page(FILE *f, const page_content *p)
{
    const sweep_results *r = p->results;
    int count[5] = { 0 };
    for (int i = 0; i < r->n_records; i++)
        count[r->records[i].status]++;
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>sweep: ", f);
    put_escaped(f, p->results_path);
    fprintf(f, "</title>\n<style>\n%s</style>\n</head><body>\n<h1>Sweep ", page_style);
    put_escaped(f, p->results_path);
    fprintf(f, "</h1>\n<p>%d trials: %d done, %d running, %d interrupted, %d pending, %d failed. "
            "Started %s, results file updated %s; sweep %s.</p>\n", r->n_records,
            count[TRIAL_DONE], count[TRIAL_RUNNING], count[TRIAL_INTERRUPTED],
            count[TRIAL_PENDING], count[TRIAL_FAILED], r->started, r->updated, r->version);
    for (int i = 0; i < p->n_notes; i++) {
        fputs("<p class=\"note\">", f);
        put_escaped(f, p->notes[i]);
        fputs("</p>\n", f);
    }
    fputs("<h2>Trials</h2>\n<p>Click a column's name to sort by it. Figures are fractions; "
          "reference is the report's figure where the configuration gives one "
          "(<code>reference_accuracy</code>).</p>\n", f);
    put_table(f, p);
    fputs("<h2>The sweep</h2>\n", f);
    for (int i = 0; i < p->n_pictures; i++)
        put_figure(f, &p->pictures[i]);
    fputs("<h2>Each trial</h2>\n", f);
    for (int i = 0; i < p->n_trials; i++)
        put_trial(f, &p->trials[i]);
    fprintf(f, "<script>\n%s</script>\n</body></html>\n", page_script);
}

int page_write(const page_content *p, const char *path, char *err, int err_size)
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
    put_page(f, p);
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
