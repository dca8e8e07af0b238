/* records_fixture: a sweep's results in memory with a trial in every
 * state, for the tests of the views of the results (the page, CSV, JSON):
 * seven trials of a dropout axis -- three done (accuracies 0.70, 0.90,
 * 0.80: the second is the best), one running, one interrupted, one failed
 * (its loss not finite in epoch 1), one pending. Header-only, like
 * testing.h. */
#ifndef SWEEP_RECORDS_FIXTURE_H
#define SWEEP_RECORDS_FIXTURE_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "config/config.h"
#include "store/results.h"

static const char records_fixture_grid[] =
    "[sweep]\nname = pg\n[data]\ntrain_limit = 100\ntest_limit = 20\n[train]\nepochs = 3\n"
    "[model]\nconv = 2\ndense = 4\ndropout = 0 | 0.1 | 0.2 | 0.3 | 0.4 | 0.5 | 0.6\n";

/* The names in the table's order, and each one's status as shown. */
static const char *const records_fixture_order[7] = {
    "pg_dropout-0.1", "pg_dropout-0.2", "pg_dropout-0", "pg_dropout-0.3",
    "pg_dropout-0.4", "pg_dropout-0.6", "pg_dropout-0.5"
};
static const char *const records_fixture_state[7] = {
    "best", "done", "done", "running", "interrupted", "pending", "failed"
};

static inline void records_fixture_done(trial_record *t, double accuracy)
{
    test_result test;
    memset(&test, 0, sizeof test);
    test.metrics.accuracy = accuracy;
    test.metrics.count = 20;
    test.loss = 1 - accuracy;
    uint8_t predictions[20] = { 0 };
    results_trial_started(t, 1, "host", "core");
    epoch_record e = { 1, 1.0, 0.5, 1.1, accuracy, 0.1 };
    results_epoch(t, &e);
    results_trial_done(t, 1, 1, &test, predictions, 20, "w.h5");
}

/* r (initialised by this call) holds the seven records; returns the
 * parsed grid for the caller to config_free, or NULL with err. */
static inline sweep_config *records_fixture_make(sweep_results *r, char *err, int err_size)
{
    sweep_config *c = config_parse(records_fixture_grid, "pg.cfg", err, err_size);
    results_init(r);
    if (!c)
        return NULL;
    results_adopt_grid(r, c);
    records_fixture_done(&r->records[0], 0.70);
    records_fixture_done(&r->records[1], 0.90);
    records_fixture_done(&r->records[2], 0.80);
    results_trial_started(&r->records[3], 1, "host", "core");
    results_trial_started(&r->records[4], 1, "host", "core");
    results_trial_stopped(&r->records[4]);
    results_trial_started(&r->records[5], 1, "host", "core");
    epoch_record e = { 1, NAN, 0.1, NAN, 0.1, 0.1 };
    results_epoch(&r->records[5], &e);
    results_trial_failed(&r->records[5], 1);
    return c;
}

#endif
