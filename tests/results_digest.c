/* results_digest: one line per trial of a results file, for shell tests
 * that compare two runs -- name, status, epochs, best epoch, test figures
 * to 17 digits, and FNV-1a hashes of the history (every figure but the
 * seconds), the predictions and the best weights with moving statistics.
 * Two runs of the same trials give the same lines exactly when they
 * trained the same models. Reads through results_read, the reader a rerun
 * uses, and the weights through the file's links (weights_file_read), as
 * `sweep predict` does; exits 1 if any cannot be read. Usage:
 * results_digest RESULTS.h5 */
#include <stdio.h>

#include "nn/net.h"
#include "store/results.h"
#include "core/util.h"
#include "store/weights_file.h"

static uint64_t history_hash(const trial_record *t)
{
    uint64_t h = 0;
    for (int e = 0; e < t->n_history; e++) {
        const epoch_record *r = &t->history[e];
        const double figures[5] = { r->epoch, r->loss, r->accuracy, r->val_loss, r->val_accuracy };
        h = h * 31 + fnv1a64(figures, sizeof figures);
    }
    return h;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: results_digest RESULTS.h5\n");
        return 2;
    }
    sweep_results r;
    char err[2048];
    if (results_read(&r, argv[1], err, sizeof err) != 0) {
        fprintf(stderr, "results_digest: %s\n", err);
        return 1;
    }
    int rc = 0;
    for (int i = 0; i < r.n_records; i++) {
        const trial_record *t = &r.records[i];
        uint64_t params = fnv1a64(NULL, 0), state = fnv1a64(NULL, 0);
        if (t->status == TRIAL_DONE) {
            net *n = net_new(&t->settings, 1, err, sizeof err);
            if (!n || weights_file_read(t->weights_file, t->weights_object, n, err,
                                        sizeof err) != 0) {
                fprintf(stderr, "results_digest: %s\n", err);
                rc = 1;
            } else {
                params = fnv1a64(n->params, n->n_params * sizeof(float));
                state = fnv1a64(n->state, n->n_state * sizeof(float));
            }
            net_free(n);
        }
        printf("%s %s epochs %d/%d best %d test %.17g %.17g history %016llx predictions %016llx "
               "weights %016llx %016llx\n", t->settings.name, trial_status_names[t->status],
               t->epochs_run, t->n_history, t->best_epoch, t->test.metrics.accuracy, t->test.loss,
               (unsigned long long)history_hash(t),
               (unsigned long long)fnv1a64(t->predictions, (size_t)t->n_predictions),
               (unsigned long long)params, (unsigned long long)state);
    }
    results_free(&r);
    return rc;
}
