/* bench_publish: what publishing the results file costs at the report's
 * scale. Every trial of sweep/report.cfg recorded as done -- its real
 * weight count, 10,000 predictions, a 50-epoch history -- then the whole
 * file published (write, fsync, rename) and read back, timed. Prints the
 * file size and seconds. Usage: bench_publish [CFG] [DIR] */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "net.h"
#include "results.h"
#include "util.h"

static void record_done(trial_record *t)
{
    char err[256];
    net *n = net_new(&t->settings, 1, err, sizeof err);
    CHECK(n, "%s", err);
    uint8_t *predictions = xcalloc(10000, 1);
    test_result test = { 0.3, { .count = 10000, .accuracy = 0.9 } };
    for (int e = 1; e <= t->settings.epochs && e <= 50; e++)
        results_epoch(t, &(epoch_record){ e, 0.5, 0.9, 0.4, 0.9, 330.0 });
    results_trial_done(t, t->n_history, t->n_history, &test, predictions, 10000, n->params,
                       n->n_params, n->state, n->n_state);
    free(predictions);
    net_free(n);
}

int main(int argc, char **argv)
{
    const char *cfg = argc > 1 ? argv[1] : "sweep/report.cfg";
    const char *dir = argc > 2 ? argv[2] : "/tmp";
    char err[1024], path[512];
    sweep_config *c = config_load(cfg, err, sizeof err);
    CHECK(c, "%s", err);
    sweep_results r;
    results_init(&r);
    results_adopt_grid(&r, c);
    for (int i = 0; i < c->n_trials; i++)
        record_done(results_trial(&r, i));
    snprintf(path, sizeof path, "%s/bench_publish.h5", dir);
    double t0 = wall_seconds();
    CHECK(results_publish(&r, path, err, sizeof err) == 0, "%s", err);
    double t1 = wall_seconds();
    sweep_results back;
    CHECK(results_read(&back, path, err, sizeof err) == 0, "%s", err);
    double t2 = wall_seconds();
    struct stat st;
    stat(path, &st);
    printf("publish %d done trials of %s: %.1f MB, write+fsync+rename %.2f s, read back %.2f s\n",
           c->n_trials, cfg, st.st_size / 1e6, t1 - t0, t2 - t1);
    remove(path);
    results_free(&back);
    results_free(&r);
    config_free(c);
    return 0;
}
