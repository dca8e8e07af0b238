/* bench_publish: what recording a sweep costs rank 0, as the number of
 * done trials grows. N trials of one experiment's settings (the seed is
 * the axis) go through rank 0's recorder exactly as the scheduler drives
 * it -- started, a 50-epoch history, done with 10,000 predictions and the
 * trial's real-sized weights (written once to their own file) -- and the
 * bench prints, for N: the publishes made and their total seconds, the
 * last (largest) publish's seconds, the results file's size, the weights
 * files' total size, the seconds spent writing weights, and rank 0's peak
 * RSS. The goal (issue 10): publish time and RSS flat in the trials'
 * weights, a 1,000-trial publish under a second.
 * Usage: bench_publish CFG EXPERIMENT N DIR (DIR is emptied of the files
 * it writes) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nn/net.h"
#include "store/recorder.h"
#include "core/util.h"

/* The experiment's settings with a seed axis of n values, as a config. */
static sweep_config *seed_grid(const char *cfg, const char *experiment, int n, const char *dir)
{
    char err[1024];
    sweep_config *base = config_load(cfg, err, sizeof err);
    CHECK(base, "%s", err);
    const trial_settings *t = NULL;
    for (int i = 0; i < base->n_trials && !t; i++)
        if (strcmp(base->trials[i].experiment, experiment) == 0)
            t = &base->trials[i];
    CHECK(t, "%s: no experiment %s", cfg, experiment);
    char blocks[512], dense[512];
    trial_blocks_text(t, blocks, sizeof blocks);
    trial_dense_text(t, dense, sizeof dense);
    size_t size = 4096 + (size_t)n * 12;
    char *text = xcalloc(size, 1);
    int len = snprintf(text, size, "[sweep]\nname = bench\noutput = %s/bench.h5\nseed = 1", dir);
    for (int s = 2; s <= n; s++)
        len += snprintf(text + len, size - (size_t)len, " | %d", s);
    snprintf(text + len, size - (size_t)len,
             "\n[train]\nepochs = %d\n[model]\ngroups = %s\ndense = %s\nbatch_norm = %s\n"
             "dropout = %g\nl2 = %g\n", t->epochs, blocks, dense, t->batch_norm ? "yes" : "no",
             t->dropout, t->l2);
    sweep_config *c = config_parse(text, "bench.cfg", err, sizeof err);
    CHECK(c, "%s (generated from %s)", err, cfg);
    free(text);
    config_free(base);
    return c;
}

static long long directory_bytes(const char *dir)
{
    char command[1100];
    snprintf(command, sizeof command, "du -sb %s 2>/dev/null", dir);
    FILE *du = popen(command, "r");
    long long bytes = 0;
    if (du && fscanf(du, "%lld", &bytes) != 1)
        bytes = 0;
    if (du)
        pclose(du);
    return bytes;
}

int main(int argc, char **argv)
{
    CHECK(argc == 5, "usage: bench_publish CFG EXPERIMENT N DIR");
    int n = atoi(argv[3]);
    const char *dir = argv[4];
    char err[1024], weights_dir[1024];
    sweep_config *c = seed_grid(argv[1], argv[2], n, dir);
    recorder rec;
    recorder_options o = { NULL, 0, "bench", 1, 1 };
    CHECK(recorder_open(&rec, c, &o) == 0, "cannot open the recorder");
    net *model = net_new(&c->trials[0], 1, err, sizeof err);   /* the weights handed over */
    CHECK(model, "%s", err);
    uint8_t *predictions = xcalloc(10000, 1);
    test_result test = { 0.3, { .count = 10000, .accuracy = 0.9 } };
    double weights_seconds = 0;
    for (int i = 0; i < n; i++) {
        recorder_started(&rec, i, 1, "node1", "SkylakeX");
        for (int e = 1; e <= 50; e++)
            recorder_epoch(&rec, i, &(epoch_record){ e, 0.5, 0.9, 0.4, 0.9, 330.0 });
        double start = wall_seconds();
        recorder_done(&rec, i, 50, 50, &test, predictions, 10000, model->params, model->n_params,
                      model->state, model->n_state);
        weights_seconds += wall_seconds() - start;
    }
    double start = wall_seconds();
    int publishes = rec.publishes;
    double publish_seconds = rec.publish_seconds;
    CHECK(recorder_close(&rec) == 0, "the last publish failed");
    double last = wall_seconds() - start;
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    char path[1100];
    snprintf(path, sizeof path, "%s/bench.h5", dir);
    snprintf(weights_dir, sizeof weights_dir, "%s/bench.weights", dir);
    struct stat st;
    CHECK(stat(path, &st) == 0, "%s: not written", path);
    printf("| %d | %zu | %d | %.2f | %.3f | %.1f | %.0f | %.1f | %.0f |\n", n, model->n_params,
           publishes + 1, publish_seconds + last, last, st.st_size / 1e6,
           directory_bytes(weights_dir) / 1e6, weights_seconds, usage.ru_maxrss / 1024.0);
    char command[3400];
    snprintf(command, sizeof command, "rm -rf %s %s.lock %s", path, path, weights_dir);
    CHECK(system(command) == 0, "cannot remove the bench's files");
    free(predictions);
    net_free(model);
    config_free(c);
    return 0;
}
