/* halving: the planner of grid, random, sha and asha searches. */
#include "search/halving.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

int halving_in_rungs(const search_options *s)
{
    return s->method == SEARCH_SHA || s->method == SEARCH_ASHA;
}

int halving_last_rung(const search_options *s, int epochs)
{
    if (!halving_in_rungs(s))
        return 0;
    CHECK(s->reduction >= 2 && s->min_epochs >= 1, "[search] reduction %d, min_epochs %d",
          s->reduction, s->min_epochs);
    int k = 0;
    for (long long budget = s->min_epochs; budget < epochs; budget *= s->reduction)
        k++;
    return k;
}

int halving_budget(const search_options *s, int epochs, int rung)
{
    if (rung >= halving_last_rung(s, epochs))
        return epochs;
    long long budget = s->min_epochs;
    for (int k = 0; k < rung; k++)
        budget *= s->reduction;
    return (int)budget;
}

double halving_rung_metric(search_metric metric, const halving_trial *t, int budget)
{
    double best = NAN;
    int n = t->epochs_done < budget ? t->epochs_done : budget;
    for (int e = 0; e < n; e++) {
        const epoch_record *r = &t->history[e];
        double v = metric == METRIC_VAL_LOSS ? r->val_loss : r->val_accuracy;
        if (!isfinite(v))
            continue;
        if (isnan(best) || (metric == METRIC_VAL_LOSS ? v < best : v > best))
            best = v;
    }
    return best;
}

/* ---- a rung's ranking ------------------------------------------------- */

/* Best first: trials with a finite metric by it, then those without one,
 * then those that failed within the rung (their training diverged); ties
 * to the lower index. score is the metric with "higher is better". */
typedef struct {
    int group;
    double score;
    int index;
} rank_key;

static int by_rank(const void *a, const void *b)
{
    const rank_key *x = a, *y = b;
    if (x->group != y->group)
        return x->group - y->group;
    if (x->score != y->score)
        return x->score > y->score ? -1 : 1;
    return x->index - y->index;
}

static rank_key key_in_rung(const search_options *s, const halving_trial *t, int index, int k)
{
    int budget = halving_budget(s, t->epochs, k);
    double v = halving_rung_metric(s->metric, t, budget);
    rank_key key = { isnan(v) ? 1 : 0, s->metric == METRIC_VAL_LOSS ? -v : v, index };
    if (t->failed && t->epochs_done <= budget)
        key.group = 2;
    if (key.group)
        key.score = 0;
    return key;
}

/* Whether t has finished rung k: reached its budget (a rung before its
 * last) or ended. A running trial has finished only the rungs below the
 * one it was sent to. */
static int finished_at(const search_options *s, const halving_trial *t, int k)
{
    if (t->running)
        return k < t->rung;
    if (t->ended)
        return 1;
    return k < halving_last_rung(s, t->epochs) &&
           t->epochs_done >= halving_budget(s, t->epochs, k);
}

/* Whether t, having finished rung k, may go on to rung k + 1: not its
 * last rung, and it did not end within rung k (early stopping or a
 * non-finite loss: such a trial keeps its place in the ranking, but
 * trains no further). */
static int promotable(const search_options *s, const halving_trial *t, int k)
{
    return k < halving_last_rung(s, t->epochs) &&
           !(t->ended && t->epochs_done <= halving_budget(s, t->epochs, k));
}

static halving_step run_step(const search_options *s, const halving_trial *t, int index, int k)
{
    return (halving_step){ HALVING_RUN, index, k, halving_budget(s, t->epochs, k) };
}

static int index_at(const int *order, int j)
{
    return order ? order[j] : j;
}

/* ---- grid and random: every trial once, to its epochs ----------------- */

static halving_step each_once(const search_options *s, const halving_trial *t, int n,
                              const int *order)
{
    int waiting = 0;
    for (int j = 0; j < n; j++) {
        int i = index_at(order, j);
        if (!t[i].ended && !t[i].running)
            return run_step(s, &t[i], i, 0);
        waiting |= t[i].running;
    }
    return (halving_step){ waiting ? HALVING_WAIT : HALVING_DONE, -1, 0, 0 };
}

/* ---- sha ---------------------------------------------------------------- */

/* Rung 0 is every trial; rung k + 1 is decided once every member of rung
 * k has finished it: the top max(1, n_k / reduction) by key_in_rung,
 * those that may go on. Walks the rungs from the histories alone, so a
 * rerun decides as the first run did. The first member (in order) not
 * finished with its rung and not running is the next to train; out (or
 * NULL) gets every trial's standing. */
static halving_step sha_walk(const search_options *s, const halving_trial *t, int n,
                             const int *order, halving_standing *out)
{
    char *member = xcalloc((size_t)n + 1, 1);
    rank_key *keys = xcalloc((size_t)n + 1, sizeof *keys);
    for (int i = 0; i < n; i++) {
        member[i] = 1;
        if (out)
            out[i] = (halving_standing){ 0, t[i].ended };
    }
    halving_step step = { HALVING_DONE, -1, 0, 0 };
    for (int k = 0;; k++) {
        int count = 0, waiting = 0, run = -1;
        for (int j = 0; j < n; j++) {
            int i = index_at(order, j);
            if (!member[i])
                continue;
            keys[count++] = key_in_rung(s, &t[i], i, k);
            if (out)
                out[i].rung = k;
            if (finished_at(s, &t[i], k))
                continue;
            if (t[i].running)
                waiting = 1;
            else if (run < 0)
                run = i;
        }
        if (run >= 0 || waiting || count == 0) {
            if (run >= 0)
                step = run_step(s, &t[run], run, k);
            else if (waiting)
                step.action = HALVING_WAIT;
            break;
        }
        qsort(keys, (size_t)count, sizeof *keys, by_rank);
        int keep = count / s->reduction > 1 ? count / s->reduction : 1;
        memset(member, 0, (size_t)n);
        for (int r = 0; r < count; r++) {
            int i = keys[r].index;
            if (r < keep && promotable(s, &t[i], k))
                member[i] = 1;
            else if (out)
                out[i].settled = 1;
        }
    }
    free(keys);
    free(member);
    return step;
}

/* ---- asha --------------------------------------------------------------- */

/* Rung k's finished trials: those promoted out of it, and those in it
 * that finished it. */
static int finished_in_rung(const search_options *s, const halving_trial *t, int k)
{
    return t->rung > k || (t->rung == k && finished_at(s, t, k));
}

static int highest_rung(const search_options *s, const halving_trial *t, int n)
{
    int top = 0;
    for (int i = 0; i < n; i++) {
        int last = halving_last_rung(s, t[i].epochs);
        top = last > top ? last : top;
    }
    return top;
}

/* From the highest rung down, a trial in the top floor(f_k / reduction)
 * of rung k's f_k finished trials that may go on, while fewer than that
 * many have been promoted out of rung k (so a rung never sends on more
 * than 1/reduction of what has finished it); -1 if none. */
static int asha_promotion(const search_options *s, const halving_trial *t, int n, int top,
                          rank_key *keys, int *rung)
{
    for (int k = top - 1; k >= 0; k--) {
        int finished = 0, promoted = 0;
        for (int i = 0; i < n; i++) {
            if (finished_in_rung(s, &t[i], k))
                keys[finished++] = key_in_rung(s, &t[i], i, k);
            promoted += t[i].rung > k;
        }
        int allowed = finished / s->reduction;
        if (promoted >= allowed)
            continue;
        qsort(keys, (size_t)finished, sizeof *keys, by_rank);
        for (int r = 0; r < allowed; r++) {
            int i = keys[r].index;
            if (t[i].rung == k && !t[i].running && promotable(s, &t[i], k)) {
                *rung = k + 1;
                return i;
            }
        }
    }
    return -1;
}

/* A promotion if one is due; else a trial that has not finished the rung
 * it was sent to (the highest rung first: an interrupted promotion, then
 * the next configuration at rung 0); else WAIT while anything runs. */
static halving_step asha_next(const search_options *s, const halving_trial *t, int n,
                              const int *order)
{
    int top = highest_rung(s, t, n), rung = 0;
    rank_key *keys = xcalloc((size_t)n + 1, sizeof *keys);
    int promote = asha_promotion(s, t, n, top, keys, &rung);
    free(keys);
    if (promote >= 0)
        return run_step(s, &t[promote], promote, rung);
    int waiting = 0;
    for (int k = top; k >= 0; k--)
        for (int j = 0; j < n; j++) {
            int i = index_at(order, j);
            waiting |= t[i].running;
            if (t[i].rung == k && !t[i].running && !finished_at(s, &t[i], k))
                return run_step(s, &t[i], i, k);
        }
    return (halving_step){ waiting ? HALVING_WAIT : HALVING_DONE, -1, 0, 0 };
}

/* ---- the interface ------------------------------------------------------ */

halving_step halving_next(const search_options *s, const halving_trial *trials, int n,
                          const int *order)
{
    switch (s->method) {
    case SEARCH_SHA: return sha_walk(s, trials, n, order, NULL);
    case SEARCH_ASHA: return asha_next(s, trials, n, order);
    default: return each_once(s, trials, n, order);
    }
}

void halving_standings(const search_options *s, const halving_trial *trials, int n,
                       halving_standing *out)
{
    if (s->method == SEARCH_SHA) {
        sha_walk(s, trials, n, NULL, out);
        return;
    }
    int done = s->method == SEARCH_ASHA && halving_next(s, trials, n, NULL).action == HALVING_DONE;
    for (int i = 0; i < n; i++)
        out[i] = (halving_standing){ halving_in_rungs(s) ? trials[i].rung : 0, trials[i].ended || done };
}

/* n_k: how many of a population of n are expected in rung k. */
static double survivors(const search_options *s, int n, int k)
{
    double count = n;
    for (int j = 0; j < k; j++) {
        count = floor(count / s->reduction);
        if (s->method == SEARCH_SHA && count < 1)
            count = 1;
    }
    return count;
}

double halving_expected_epochs(const search_options *s, const halving_trial *t,
                               const halving_standing *standing, int population)
{
    if (standing->settled || t->ended)
        return 0;
    int last = halving_last_rung(s, t->epochs), from = 0;
    double here = survivors(s, population, standing->rung), expected = 0;
    for (int k = 0; k <= last; k++) {
        int budget = halving_budget(s, t->epochs, k);
        int start = from > t->epochs_done ? from : t->epochs_done;
        double share = k == standing->rung ? 1 : here > 0 ? survivors(s, population, k) / here : 0;
        if (k >= standing->rung && budget > start)
            expected += share * (budget - start);
        from = budget;
    }
    return expected;
}
