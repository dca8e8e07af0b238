/* main: the command line.
 *   sweep FILE             train every trial of the grid, one after another
 *   sweep --dry-run FILE   list the expanded trials and exit
 * Prints a line per epoch, then the results table (a header naming the
 * columns, one whitespace-separated line per trial). */
#include <cblas.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "data.h"
#include "train.h"
#include "util.h"

#define SWEEP_VERSION "0.1.0"

typedef struct {
    char name[TRIAL_NAME_MAX];
    test_result test;
    int epochs_run, best_epoch;
    double seconds;
} trial_outcome;

static void usage(FILE *out)
{
    fprintf(out,
            "usage: sweep [--dry-run] FILE\n"
            "  FILE        grid configuration (see README, e.g. sweep/quick.cfg)\n"
            "  --dry-run   list the trials the grid expands to, train nothing\n"
            "  --version   print the version\n");
}

/* The BLAS build matters for speed and reproducibility: say which it is. */
static void print_version(void)
{
    printf("sweep %s\nBLAS: %s (%s threading)\n", SWEEP_VERSION, openblas_get_config(),
           openblas_get_parallel() == OPENBLAS_OPENMP ? "OpenMP" : "not OpenMP");
}

static void print_epoch(const epoch_record *r, void *ctx)
{
    const trainer *tr = ctx;
    printf("%s epoch %d/%d loss %.4f accuracy %.4f val_loss %.4f val_accuracy %.4f %.1fs\n",
           tr->settings.name, r->epoch, tr->settings.epochs, r->loss, r->accuracy,
           r->val_loss, r->val_accuracy, r->seconds);
    fflush(stdout);
}

static int same_data(const trial_settings *a, const trial_settings *b)
{
    return strcmp(a->data_dir, b->data_dir) == 0 && a->validation_split == b->validation_split &&
           a->train_limit == b->train_limit && a->test_limit == b->test_limit;
}

/* Trials that share their data settings share one loaded dataset. */
static void ensure_dataset(dataset *d, const trial_settings **loaded, const trial_settings *t)
{
    if (*loaded && same_data(*loaded, t))
        return;
    dataset_free(d);
    char err[1024];
    if (dataset_load(d, t->data_dir, t->validation_split, t->train_limit, t->test_limit,
                     err, sizeof err) != 0)
        fatal_user(EXIT_DATA, "%s", err);
    *loaded = t;
}

/* A fingerprint of the tested weights and moving statistics: two runs that
 * print the same one trained bit-identical models. */
static uint64_t weights_fingerprint(const net *n)
{
    uint64_t params = fnv1a64(n->params, sizeof(float) * n->n_params);
    uint64_t state = fnv1a64(n->state, sizeof(float) * n->n_state);
    return params ^ (state * 0x9e3779b97f4a7c15ULL);
}

static void run_trial(const trial_settings *t, const dataset *d, trial_outcome *o)
{
    char err[512];
    trainer *tr = trainer_new(t, d, err, sizeof err);
    if (!tr)
        fatal_user(EXIT_USAGE, "%s", err);
    printf("%s: %zu parameters, %d train / %d validation / %d test images\n", t->name,
           tr->net->n_params, d->train.count, d->validation.count, d->test.count);
    const double start = wall_seconds();
    trainer_fit(tr, print_epoch, tr);
    trainer_test(tr, &o->test);
    o->seconds = wall_seconds() - start;
    printf("%s: tested the weights of epoch %d, fingerprint %016" PRIx64 "\n", t->name,
           tr->best_epoch, weights_fingerprint(tr->net));
    snprintf(o->name, sizeof o->name, "%s", t->name);
    o->epochs_run = tr->epochs_done;
    o->best_epoch = tr->best_epoch;
    trainer_free(tr);
}

static void print_table(const trial_outcome *o, int count)
{
    printf("%-32s %13s %9s %9s %9s %9s %9s %6s %10s %9s\n", "name", "test_accuracy",
           "test_loss", "precision", "recall", "f1", "rmse", "epochs", "best_epoch", "seconds");
    for (int i = 0; i < count; i++) {
        const class_metrics *m = &o[i].test.metrics;
        printf("%-32s %13.4f %9.4f %9.4f %9.4f %9.4f %9.4f %6d %10d %9.1f\n", o[i].name,
               m->accuracy, o[i].test.loss, m->precision, m->recall, m->f1, m->rmse,
               o[i].epochs_run, o[i].best_epoch, o[i].seconds);
    }
}

/* Every distinct data setting is loaded once before the first trial, so a
 * missing or corrupt file ends the run before hours of training, not after. */
static void check_all_data(const sweep_config *c)
{
    for (int i = 0; i < c->n_trials; i++) {
        int seen = 0;
        for (int j = 0; j < i && !seen; j++)
            seen = same_data(&c->trials[j], &c->trials[i]);
        if (seen)
            continue;
        dataset d = { 0 };
        const trial_settings *loaded = NULL;
        ensure_dataset(&d, &loaded, &c->trials[i]);
        dataset_free(&d);
    }
}

static void run_sweep(const sweep_config *c)
{
    check_all_data(c);
    dataset d = { 0 };
    const trial_settings *loaded = NULL;
    trial_outcome *outcomes = xcalloc((size_t)c->n_trials, sizeof *outcomes);
    for (int i = 0; i < c->n_trials; i++) {
        ensure_dataset(&d, &loaded, &c->trials[i]);
        run_trial(&c->trials[i], &d, &outcomes[i]);
    }
    print_table(outcomes, c->n_trials);
    free(outcomes);
    dataset_free(&d);
}

/* libgomp reads OMP_WAIT_POLICY once, at start-up. Its default spins at
 * every barrier, and a training step has dozens of small parallel loops:
 * with another process on a core (a shared node, oversubscribed MPI ranks)
 * that made training up to 16x slower here. Unless the user chose a
 * policy, restart once with passive waiting; if exec fails, carry on. */
static void prefer_passive_openmp_waiting(char **argv)
{
    if (getenv("OMP_WAIT_POLICY"))
        return;
    setenv("OMP_WAIT_POLICY", "passive", 1);
    execv("/proc/self/exe", argv);
}

/* A table lost to a full disk or a closed pipe must not look like success. */
static int finish_output(void)
{
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "sweep: writing standard output: %s\n", strerror(errno));
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    prefer_passive_openmp_waiting(argv);
    static const struct option options[] = {
        { "dry-run", no_argument, NULL, 'n' },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { NULL, 0, NULL, 0 },
    };
    int dry_run = 0, opt;
    while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (opt) {
        case 'n': dry_run = 1; break;
        case 'h': usage(stdout); return finish_output();
        case 'V': print_version(); return finish_output();
        default: usage(stderr); return EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        usage(stderr);
        return EXIT_USAGE;
    }
    char err[1024];
    sweep_config *c = config_load(argv[optind], err, sizeof err);
    if (!c)
        fatal_user(EXIT_USAGE, "%s", err);
    if (dry_run)
        config_print_trials(c, stdout);
    else
        run_sweep(c);
    config_free(c);
    return finish_output();
}
