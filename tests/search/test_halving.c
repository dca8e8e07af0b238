/* test_halving: the search planner (search/halving.h) on hand-made
 * histories, with a simulated trainer in place of real training: rung
 * budgets; grid trials once each in the order given; sha's promotions
 * against a reference worked out by hand on 9 configurations (best over
 * the rung's epochs, not the last epoch), ties, early-stopped and failed
 * trials, val_loss ranking, waiting for a rung's last member, and the
 * same decisions whatever the order and the number of groups; asha's cap
 * (never more than floor(finished_k / reduction) promoted out of rung k)
 * checked at every step of many seeded random finishing orders, its
 * promotions taken whenever the cap allows, and recorded promotions kept;
 * the expected epochs behind the ETA. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "search/halving.h"
#include "testing.h"

#define MAX_TRIALS 64
#define MAX_EPOCHS 32

/* A trial of the simulation: its whole history is known in advance, and
 * "training" it to a budget reveals the epochs up to it. stop_epoch > 0:
 * early stopping ends it after that epoch; failed: that epoch's loss is
 * not finite. */
typedef struct {
    epoch_record history[MAX_EPOCHS];
    int stop_epoch, fails;
} script;

typedef struct {
    search_options search;
    int n;
    halving_trial view[MAX_TRIALS];
    script scripts[MAX_TRIALS];
    int epochs_trained;
    int runs[MAX_TRIALS][8];     /* budget of each run of each trial at each rung, 0 none */
} simulation;

static search_options options(search_method method, int reduction, int min_epochs,
                              search_metric metric)
{
    return (search_options){ method, 0, 1, reduction, min_epochs, metric };
}

/* n trials of `epochs` epochs whose val_accuracy at epoch e is acc[i][e-1]
 * (val_loss 1 - that). */
static void set_up(simulation *s, search_options o, int n, int epochs, const double *acc,
                   int stride)
{
    memset(s, 0, sizeof *s);
    s->search = o;
    s->n = n;
    for (int i = 0; i < n; i++) {
        for (int e = 0; e < epochs; e++) {
            double a = acc[i * stride + (e < stride ? e : stride - 1)];
            s->scripts[i].history[e] = (epoch_record){ e + 1, 1.0, a, 1.0 - a, a, 0.1 };
        }
        s->view[i] = (halving_trial){ epochs, 0, s->scripts[i].history, 0, 0, 0, 0 };
    }
}

/* Sends trial st.trial to its rung: running until finish() brings it back. */
static void start(simulation *s, halving_step st)
{
    halving_trial *t = &s->view[st.trial];
    t->rung = st.rung;
    t->running = 1;
    s->runs[st.trial][st.rung] = st.epochs;
}

/* The trial trains from where it stands to the budget it was sent with
 * (or until it stops early). */
static void finish(simulation *s, int i)
{
    halving_trial *t = &s->view[i];
    const script *sc = &s->scripts[i];
    int budget = s->runs[i][t->rung];
    int end = budget;
    if (sc->stop_epoch > 0 && sc->stop_epoch <= budget)
        end = sc->stop_epoch;
    s->epochs_trained += end - t->epochs_done;
    t->epochs_done = end;
    t->running = 0;
    if (end == t->epochs || end == sc->stop_epoch) {
        t->ended = 1;
        t->failed = sc->fails;
    }
}

/* One group, trials in index order: every step started and finished at once. */
static halving_step run_to_the_end(simulation *s)
{
    int order[MAX_TRIALS];
    for (int i = 0; i < s->n; i++)
        order[i] = i;
    for (int guard = 0; guard < 1000; guard++) {
        halving_step st = halving_next(&s->search, s->view, s->n, order);
        if (st.action != HALVING_RUN)
            return st;
        start(s, st);
        finish(s, st.trial);
    }
    return (halving_step){ HALVING_WAIT, -1, 0, 0 };
}

static int rung_reached(const simulation *s, int i)
{
    int k = 0;
    for (int r = 0; r < 8; r++)
        if (s->runs[i][r])
            k = r;
    return k;
}

/* ---- budgets ---------------------------------------------------------- */

static void test_rung_budgets_grow_by_the_reduction_up_to_the_epochs(void)
{
    search_options sha = options(SEARCH_SHA, 3, 1, METRIC_VAL_ACCURACY);
    int want9[] = { 1, 3, 9 }, want10[] = { 1, 3, 9, 10 };
    EXPECT(halving_last_rung(&sha, 9) == 2, "%d", halving_last_rung(&sha, 9));
    for (int k = 0; k < 3; k++)
        EXPECT(halving_budget(&sha, 9, k) == want9[k], "rung %d: %d", k, halving_budget(&sha, 9, k));
    EXPECT(halving_last_rung(&sha, 10) == 3, "%d", halving_last_rung(&sha, 10));
    for (int k = 0; k < 4; k++)
        EXPECT(halving_budget(&sha, 10, k) == want10[k], "rung %d: %d", k, halving_budget(&sha, 10, k));
    search_options two = options(SEARCH_ASHA, 2, 2, METRIC_VAL_ACCURACY);
    EXPECT(halving_budget(&two, 9, 0) == 2 && halving_budget(&two, 9, 2) == 8 &&
           halving_budget(&two, 9, 3) == 9 && halving_last_rung(&two, 9) == 3, "2, 4, 8, 9");
    EXPECT(halving_last_rung(&sha, 1) == 0 && halving_budget(&sha, 1, 0) == 1, "one epoch: one rung");
    search_options grid = options(SEARCH_GRID, 3, 1, METRIC_VAL_ACCURACY);
    EXPECT(halving_last_rung(&grid, 9) == 0 && halving_budget(&grid, 9, 0) == 9, "a grid: one rung");
}

/* ---- grid and random ---------------------------------------------------- */

static void test_grid_runs_every_trial_not_ended_once_in_the_given_order(void)
{
    const double acc[4] = { 0.5, 0.6, 0.7, 0.8 };
    simulation s;
    set_up(&s, options(SEARCH_RANDOM, 3, 1, METRIC_VAL_ACCURACY), 4, 5, acc, 1);
    s.view[1].ended = 1;   /* done in an earlier run */
    s.view[3].epochs_done = 2;   /* interrupted: continues */
    const int order[4] = { 3, 2, 1, 0 };
    halving_step a = halving_next(&s.search, s.view, 4, order);
    EXPECT(a.action == HALVING_RUN && a.trial == 3 && a.epochs == 5 && a.rung == 0,
           "first: %d to %d", a.trial, a.epochs);
    start(&s, a);
    halving_step b = halving_next(&s.search, s.view, 4, order);
    EXPECT(b.action == HALVING_RUN && b.trial == 2, "second: %d", b.trial);
    start(&s, b);
    halving_step c = halving_next(&s.search, s.view, 4, order);
    EXPECT(c.action == HALVING_RUN && c.trial == 0, "third: %d (1 is done)", c.trial);
    start(&s, c);
    EXPECT(halving_next(&s.search, s.view, 4, order).action == HALVING_WAIT, "three running");
    finish(&s, 3);
    finish(&s, 2);
    finish(&s, 0);
    EXPECT(halving_next(&s.search, s.view, 4, order).action == HALVING_DONE, "all ended");
    EXPECT(s.epochs_trained == 3 + 5 + 5, "%d epochs", s.epochs_trained);
}

/* ---- sha ---------------------------------------------------------------- */

/* 9 configurations, reduction 3, epochs 9: rungs of 1, 3 and 9 epochs.
 * Epoch 1 (rung 0): the best three are 3 (.70), 5 (.66), 1 (.62); 7 (.61)
 * is just below. Over epochs 1..3 (rung 1): 1 peaks at .74, 3 at .72, 5
 * at .71 -- but by the last epoch 5 (.71) leads 1 (.65) and 3 (.60), and
 * 3's last epoch is below 7's first: a planner that ranked by the last
 * epoch would keep 5, or drop 3 from rung 1. The reference: rung 1 =
 * {1, 3, 5}, rung 2 = {1}; 9 x 1 + 3 x 2 + 1 x 6 = 21 epochs. */
static const double nine[9][9] = {
    { .50, .51, .52, .53, .54, .55, .56, .57, .58 },
    { .62, .74, .65, .70, .71, .72, .73, .74, .75 },
    { .55, .90, .90, .90, .90, .90, .90, .90, .90 },   /* late bloomer, pruned at rung 0 */
    { .70, .72, .60, .60, .60, .60, .60, .60, .60 },
    { .40, .41, .42, .43, .44, .45, .46, .47, .48 },
    { .66, .69, .71, .71, .71, .71, .71, .71, .71 },
    { .58, .58, .58, .58, .58, .58, .58, .58, .58 },
    { .61, .61, .61, .61, .61, .61, .61, .61, .61 },
    { .45, .45, .45, .45, .45, .45, .45, .45, .45 },
};

static void expect_reference_rungs(const simulation *s)
{
    const int want[9] = { 0, 2, 0, 1, 0, 1, 0, 0, 0 };
    for (int i = 0; i < 9; i++)
        EXPECT(rung_reached(s, i) == want[i], "trial %d reached rung %d, not %d", i,
               rung_reached(s, i), want[i]);
    EXPECT(s->epochs_trained == 21, "%d epochs trained", s->epochs_trained);
    EXPECT(s->view[1].ended && !s->view[3].ended && !s->view[5].ended, "only 1 trained to the end");
}

static void test_sha_promotes_the_hand_computed_reference(void)
{
    simulation s;
    set_up(&s, options(SEARCH_SHA, 3, 1, METRIC_VAL_ACCURACY), 9, 9, &nine[0][0], 9);
    halving_step end = run_to_the_end(&s);
    EXPECT(end.action == HALVING_DONE, "ends DONE, not %d", end.action);
    expect_reference_rungs(&s);
    EXPECT(s.runs[1][1] == 3 && s.runs[1][2] == 9 && s.runs[3][1] == 3, "budgets 3 and 9");
    halving_standing st[9];
    halving_standings(&s.search, s.view, 9, st);
    for (int i = 0; i < 9; i++)
        EXPECT(st[i].settled && st[i].rung == rung_reached(&s, i), "trial %d: rung %d settled %d",
               i, st[i].rung, st[i].settled);
}

/* The same decisions with any preference order and any number of groups
 * finishing in any order: they follow from the histories alone. */
static void test_sha_decisions_do_not_depend_on_order_or_groups(void)
{
    for (int seed = 1; seed <= 200; seed++) {
        rng_stream rng = rng_stream_new(rng_key((uint64_t)seed, 99, 0, 0));
        simulation s;
        set_up(&s, options(SEARCH_SHA, 3, 1, METRIC_VAL_ACCURACY), 9, 9, &nine[0][0], 9);
        int order[9], groups = 1 + (int)rng_below(&rng, 5), running[9], n_running = 0;
        for (int i = 0; i < 9; i++)
            order[i] = i;
        for (int i = 8; i > 0; i--) {
            int j = (int)rng_below(&rng, (uint32_t)i + 1), x = order[i];
            order[i] = order[j];
            order[j] = x;
        }
        for (int guard = 0; guard < 1000; guard++) {
            halving_step st = { HALVING_WAIT, -1, 0, 0 };
            if (n_running < groups)
                st = halving_next(&s.search, s.view, 9, order);
            if (st.action == HALVING_RUN) {
                start(&s, st);
                running[n_running++] = st.trial;
                continue;
            }
            if (st.action == HALVING_DONE)
                break;
            EXPECT(n_running > 0, "seed %d: WAIT with nothing running", seed);
            if (n_running == 0)
                break;
            int pick = (int)rng_below(&rng, (uint32_t)n_running);
            finish(&s, running[pick]);
            running[pick] = running[--n_running];
        }
        expect_reference_rungs(&s);
    }
}

static void test_sha_waits_for_the_last_member_of_a_rung(void)
{
    simulation s;
    set_up(&s, options(SEARCH_SHA, 3, 1, METRIC_VAL_ACCURACY), 9, 9, &nine[0][0], 9);
    for (int i = 0; i < 9; i++)
        start(&s, halving_next(&s.search, s.view, 9, NULL));
    for (int i = 0; i < 8; i++)
        finish(&s, i);
    EXPECT(halving_next(&s.search, s.view, 9, NULL).action == HALVING_WAIT,
           "rung 0 is not decided while trial 8 runs");
    finish(&s, 8);
    halving_step st = halving_next(&s.search, s.view, 9, NULL);
    EXPECT(st.action == HALVING_RUN && st.trial == 1 && st.rung == 1 && st.epochs == 3,
           "then trial 1 (the lowest index of the promoted) to rung 1: %d %d %d", st.trial,
           st.rung, st.epochs);
}

static void test_sha_ties_go_to_the_lower_index(void)
{
    /* keep 2 of 6: 1, 2 and 3 tie at .6, so 1 and 2 go on */
    const double acc[6] = { .5, .6, .6, .6, .4, .3 };
    simulation s;
    set_up(&s, options(SEARCH_SHA, 3, 1, METRIC_VAL_ACCURACY), 6, 3, acc, 1);
    run_to_the_end(&s);
    int want[6] = { 0, 1, 1, 0, 0, 0 };
    for (int i = 0; i < 6; i++)
        EXPECT(rung_reached(&s, i) == want[i], "trial %d: rung %d", i, rung_reached(&s, i));
    /* fewer than `reduction`: still one goes on, the first of equals */
    const double same[2] = { .5, .5 };
    set_up(&s, options(SEARCH_SHA, 3, 1, METRIC_VAL_ACCURACY), 2, 3, same, 1);
    run_to_the_end(&s);
    EXPECT(rung_reached(&s, 0) == 1 && rung_reached(&s, 1) == 0, "at least one: trial 0");
}

static void test_sha_ranks_val_loss_lowest_first(void)
{
    /* val_loss = 1 - acc: the lowest loss is the highest accuracy, so the
     * reference's rungs follow; then a case where they part: best loss
     * over the rung, not the last */
    simulation s;
    set_up(&s, options(SEARCH_SHA, 3, 1, METRIC_VAL_LOSS), 9, 9, &nine[0][0], 9);
    run_to_the_end(&s);
    expect_reference_rungs(&s);
    const double acc[3][3] = { { .5, .9, .1 }, { .6, .6, .6 }, { .4, .4, .4 } };
    set_up(&s, options(SEARCH_SHA, 3, 1, METRIC_VAL_LOSS), 3, 9, &acc[0][0], 3);
    /* rung 0: trial 1 (loss .4) goes on alone; at rung 1 it is alone */
    run_to_the_end(&s);
    EXPECT(rung_reached(&s, 1) == 2 && rung_reached(&s, 0) == 0, "trial 1 to the end");
    EXPECT(halving_rung_metric(METRIC_VAL_LOSS, &s.view[0], 3) == halving_rung_metric(
               METRIC_VAL_LOSS, &s.view[0], 1), "trial 0 trained 1 epoch: its loss is epoch 1's");
    halving_trial t = { 9, 3, s.scripts[0].history, 0, 0, 0, 0 };
    EXPECT_NEAR(halving_rung_metric(METRIC_VAL_LOSS, &t, 3), 0.1, 1e-12, 0);   /* 1 - .9 */
    EXPECT_NEAR(halving_rung_metric(METRIC_VAL_ACCURACY, &t, 3), 0.9, 1e-12, 0);
    EXPECT_NEAR(halving_rung_metric(METRIC_VAL_ACCURACY, &t, 1), 0.5, 1e-12, 0);
}

static void test_sha_early_stopped_and_failed_trials_are_never_promoted(void)
{
    /* trial 0 is the best at rung 0 but early stopping ends it at epoch 1:
     * it keeps its slot (the one of 3), so nobody goes on */
    const double acc[3] = { .9, .6, .5 };
    simulation s;
    set_up(&s, options(SEARCH_SHA, 3, 1, METRIC_VAL_ACCURACY), 3, 9, acc, 1);
    s.scripts[0].stop_epoch = 1;
    EXPECT(run_to_the_end(&s).action == HALVING_DONE, "done");
    EXPECT(rung_reached(&s, 0) == 0 && rung_reached(&s, 1) == 0 && rung_reached(&s, 2) == 0,
           "nobody promoted");
    EXPECT(s.view[0].ended && !s.view[1].ended, "0 ended, 1 pruned");
    /* stopped early within rung 1 (epoch 2 of 3): finished there, not sent on */
    const double six[6] = { .9, .8, .1, .1, .1, .1 };
    set_up(&s, options(SEARCH_SHA, 3, 1, METRIC_VAL_ACCURACY), 6, 9, six, 1);
    s.scripts[0].stop_epoch = 2;
    run_to_the_end(&s);
    EXPECT(rung_reached(&s, 0) == 1 && rung_reached(&s, 1) == 1 && s.view[0].epochs_done == 2,
           "0 and 1 in rung 1, 0 stopped at epoch 2");
    EXPECT(s.epochs_trained == 6 + 1 + 2, "%d epochs", s.epochs_trained);
    /* a non-finite loss at epoch 1 ranks last, whatever its accuracy */
    set_up(&s, options(SEARCH_SHA, 3, 1, METRIC_VAL_ACCURACY), 3, 9, acc, 1);
    s.scripts[0].stop_epoch = 1;
    s.scripts[0].fails = 1;
    run_to_the_end(&s);
    EXPECT(rung_reached(&s, 1) == 2 && rung_reached(&s, 0) == 0, "trial 1 goes on instead");
}

/* ---- asha ------------------------------------------------------------------ */

/* Rung k's finished trials and those promoted out of it, counted as the
 * planner must see them (an independent count). */
static void rung_counts(const simulation *s, int k, int *finished, int *promoted)
{
    *finished = *promoted = 0;
    for (int i = 0; i < s->n; i++) {
        const halving_trial *t = &s->view[i];
        int budget = halving_budget(&s->search, t->epochs, k);
        int done_here = !t->running && t->rung == k &&
                        (t->ended || (budget < t->epochs && t->epochs_done >= budget));
        *finished += t->rung > k || done_here;
        *promoted += t->rung > k;
    }
}

/* Whether some rung k could promote now: fewer promoted than allowed, and
 * among the top floor(f / r) by the rung's metric (ties to the lower
 * index) one that sits finished in rung k and did not end. */
static int promotion_possible(const simulation *s)
{
    for (int k = 0; k < halving_last_rung(&s->search, s->view[0].epochs); k++) {
        int f, p, idx[MAX_TRIALS], m = 0;
        rung_counts(s, k, &f, &p);
        if (p >= f / s->search.reduction)
            continue;
        double v[MAX_TRIALS];
        for (int i = 0; i < s->n; i++) {
            const halving_trial *t = &s->view[i];
            int budget = halving_budget(&s->search, t->epochs, k);
            int done_here = !t->running && t->rung == k &&
                            (t->ended || (budget < t->epochs && t->epochs_done >= budget));
            if (t->rung > k || done_here) {
                idx[m] = i;
                v[i] = halving_rung_metric(s->search.metric, t, budget);
                m++;
            }
        }
        for (int a = 0; a < m; a++)   /* insertion sort: best first, then index */
            for (int b = a; b > 0 && (v[idx[b]] > v[idx[b - 1]] ||
                                      (v[idx[b]] == v[idx[b - 1]] && idx[b] < idx[b - 1])); b--) {
                int x = idx[b];
                idx[b] = idx[b - 1];
                idx[b - 1] = x;
            }
        for (int r = 0; r < f / s->search.reduction; r++) {
            const halving_trial *t = &s->view[idx[r]];
            if (t->rung == k && !t->ended)
                return 1;
        }
    }
    return 0;
}

static void test_asha_never_promotes_more_than_a_rung_allows(void)
{
    int steps = 0, promotions = 0;
    for (int seed = 1; seed <= 300; seed++) {
        rng_stream rng = rng_stream_new(rng_key((uint64_t)seed, 98, 0, 0));
        int n = 9 + (int)rng_below(&rng, 28), groups = 1 + (int)rng_below(&rng, 6);
        double acc[MAX_TRIALS * 9];
        for (int i = 0; i < n * 9; i++)
            acc[i] = 0.3 + 0.01 * (int)rng_below(&rng, 60);   /* ties happen */
        simulation s;
        set_up(&s, options(SEARCH_ASHA, 3, 1, METRIC_VAL_ACCURACY), n, 9, acc, 9);
        int running[MAX_TRIALS], n_running = 0, ok = 1;
        for (int guard = 0; guard < 10000 && ok; guard++) {
            steps++;
            halving_step st = { HALVING_WAIT, -1, 0, 0 };
            if (n_running < groups) {
                int possible = promotion_possible(&s);
                st = halving_next(&s.search, s.view, n, NULL);
                int promotes = st.action == HALVING_RUN && st.rung > s.view[st.trial].rung;
                if (possible != promotes) {
                    EXPECT(0, "seed %d step %d: promotion possible %d, planner promotes %d",
                           seed, guard, possible, promotes);
                    ok = 0;
                }
                promotions += promotes;
            }
            if (st.action == HALVING_RUN) {
                start(&s, st);
                running[n_running++] = st.trial;
            } else if (st.action == HALVING_DONE || n_running == 0) {
                EXPECT(st.action == HALVING_DONE, "seed %d: WAIT with nothing running", seed);
                break;
            } else {
                int pick = (int)rng_below(&rng, (uint32_t)n_running);
                finish(&s, running[pick]);
                running[pick] = running[--n_running];
            }
            for (int k = 0; k < 2; k++) {
                int f, p;
                rung_counts(&s, k, &f, &p);
                if (p > f / 3) {
                    EXPECT(0, "seed %d: rung %d promoted %d of %d finished", seed, k, p, f);
                    ok = 0;
                }
            }
        }
        /* at the end every rung has sent on all it may */
        for (int k = 0; ok && k < 2; k++) {
            int f, p;
            rung_counts(&s, k, &f, &p);
            EXPECT(p == f / 3, "seed %d: rung %d sent on %d of %d finished", seed, k, p, f);
        }
    }
    EXPECT(promotions > 1000, "only %d promotions in %d steps", promotions, steps);
}

static void test_asha_promotes_as_soon_as_a_rung_allows(void)
{
    const double acc[5] = { .5, .7, .6, .9, .1 };
    simulation s;
    set_up(&s, options(SEARCH_ASHA, 3, 1, METRIC_VAL_ACCURACY), 5, 9, acc, 1);
    for (int i = 0; i < 2; i++) {
        halving_step st = halving_next(&s.search, s.view, 5, NULL);
        EXPECT(st.action == HALVING_RUN && st.trial == i && st.rung == 0 && st.epochs == 1,
               "start %d", i);
        start(&s, st);
        finish(&s, i);
    }
    /* two finished: floor(2/3) = 0, so the third configuration starts */
    halving_step st = halving_next(&s.search, s.view, 5, NULL);
    EXPECT(st.action == HALVING_RUN && st.trial == 2 && st.rung == 0, "start 2: %d", st.trial);
    start(&s, st);
    finish(&s, 2);
    /* three finished: the best of them (1, .7) goes to rung 1 at once */
    st = halving_next(&s.search, s.view, 5, NULL);
    EXPECT(st.action == HALVING_RUN && st.trial == 1 && st.rung == 1 && st.epochs == 3,
           "promote 1: %d rung %d", st.trial, st.rung);
    start(&s, st);
    /* then 3 finishes better than 1: 4 finished allow 1, and 1 took it */
    st = halving_next(&s.search, s.view, 5, NULL);
    EXPECT(st.trial == 3 && st.rung == 0, "start 3: %d", st.trial);
    start(&s, st);
    finish(&s, 3);
    st = halving_next(&s.search, s.view, 5, NULL);
    EXPECT(st.action == HALVING_RUN && st.trial == 4 && st.rung == 0, "no second promotion: %d",
           st.trial);
    /* a recorded promotion is kept: 1, back after a kill, continues at rung 1 */
    s.view[1].running = 0;
    s.view[1].epochs_done = 2;
    st = halving_next(&s.search, s.view, 5, NULL);
    EXPECT(st.action == HALVING_RUN && st.trial == 1 && st.rung == 1 && st.epochs == 3,
           "1 resumes in rung 1: %d rung %d", st.trial, st.rung);
}

/* ---- the ETA's epochs ------------------------------------------------------- */

static double expected_total(const simulation *s)
{
    halving_standing st[MAX_TRIALS];
    halving_standings(&s->search, s->view, s->n, st);
    double sum = 0;
    for (int i = 0; i < s->n; i++)
        sum += halving_expected_epochs(&s->search, &s->view[i], &st[i], s->n);
    return sum;
}

static void test_expected_epochs_count_the_rungs_survivors(void)
{
    simulation s;
    set_up(&s, options(SEARCH_SHA, 3, 1, METRIC_VAL_ACCURACY), 9, 9, &nine[0][0], 9);
    EXPECT_NEAR(expected_total(&s), 21, 1e-9, 0);
    int order[9] = { 0, 1, 2, 3, 4, 5, 6, 7, 8 };
    for (int i = 0; i < 9; i++) {   /* rung 0 done: 6 settled, 3 x 2 + 1 x 6 to go */
        halving_step st = halving_next(&s.search, s.view, 9, order);
        start(&s, st);
        finish(&s, st.trial);
    }
    EXPECT_NEAR(expected_total(&s), 12, 1e-9, 0);
    run_to_the_end(&s);
    EXPECT_NEAR(expected_total(&s), 0, 1e-9, 0);
    set_up(&s, options(SEARCH_GRID, 3, 1, METRIC_VAL_ACCURACY), 9, 9, &nine[0][0], 9);
    s.view[0].epochs_done = 4;
    s.view[1].ended = 1;
    EXPECT_NEAR(expected_total(&s), 7 * 9 + 5, 1e-9, 0);
}

int main(void)
{
    RUN_TEST(test_rung_budgets_grow_by_the_reduction_up_to_the_epochs);
    RUN_TEST(test_grid_runs_every_trial_not_ended_once_in_the_given_order);
    RUN_TEST(test_sha_promotes_the_hand_computed_reference);
    RUN_TEST(test_sha_decisions_do_not_depend_on_order_or_groups);
    RUN_TEST(test_sha_waits_for_the_last_member_of_a_rung);
    RUN_TEST(test_sha_ties_go_to_the_lower_index);
    RUN_TEST(test_sha_ranks_val_loss_lowest_first);
    RUN_TEST(test_sha_early_stopped_and_failed_trials_are_never_promoted);
    RUN_TEST(test_asha_never_promotes_more_than_a_rung_allows);
    RUN_TEST(test_asha_promotes_as_soon_as_a_rung_allows);
    RUN_TEST(test_expected_epochs_count_the_rungs_survivors);
    return testing_finish("test_halving");
}
