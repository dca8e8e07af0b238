/* test_merge: results_merge's rules, on records built in memory from real
 * grids: the shards of a grid join into the whole grid, each trial once;
 * of two records of one trial the one that got further is kept, under the
 * name the output already had; a different trial with a taken name is
 * kept apart as NAME~HASH, and two trials of one settings hash stay two;
 * the first file gives the description, and the
 * earliest start is kept; merging the same file again changes nothing.
 * `sweep merge` itself (files, lock, errors) is test_merge.sh's. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "store/results.h"
#include "testing.h"

/* Four trials; `name` changes the trials' names but not their settings. */
static sweep_config *grid(const char *name)
{
    char text[512], err[512];
    snprintf(text, sizeof text,
             "[sweep]\nname = %s\n[data]\ntrain_limit = 600\ntest_limit = 200\n"
             "[train]\nepochs = 3\n[model]\nconv = 4\ndense = 8\n"
             "dropout = 0 | 0.25\nl2 = 0 | 0.01\n", name);
    sweep_config *c = config_parse(text, "merge.cfg", err, sizeof err);
    EXPECT(c != NULL, "%s", err);
    return c;
}

/* The results a run of c (or of its shard I of N, if n > 0) starts with. */
static void fresh_results(sweep_results *r, sweep_config *c, int shard, int n, const char *started)
{
    results_init(r);
    if (n > 0)
        config_keep_shard(c, shard, n);
    r->config_text = strdup(c->text);
    r->config_hash = c->text_hash;
    snprintf(r->started, sizeof r->started, "%s", started);
    results_adopt_grid(r, c);
}

static void run_epochs(trial_record *t, int epochs)
{
    results_trial_started(t, 1, "node1", "Haswell");
    for (int e = 1; e <= epochs; e++)
        results_epoch(t, &(epoch_record){ e, 1.0 / e, 0.5, 1.0, 0.5, 1.0 });
}

static void finish(trial_record *t, double accuracy)
{
    run_epochs(t, t->settings.epochs);
    test_result test = { 0.4, { .accuracy = accuracy, .count = 200 } };
    uint8_t predictions[200] = { 0 };
    char weights[TRIAL_NAME_MAX + 32];
    snprintf(weights, sizeof weights, "shard.weights/%s.h5", t->settings.name);
    results_trial_done(t, t->settings.epochs, t->settings.epochs, &test, predictions, 200,
                       weights);
}

static trial_record *by_hash(sweep_results *r, uint64_t hash)
{
    trial_record *found = NULL;
    for (int i = 0; i < r->n_records; i++)
        if (r->records[i].settings.hash == hash) {
            EXPECT(found == NULL, "hash %016llx twice", (unsigned long long)hash);
            found = &r->records[i];
        }
    return found;
}

static void test_shards_merge_into_the_whole_grid_each_trial_once(void)
{
    sweep_config *whole = grid("g");
    sweep_results out, shard[3];
    results_init(&out);
    int total = 0;
    for (int s = 0; s < 3; s++) {
        sweep_config *c = grid("g");
        fresh_results(&shard[s], c, s, 3, "2026-11-30T08:00:00Z");
        total += shard[s].n_records;
        for (int i = 0; i < shard[s].n_records; i++)
            finish(&shard[s].records[i], 0.5 + 0.01 * i);
        config_free(c);
    }
    EXPECT(total == whole->n_trials, "the shards hold %d trials, the grid %d", total,
           whole->n_trials);
    for (int s = 0; s < 3; s++) {
        results_merge(&out, &shard[s]);
        EXPECT(shard[s].n_records == 0 && shard[s].records == NULL, "shard %d kept records", s);
        results_free(&shard[s]);
    }
    EXPECT(out.n_records == whole->n_trials, "%d records", out.n_records);
    for (int i = 0; i < whole->n_trials; i++) {
        trial_record *t = by_hash(&out, whole->trials[i].hash);
        EXPECT(t != NULL, "%s missing", whole->trials[i].name);
        if (!t)
            continue;
        EXPECT(strcmp(t->settings.name, whole->trials[i].name) == 0, "name %s", t->settings.name);
        EXPECT(t->status == TRIAL_DONE && t->in_grid && t->weights_file[0], "%s: status %d",
               t->settings.name, t->status);
    }
    EXPECT(out.config_text && strcmp(out.config_text, whole->text) == 0, "config text not carried");
    results_free(&out);
    config_free(whole);
}

/* into and from each hold all four trials, at different stages. */
static void test_the_record_that_got_further_is_kept_under_intos_name(void)
{
    sweep_config *ci = grid("a"), *cf = grid("b");
    sweep_results into, from;
    fresh_results(&into, ci, 0, 0, "2026-11-30T09:00:00Z");
    fresh_results(&from, cf, 0, 0, "2026-11-30T08:00:00Z");
    /* trial 0: pending here, done there; trial 1: 1 epoch here, 2 there;
     * trial 2: done in both (a tie keeps into's); trial 3: 2 epochs here,
     * failed there */
    finish(&from.records[0], 0.9);
    run_epochs(&into.records[1], 1);
    results_trial_stopped(&into.records[1]);
    run_epochs(&from.records[1], 2);
    results_trial_stopped(&from.records[1]);
    finish(&into.records[2], 0.6);
    finish(&from.records[2], 0.7);
    run_epochs(&into.records[3], 2);
    results_trial_stopped(&into.records[3]);
    run_epochs(&from.records[3], 1);
    results_trial_failed(&from.records[3], from.records[3].epochs_run);
    int changed = results_merge(&into, &from);
    EXPECT(changed == 3, "%d records replaced", changed);
    EXPECT(into.n_records == 4, "%d records", into.n_records);
    for (int i = 0; i < 4; i++)
        EXPECT(strcmp(into.records[i].settings.name, ci->trials[i].name) == 0, "record %d is %s",
               i, into.records[i].settings.name);
    EXPECT(into.records[0].status == TRIAL_DONE && into.records[0].test.metrics.accuracy == 0.9,
           "trial 0: status %d", into.records[0].status);
    EXPECT(into.records[1].status == TRIAL_INTERRUPTED && into.records[1].epochs_run == 2,
           "trial 1: %d epochs", into.records[1].epochs_run);
    EXPECT(into.records[2].test.metrics.accuracy == 0.6, "trial 2: accuracy %g",
           into.records[2].test.metrics.accuracy);
    EXPECT(into.records[3].status == TRIAL_FAILED, "trial 3: status %d", into.records[3].status);
    EXPECT(strcmp(into.started, "2026-11-30T08:00:00Z") == 0, "started %s", into.started);
    results_free(&from);
    results_free(&into);
    config_free(ci);
    config_free(cf);
}

static void test_another_trial_with_a_taken_name_is_kept_apart(void)
{
    char err[512];
    sweep_config *ci = grid("g");
    /* same names, other settings (5 epochs) */
    sweep_config *cf = config_parse("[sweep]\nname = g\n[data]\ntrain_limit = 600\n"
                                    "test_limit = 200\n[train]\nepochs = 5\n[model]\nconv = 4\n"
                                    "dense = 8\ndropout = 0 | 0.25\nl2 = 0 | 0.01\n",
                                    "other.cfg", err, sizeof err);
    EXPECT(cf != NULL, "%s", err);
    sweep_results into, from;
    fresh_results(&into, ci, 0, 0, "");
    fresh_results(&from, cf, 0, 0, "");
    finish(&from.records[0], 0.8);
    results_merge(&into, &from);
    EXPECT(into.n_records == 8, "%d records", into.n_records);
    trial_record *apart = by_hash(&into, cf->trials[0].hash);
    char want[TRIAL_NAME_MAX + 20];
    snprintf(want, sizeof want, "%s~%016llx", cf->trials[0].name,
             (unsigned long long)cf->trials[0].hash);
    EXPECT(apart && strcmp(apart->settings.name, want) == 0 && apart->status == TRIAL_DONE,
           "kept as %s", apart ? apart->settings.name : "nothing");
    EXPECT(strcmp(into.records[0].settings.name, ci->trials[0].name) == 0 &&
           into.records[0].status == TRIAL_PENDING, "into's own record changed");
    results_free(&from);
    results_free(&into);
    config_free(ci);
    config_free(cf);
}

/* `conv = 4` and `groups = 4` are one model: two experiments, two trials,
 * one settings hash. */
static void test_two_trials_with_the_same_settings_stay_two(void)
{
    char err[512];
    const char *text = "[sweep]\nname = g\n[data]\ntrain_limit = 600\ntest_limit = 200\n"
                       "[train]\nepochs = 3\n[model]\ndense = 8\n"
                       "[experiment x]\nconv = 4\n[experiment y]\ngroups = 4\n";
    sweep_config *c = config_parse(text, "same.cfg", err, sizeof err);
    EXPECT(c != NULL, "%s", err);
    if (!c)
        return;
    EXPECT(c->n_trials == 2 && c->trials[0].hash == c->trials[1].hash, "%d trials", c->n_trials);
    sweep_results out, both, one;
    results_init(&out);
    fresh_results(&both, c, 0, 0, "");
    finish(&both.records[0], 0.6);
    finish(&both.records[1], 0.7);
    results_merge(&out, &both);
    EXPECT(out.n_records == 2 && out.records[0].status == TRIAL_DONE &&
           out.records[1].status == TRIAL_DONE, "%d records", out.n_records);
    /* y's record goes to y, not to x, whose settings are the same */
    sweep_results into;
    fresh_results(&into, c, 0, 0, "");
    fresh_results(&one, c, 0, 0, "");
    finish(&one.records[1], 0.7);
    results_merge(&into, &one);
    EXPECT(into.records[0].status == TRIAL_PENDING && into.records[1].status == TRIAL_DONE &&
           strcmp(into.records[1].settings.name, c->trials[1].name) == 0,
           "x %d, y %d", into.records[0].status, into.records[1].status);
    results_free(&both);
    results_free(&one);
    results_free(&into);
    results_free(&out);
    config_free(c);
}

static void test_merging_the_same_records_again_changes_nothing(void)
{
    sweep_config *c = grid("g");
    sweep_results into, first, again;
    results_init(&into);
    fresh_results(&first, c, 0, 0, "");
    fresh_results(&again, c, 0, 0, "");
    for (int i = 0; i < 2; i++) {
        finish(&first.records[i], 0.7);
        finish(&again.records[i], 0.7);
    }
    run_epochs(&first.records[2], 1);
    run_epochs(&again.records[2], 1);
    EXPECT(results_merge(&into, &first) == 4, "first merge");
    EXPECT(results_merge(&into, &again) == 0, "the second merge replaced records");
    EXPECT(into.n_records == 4, "%d records", into.n_records);
    results_free(&first);
    results_free(&again);
    results_free(&into);
    config_free(c);
}

int main(void)
{
    RUN_TEST(test_shards_merge_into_the_whole_grid_each_trial_once);
    RUN_TEST(test_the_record_that_got_further_is_kept_under_intos_name);
    RUN_TEST(test_another_trial_with_a_taken_name_is_kept_apart);
    RUN_TEST(test_two_trials_with_the_same_settings_stay_two);
    RUN_TEST(test_merging_the_same_records_again_changes_nothing);
    return testing_finish("test_merge");
}
