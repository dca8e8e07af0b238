/* test_search_plan: rank 0's plan over real records (a recorder on a
 * scratch results file), driven as the dispatcher drives it: the rung a
 * trial is sent to is recorded before it starts; a trial resumed from its
 * checkpoint, whose epochs are recorded again one by one while other
 * groups ask for work, is ranked on what it had, so nothing else is sent
 * on in its place; a trial stopped by a signal is not sent again in the
 * same run, and the search is then not done; at the end the trials left
 * unpromoted are recorded pruned. The search is set on the parsed
 * configuration directly (9 seeds of one tiny model, sha, reduction 3). */
#include <string.h>

#include "nn/net.h"
#include "sched/search_plan.h"
#include "store/recorder.h"
#include "testing.h"

static char dir[64];

static sweep_config *sha_sweep(const char *name)
{
    char text[1024], err[512];
    snprintf(text, sizeof text, "[sweep]\nname = %s\noutput = %s/%s.h5\npublish_interval = 0\n"
             "seed = 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9\n[data]\ntrain_limit = 64\n"
             "test_limit = 64\n[train]\nepochs = 9\n[model]\nconv = 2\ndense = 4\n",
             name, dir, name);
    sweep_config *c = config_parse(text, "plan.cfg", err, sizeof err);
    EXPECT(c != NULL, "%s", err);
    if (c)
        c->search = (search_options){ SEARCH_SHA, 0, 1, 3, 1, METRIC_VAL_ACCURACY };
    return c;
}

/* The sweep, a recorder on its results file and the plan over it
 * (by_cost: the dispatcher's order); NULL, with nothing open, on a fault. */
static sweep_config *open_sweep(const char *name, int by_cost, recorder *rec, search_plan *p)
{
    sweep_config *c = sha_sweep(name);
    recorder_options o = { NULL, 0, "test", 3, 1 };
    if (c && recorder_open(rec, c, &o) == 0) {
        search_plan_init(p, c, rec, by_cost);
        return c;
    }
    EXPECT(0, "cannot open a recorder for %s", name);
    config_free(c);
    return NULL;
}

static void close_sweep(sweep_config *c, recorder *rec, search_plan *p)
{
    search_plan_free(p);
    EXPECT(recorder_close(rec) == 0, "close");
    config_free(c);
}

/* Trial i's val_accuracy at epoch e: after epoch 1, 4 is the best, then
 * 7, 1; over epochs 1..3, 4 (.95) still leads 7 (.92), but on epoch 1
 * alone 7 would. */
static double accuracy(int i, int e)
{
    const double a[9] = { .3, .5, .2, .1, .9, .15, .25, .6, .05 };
    if (e > 1 && (i == 4 || i == 7))
        return i == 4 ? .95 : .92;
    return a[i];
}

static void record_epochs(recorder *rec, search_plan *p, int i, int from, int to)
{
    for (int e = from + 1; e <= to; e++) {
        recorder_epoch(rec, i, &(epoch_record){ e, 1.0, 0.5, 1.0, accuracy(i, e), 0.01 });
        search_plan_update(p, i);
    }
}

/* The step's trial trains from `from` to its budget and stops there. */
static void train_to_budget(recorder *rec, search_plan *p, const halving_step *s, int from)
{
    search_plan_begin(p, s, 1, "node1", "Haswell");
    record_epochs(rec, p, s->trial, from, s->epochs);
    recorder_pruned(rec, s->trial, s->epochs);
    search_plan_update(p, s->trial);
}

static void test_a_replaying_trial_keeps_its_place_and_the_end_records_pruned(void)
{
    recorder rec;
    search_plan p;
    sweep_config *c = open_sweep("replay", 1, &rec, &p);
    if (!c)
        return;
    for (int k = 0; k < 9; k++) {
        halving_step s = search_plan_next(&p);
        EXPECT(s.action == HALVING_RUN && s.rung == 0 && s.epochs == 1, "rung 0 step %d", k);
        train_to_budget(&rec, &p, &s, 0);
    }
    int promoted[3] = { 0 };
    for (int k = 0; k < 3; k++) {
        halving_step s = search_plan_next(&p);
        EXPECT(s.action == HALVING_RUN && s.rung == 1 && s.epochs == 3, "rung 1 step %d", k);
        promoted[k] = s.trial;
        EXPECT(results_trial(&rec.results, s.trial)->status == TRIAL_PRUNED, "pruned until sent");
        train_to_budget(&rec, &p, &s, 1);
    }
    EXPECT(promoted[0] + promoted[1] + promoted[2] == 4 + 7 + 1, "rung 1: 4, 7, 1");
    halving_step last = search_plan_next(&p);
    EXPECT(last.action == HALVING_RUN && last.trial == 4 && last.rung == 2 && last.epochs == 9,
           "trial 4 to rung 2: %d", last.trial);
    search_plan_begin(&p, &last, 1, "node1", "Haswell");
    EXPECT(results_trial(&rec.results, 4)->rung == 2 &&
           results_trial(&rec.results, 4)->status == TRIAL_RUNNING, "its rung recorded at its start");
    /* resumed from its checkpoint: epoch 1 recorded again, 2 and 3 not yet */
    record_epochs(&rec, &p, 4, 0, 1);
    EXPECT(results_trial(&rec.results, 4)->n_history == 1, "the record holds one epoch now");
    EXPECT(search_plan_next(&p).action == HALVING_WAIT, "another group waits: 7 is not sent on");
    record_epochs(&rec, &p, 4, 1, 9);
    test_result test = { 0.5, { .count = 64, .accuracy = 0.25 } };
    uint8_t predictions[64] = { 0 };
    char err[256];
    net *n = net_new(&c->trials[4], 1, err, sizeof err);
    EXPECT(n != NULL, "%s", err);
    recorder_done(&rec, 4, 9, 2, &test, predictions, 64, n->params, n->n_params, n->state,
                  n->n_state);
    net_free(n);
    search_plan_update(&p, 4);
    EXPECT(search_plan_next(&p).action == HALVING_DONE, "done");
    double to_run = -1;
    EXPECT(search_plan_settled(&p, &to_run) == 9 && to_run == 0, "all settled, %g to run", to_run);
    EXPECT(search_plan_finish(&p) == 1, "the search is done");
    int pruned = 0;
    for (int i = 0; i < 9; i++)
        pruned += results_trial(&rec.results, i)->status == TRIAL_PRUNED;
    EXPECT(pruned == 8, "%d pruned", pruned);
    close_sweep(c, &rec, &p);
}

static void test_a_trial_stopped_by_a_signal_is_not_sent_again_in_the_run(void)
{
    recorder rec;
    search_plan p;
    sweep_config *c = open_sweep("held", 0, &rec, &p);
    if (!c)
        return;
    halving_step s = search_plan_next(&p);
    EXPECT(s.action == HALVING_RUN && s.trial == 0, "trial 0 first");
    search_plan_begin(&p, &s, 1, "node1", "Haswell");
    recorder_stopped(&rec, 0);   /* its group was signalled before rank 0 was */
    search_plan_hold(&p, 0);
    halving_step next = search_plan_next(&p);
    EXPECT(next.action == HALVING_RUN && next.trial == 1, "trial 1 next, not 0 again: %d",
           next.trial);
    EXPECT(search_plan_finish(&p) == 0, "not done: 0 is interrupted");
    EXPECT(search_plan_next(&p).trial == 0, "the next run starts with it");
    close_sweep(c, &rec, &p);
}

int main(void)
{
    if (testing_make_dir(dir, "plan") != 0)
        return 1;
    RUN_TEST(test_a_replaying_trial_keeps_its_place_and_the_end_records_pruned);
    RUN_TEST(test_a_trial_stopped_by_a_signal_is_not_sent_again_in_the_run);
    testing_remove_dir(dir);
    return testing_finish("test_search_plan");
}
