/* console: the scheduler's lines on stdout, the live progress line on a terminal. */
#include "sched/console.h"

#include <inttypes.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "nn/net.h"

void print_epoch_line(const trial_settings *t, const epoch_record *r)
{
    printf("%s epoch %d/%d loss %.4f accuracy %.4f val_loss %.4f val_accuracy %.4f %.1fs\n",
           t->name, r->epoch, t->epochs, r->loss, r->accuracy, r->val_loss, r->val_accuracy,
           r->seconds);
    fflush(stdout);
}

void print_start(const trial_settings *t, const char *where, const halving_step *s,
                 int in_rungs)
{
    printf("start %s%s", t->name, where);
    if (in_rungs)
        printf("%s at rung %d (to epoch %d)", where[0] ? "," : "", s->rung, s->epochs);
    putchar('\n');
    fflush(stdout);
}

static void print_trial_done(const trial_settings *t, const trial_outcome *o, verbosity v);

/* Each line is printed whole and flushed, so lines from many groups never
 * interleave. */
void print_trial_end(const trial_settings *t, const trial_outcome *o, verbosity v)
{
    if (o->status == OUTCOME_FAILED)
        printf("%s failed: the training loss is not finite at epoch %d\n", t->name, o->epochs_run);
    else
        print_trial_done(t, o, v);
    fflush(stdout);
}

void print_rung_end(const trial_settings *t, int rung, int epoch, search_metric metric,
                    double value)
{
    printf("%s stopped at rung %d (epoch %d), %s %.4f\n", t->name, rung, epoch,
           search_metric_names[metric], value);
    fflush(stdout);
}

/* A failed trial counts as finished: it is not run again. */
void print_sweep_progress(int done, int total, int in_rungs, double elapsed, double cost_done,
                          double cost_total)
{
    double eta = cost_done > 0 ? elapsed * (cost_total - cost_done) / cost_done : 0;
    printf("progress %d/%d trials done%s, %.0fs elapsed, ETA %.0fs\n", done, total,
           in_rungs ? " or pruned" : "", elapsed, eta > 0 ? eta : 0);
    fflush(stdout);
}

static void print_trial_done(const trial_settings *t, const trial_outcome *o, verbosity v)
{
    if (v == VERBOSITY_VERBOSE)
        printf("%s: %ld parameters, %d train / %d validation / %d test images, %s\n", t->name,
               o->parameters, o->train_images, o->validation_images, o->test_images,
               o->resumed_from_epoch ? "resumed from a checkpoint" : "trained from scratch");
    if (v == VERBOSITY_VERBOSE && o->features)
        printf("%s: base features %s %s (%.1fs)\n", t->name,
               o->features == 2 ? "read from" : "computed, cached in",
               o->features_file[0] ? o->features_file : "memory only", o->features_seconds);
    printf("%s: tested the weights of epoch %d, fingerprint %016" PRIx64 "\n", t->name,
           o->best_epoch, o->fingerprint);
    printf("%s done: test_accuracy %.4f, %d epochs, %.1fs\n", t->name,
           o->test.metrics.accuracy, o->epochs_run, o->seconds);
}

void print_resume_line(const recorder *rec, int n_trials, int in_rungs)
{
    int pruned = 0;
    for (int i = 0; in_rungs && i < n_trials; i++)
        pruned += rec->results.records[i].status == TRIAL_PRUNED;
    if (in_rungs && rec->already_done + pruned > 0)
        printf("%s: %d of %d trials done and %d stopped at a rung by an earlier run; "
               "continuing the search\n", rec->path, rec->already_done, n_trials, pruned);
    else if (rec->already_done > 0)
        printf("%s: %d of %d trials already done; running the other %d\n", rec->path,
               rec->already_done, n_trials, n_trials - rec->already_done);
    fflush(stdout);
}

/* --verbose: which convolution algorithm each conv layer runs (conv2d.h). */
void print_convolutions(const trial_settings *t, verbosity v)
{
    char text[2048];
    if (v == VERBOSITY_VERBOSE && net_conv_algorithms_text(t, text, sizeof text) > 0)
        printf("%s: convolutions %s\n", t->name, text);
    fflush(stdout);
}

static int terminal_columns(void)
{
    struct winsize w;
    return ioctl(STDOUT_FILENO, TIOCGWINSZ, &w) == 0 && w.ws_col > 0 ? w.ws_col : 80;
}

/* Rank 0. On a terminal the line is drawn over itself (carriage return,
 * the line, clear what a longer earlier one left) and never wraps; in a
 * log it is a line of its own. Either is written whole and flushed. */
void print_progress(trial_sink *s, int index, const progress_figures *f)
{
    const trial_settings *t = &s->config->trials[index];
    char line[512];
    if (s->live) {
        progress_format(line, sizeof line, t->name, t->epochs, f, terminal_columns());
        printf("\r%s\033[K", line);
        s->live_shown = 1;
    } else {
        progress_format(line, sizeof line, t->name, t->epochs, f, 0);
        printf("%s\n", line);
    }
    fflush(stdout);
}

/* Before any other output: the line that follows starts at column 0 and
 * no stale progress is left behind it. */
void clear_live_line(trial_sink *s)
{
    if (!s->live_shown)
        return;
    fputs("\r\033[K", stdout);
    fflush(stdout);
    s->live_shown = 0;
}
